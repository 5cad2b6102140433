"""Common random numbers: variants downstream of the door see exactly the same customers.

A customer's draws (segment, basket, scans, payment at every group, help at every group,
patience) are made at the door from the customers' stream; routing, line layout, till
counts, scaling, choice rules and ``max_items`` must not shift them. Each customer's
draws are recorded the moment they are made, inside real runs of the hypermarket and
its variants, and compared; so are the arrivals in the log.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from checkout_sim import load_scenario, run
from checkout_sim.engine import customers as customers_module

HYPERMARKET = Path(__file__).parent.parent / "scenarios" / "hypermarket.yaml"

#: Variants a user compares (the README and the scenario's own comments name these).
VARIANTS = [
    ["lanes.0.line=shared"],
    ["lanes.2.count=6"],
    ["lanes.1.count=3", "lanes.0.scaling=null"],
    ["segments.1.choice=shortest"],
    ["segments.0.choice=random"],
    ["lanes.1.max_items=15"],
    ["segments.2.prefer=null"],
    ["segments.0.jockey=null", "segments.1.jockey=null"],
    # a roster, breaks and customers moved off closing tills (issue 21): staffing is downstream too
    [
        "lanes.0.count=null",
        "lanes.0.roster=[{from: 0, open: 3}, {from: 40min, open: 7}, {from: 1h20m, open: 4}]",
        "lanes.0.on_close=move",
        "lanes.0.breaks={every: 30min, length: 10min, at_once: 2}",
        "lanes.2.breaks={every: 20min, length: 5min, at_once: 3, between: [10min, 1h30m]}",
    ],
]


def _drawn(overrides: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[list[Any], list[Any]]:
    """Every customer's draws as made, and the arrivals in the log (time, id, segment, items)."""
    made: list[Any] = []
    original = customers_module.CustomerFactory.make

    def recording(self: customers_module.CustomerFactory, customer_id: int, now: float) -> Any:
        customer = original(self, customer_id, now)
        c = customer  # copied now, before a group scales the scans
        drawn = (c.id, c.segment, c.priority, c.arrival, tuple(c.products), tuple(c.scans), c.payment)
        made.append((*drawn, c.patience, getattr(c, "at_groups", None)))  # (absent before per-group draws)
        return customer

    scenario = load_scenario(HYPERMARKET, overrides=[*overrides, "duration=2h"])
    log = io.BytesIO()
    with monkeypatch.context() as patch:
        patch.setattr(customers_module.CustomerFactory, "make", recording)
        run(scenario, seed=7, log=log)
    arrivals = [
        (event["t"], event["customer"], event["segment"], event["items"])
        for event in map(json.loads, log.getvalue().splitlines())
        if event["event"] == "customer_arrived"
    ]
    return made, arrivals


@pytest.fixture(scope="module")
def baseline() -> tuple[list[Any], list[Any]]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        return _drawn([], monkeypatch)


def test_the_baseline_has_customers_at_every_group(baseline: tuple[list[Any], list[Any]]) -> None:
    """The comparison means something: hundreds of customers, with payments drawn for each group."""
    made, arrivals = baseline
    assert len(made) == len(arrivals) > 500
    payments = [draws[0] for *_, draws in made]
    assert all(len(at) == 3 for at in payments)
    assert len({at[0] for at in payments}) > 100  # drawn, not constant
    helped = [draws[1][2] for *_, draws in made if draws[1][2] > 0]
    assert 0.08 * len(made) < len(helped) < 0.25 * len(made)  # probability 0.15 at the kiosks


@pytest.mark.parametrize("overrides", VARIANTS, ids=[" ".join(v) for v in VARIANTS])
def test_a_variant_sees_the_same_customers(
    overrides: list[str], baseline: tuple[list[Any], list[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    made, arrivals = _drawn(overrides, monkeypatch)
    base_made, base_arrivals = baseline
    assert arrivals == base_arrivals
    assert made == base_made


def test_the_variants_are_different_shops(monkeypatch: pytest.MonkeyPatch) -> None:
    """The variants do change what happens (else the test above would prove nothing)."""
    logs = []
    for overrides in ([], VARIANTS[0], VARIANTS[-1]):
        scenario = load_scenario(HYPERMARKET, overrides=[*overrides, "duration=2h"])
        log = io.BytesIO()
        run(scenario, seed=7, log=log)
        logs.append(
            [json.loads(line) for line in log.getvalue().splitlines() if b'"checkout_started"' in line]
        )
    for other in logs[1:]:
        assert [event["wait"] for event in logs[0]] != [event["wait"] for event in other]
