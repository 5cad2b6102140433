"""docs/analysis.md: every recipe runs against a real log and agrees with the run's summary."""

from __future__ import annotations

import io
import json
import math
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from checkout_sim import Summary, load_scenario, run
from conftest import ROOT, SCENARIOS
from logcheck import parse

DOC = ROOT / "docs" / "analysis.md"
RECIPE = re.compile(r"<!-- recipe: (?P<name>[^>]+?) -->\s*```(?P<lang>\w+)\n(?P<code>.*?)```", re.S)


def recipes() -> dict[str, str]:
    """Recipe name → its code, as written in the docs."""
    found = {match["name"]: match["code"] for match in RECIPE.finditer(DOC.read_text(encoding="utf-8"))}
    assert len(found) == 8, sorted(found)
    return found


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Summary, list[dict[str, Any]]]:
    """A folder holding run.jsonl of the VIP scenario (two segments, one till), its summary and events."""
    folder = tmp_path_factory.mktemp("analysis")
    buffer = io.BytesIO()
    summary = run(load_scenario(SCENARIOS / "vip_priority.yaml"), log=buffer)
    (folder / "run.jsonl").write_bytes(buffer.getvalue())
    return folder, summary, parse(buffer.getvalue())


def expected_line_per_minute(events: list[dict[str, Any]]) -> dict[int, int]:
    """The longest reported line in each minute, computed directly from the events."""
    longest: dict[int, int] = defaultdict(int)
    for event in events:
        if "queue_length" in event:
            minute = math.floor(event["t"] / 60)
            longest[minute] = max(longest[minute], event["queue_length"])
    return dict(longest)


def assert_segment_waits(rows: list[tuple[str, int, float]], summary: Summary) -> None:
    assert [name for name, _, _ in rows] == sorted(summary.segments)
    for name, served, mean in rows:
        assert served == summary.segments[name].served
        assert mean == pytest.approx(summary.segments[name].wait_mean, rel=1e-9)


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed (.ci/run installs it)")
def test_jq_recipes(logged: tuple[Path, Summary, list[dict[str, Any]]]) -> None:
    """The jq recipes give per-segment waits, per-minute line lengths and busy fractions."""
    folder, summary, events = logged

    def jq(name: str) -> Any:
        result = subprocess.run(
            ["bash", "-c", recipes()[name]], cwd=folder, capture_output=True, text=True, check=True
        )
        return json.loads(result.stdout)

    segments = jq("jq wait-per-segment")
    assert_segment_waits([(s["segment"], s["served"], s["mean_wait"]) for s in segments], summary)
    lines = jq("jq line-per-minute")
    assert {row["minute"]: row["longest_line"] for row in lines} == expected_line_per_minute(events)
    busy = jq("jq utilisation")
    assert [row["cashier"] for row in busy] == [1]
    assert busy[0]["busy"] == pytest.approx(summary.utilisation, rel=1e-9)


def test_duckdb_recipes_and_column_types(
    logged: tuple[Path, Summary, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """read_json_auto gives proper types (no dates), and the SQL recipes match the summary."""
    duckdb = pytest.importorskip("duckdb")
    folder, summary, events = logged
    monkeypatch.chdir(folder)
    described = duckdb.sql("DESCRIBE SELECT * FROM read_json_auto('run.jsonl', sample_size = -1)").fetchall()
    types = {row[0]: row[1] for row in described}
    assert types["t"] == "DOUBLE" and types["wait"] == "DOUBLE" and types["service"] == "DOUBLE"
    assert (
        types["customer"] == "BIGINT" and types["cashier"] == "BIGINT" and types["queue_length"] == "BIGINT"
    )
    assert not any(kind.startswith(("DATE", "TIME", "TIMESTAMP")) for kind in types.values())
    assert_segment_waits(duckdb.sql(recipes()["duckdb wait-per-segment"]).fetchall(), summary)
    assert dict(duckdb.sql(recipes()["duckdb line-per-minute"]).fetchall()) == expected_line_per_minute(
        events
    )
    busy = duckdb.sql(recipes()["duckdb utilisation"]).fetchall()
    assert [cashier for cashier, _ in busy] == [1]
    assert busy[0][1] == pytest.approx(summary.utilisation, rel=1e-9)


def test_pandas_recipe_and_column_types(
    logged: tuple[Path, Summary, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """read_json(lines=True) reads no dates and keeps whole numbers whole; the recipe matches."""
    pytest.importorskip("pandas")
    folder, summary, events = logged
    monkeypatch.chdir(folder)
    space: dict[str, Any] = {}
    exec(recipes()["pandas"], space)
    log = space["log"]
    assert not [c for c, kind in log.dtypes.items() if "datetime" in str(kind)]
    assert str(log.dtypes["t"]) == "Float64" and str(log.dtypes["customer"]) == "Int64"
    table = space["wait_per_segment"]
    assert_segment_waits(
        [(name, int(row["count"]), float(row["mean"])) for name, row in table.iterrows()], summary
    )
    assert {int(k): int(v) for k, v in space["line_per_minute"].items()} == expected_line_per_minute(events)
    assert float(space["utilisation"].loc[1]) == pytest.approx(summary.utilisation, rel=1e-9)


def test_polars_recipe_and_column_types(
    logged: tuple[Path, Summary, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """read_ndjson gives Float64 times and Int64 ids, no dates; the recipe matches."""
    pl = pytest.importorskip("polars")
    folder, summary, events = logged
    monkeypatch.chdir(folder)
    space: dict[str, Any] = {}
    exec(recipes()["polars"], space)
    schema = space["log"].schema
    assert schema["t"] == pl.Float64 and schema["customer"] == pl.Int64 and schema["wait"] == pl.Float64
    assert not any(kind in (pl.Date, pl.Datetime) for kind in schema.values())
    assert_segment_waits(space["wait_per_segment"].rows(), summary)
    assert dict(space["line_per_minute"].rows()) == expected_line_per_minute(events)
    assert space["utilisation"].rows()[0][0] == 1
    assert space["utilisation"].rows()[0][1] == pytest.approx(summary.utilisation, rel=1e-9)
