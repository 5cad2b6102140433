"""The JSON Schema is generated from the models; the shipped scenarios follow it and run."""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from checkout_sim import load_scenario, run
from checkout_sim.config.schema import render
from conftest import ROOT, SCENARIOS
from logcheck import check

SCHEMA_FILE = ROOT / "schemas" / "scenario.schema.json"
SHIPPED = sorted(SCENARIOS.glob("*.yaml"))


def test_committed_schema_is_up_to_date() -> None:
    """schemas/scenario.schema.json equals what the models generate (regenerate: see README)."""
    assert SCHEMA_FILE.read_text(encoding="utf-8") == render()


def test_schema_is_valid_draft_2020_12() -> None:
    """The generated schema is itself a valid JSON Schema."""
    jsonschema.Draft202012Validator.check_schema(json.loads(render()))


def test_required_scenarios_are_shipped() -> None:
    """scenarios/ holds the four scenarios the README promises."""
    names = {path.name for path in SHIPPED}
    assert {"black_friday.yaml", "classic_supermarket.yaml", "vip_priority.yaml", "bank.yaml"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_scenario_has_modeline_validates_and_runs(path: Path) -> None:
    """Each scenario: schema modeline, valid against the schema, and a consistent run."""
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "# yaml-language-server: $schema=../schemas/scenario.schema.json"
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    assert list(validator.iter_errors(yaml.safe_load(text))) == []
    scenario = load_scenario(path)
    buffer = io.BytesIO()
    summary = run(scenario, log=buffer, item_events=True)
    check(buffer.getvalue(), scenario)
    assert summary.served > 0


def test_schema_rejects_what_the_loader_rejects() -> None:
    """Editors flag typos and bad units too, not just the runner."""
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    data = yaml.safe_load((SCENARIOS / "corner_shop.yaml").read_text(encoding="utf-8"))
    data["products"][0]["checkout_time"] = "5 parsecs"
    data["cashier"] = {"count": 1}
    messages = sorted(error.message for error in validator.iter_errors(data))
    assert len(messages) == 2
    assert "'5 parsecs' is not valid under any of the given schemas" in messages


def test_classic_example_follows_its_rules() -> None:
    """The classic supermarket: scan times as listed, 0-9 items, 0-4 per batch every 0.3 s, line ≤ 2."""
    scenario = load_scenario(SCENARIOS / "classic_supermarket.yaml")
    buffer = io.BytesIO()
    run(scenario, log=buffer, item_events=True)
    log = check(buffer.getvalue(), scenario)
    scan = {"deer": 2.0, "banana": 0.5, "sausage": 0.2, "diapers": 0.2}
    assert all(e["scan"] == scan[e["product"]] for e in log.of("item_scanned"))
    assert all(0 <= e["items"] <= 9 for e in log.of("customer_arrived"))
    assert all(e["queue_length"] <= 2 for e in log.of("customer_arrived"))
    assert len({e["cashier"] for e in log.of("checkout_started")}) == 3
    assert log.summary["balked"] == 0
