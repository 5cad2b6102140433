"""Overload is caught at load time: arrivals that bring more work than every till can do."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from checkout_sim import parse_scenario
from checkout_sim.cli import main
from conftest import SCENARIOS

ISSUE = """name: overload
duration: 480
products: [{name: x, checkout_time: 2}]
arrivals: {pattern: poisson, rate: 40}
cashiers: {count: 2}
"""


def test_the_issues_overload_is_a_one_line_warning_with_a_units_hint(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """40 customers a second of 2 s each need 80 tills; 2 are open: said before the run, at the rate."""
    path = tmp_path / "overload.yaml"
    path.write_text(ISSUE)
    assert main([str(path), "--check"]) == 0
    assert capfd.readouterr().err.splitlines() == [
        f"{path}:4:36: arrivals.rate: warning: arrivals 40/s need 80 tills (2s each on average); "
        "2 are open at most: the line will grow without limit "
        "(a rate without a unit is per second: for 40 an hour write 40/h)",
        f"{path}: ok (1 warning)",
    ]


def test_a_phase_that_outruns_the_tills_says_how_much_the_line_grows() -> None:
    """A 1-hour phase at 90/h of 1-minute customers with 1 till: the line grows by about (90 - 60) = 30."""
    scenario = parse_scenario(
        "name: s\nduration: 2h\nproducts: [{name: x, checkout_time: 1min}]\n"
        "arrivals: {pattern: schedule, phases: [{until: 1h, rate: 30/h}, {until: 2h, rate: 90/h}]}\n"
        "cashiers: {count: 1}\n"
    )
    assert scenario.overload() == [
        (
            "arrivals.phases.1.rate",
            "phase 2 (until 2h): arrivals 1.5/min need 1.5 tills (1min each on average); "
            "1 is open at most: the line will grow all phase long, by about 30 people",
        )
    ]


def test_the_mean_service_weighs_segments_products_and_a_clipped_payment() -> None:
    """E[S] = sum of share × E[items] × (popularity-weighted checkout mean) + E[max(0, payment)]."""
    scenario = parse_scenario(
        "name: s\nduration: 1h\n"
        "products: [{name: a, checkout_time: 10s, popularity: 3}, "
        "{name: b, checkout_time: {dist: uniform, low: 0, high: 40s}, popularity: 1}]\n"
        "basket: {items: {dist: poisson, mean: 2}}\n"
        "segments: [{name: x, share: 1},"
        " {name: y, share: 3, basket: {items: {dist: uniform_int, low: 0, high: 4}}}]\n"
        "arrivals: {pattern: poisson, rate: 10/h}\n"
        "cashiers: {count: 1, payment_time: {dist: normal, mean: 5s, sd: 5s}}\n"
    )
    per_item = (3 * 10 + 1 * 20) / 4
    items = (1 * 2 + 3 * 2) / 4
    z = 1.0  # mean / sd
    payment = 5 * 0.5 * (1 + math.erf(z / math.sqrt(2))) + 5 * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    assert scenario.mean_service() == pytest.approx(items * per_item + payment, rel=1e-12)


@pytest.mark.parametrize(
    "change",
    [
        "queue: {capacity: 10}",  # a bounded line turns the excess away (or holds it at the door)
        "segments: [{name: r, patience: 5min}]",  # everyone gives up in the end
        "cashiers: {count: 2, scaling: {max: 81, open_at: 5}}",  # the manager can open enough
    ],
)
def test_no_warning_where_the_line_cannot_grow_without_limit(change: str) -> None:
    """A capacity, patience for all, or enough lanes at most: no overload warning."""
    text = ISSUE.replace("cashiers: {count: 2}\n", "") + change + "\n"
    if not change.startswith("cashiers"):
        text += "cashiers: {count: 2}\n"
    assert parse_scenario(text).overload() == []


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_the_shipped_scenarios_are_not_overloaded(path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """Every shipped scenario checks without a warning."""
    assert main([str(path), "--check"]) == 0
    assert capfd.readouterr().err == f"{path}: ok\n"
