"""What people read on stderr: friendly units, waits marked as of served customers, honest intervals."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from checkout_sim import Summary, load_scenario, run
from checkout_sim.analysis.display import format_replications, format_summary
from checkout_sim.cli import main
from checkout_sim.observe.summary import LaneSummary
from conftest import SCENARIOS, make_scenario


def summary(seed: int, **figures: Any) -> Summary:
    """A run's summary with plain defaults, the given figures changed."""
    values: dict[str, Any] = {
        "arrived": 10,
        "served": 10,
        "balked": 0,
        "reneged": 0,
        "unserved": 0,
        "waited": 5,
        "wait_mean": 20.0,
        "wait_sd": 1.0,
        "wait_p50": 10.0,
        "wait_p90": 30.0,
        "wait_p99": 40.0,
        "wait_max": 50.0,
        "queue_length_mean": 1.0,
        "queue_length_max": 3,
        "waiting_mean": 1.0,
        "wait_mean_all": 20.0,
        "utilisation": 0.5,
        "throughput_per_hour": 10.0,
        "lanes_max": 1,
        "lane_hours": 1.0,
        "elapsed": 3600.0,
        "seed": seed,
        "interrupted": False,
    }
    return Summary(**(values | figures))


def test_replications_use_the_one_run_units_and_cut_intervals_at_zero() -> None:
    """Waits 10, 20, 30 s: t interval 20 ± 4.303 × 10/√3 = [-4.8, 44.8], shown as [0.0s, 44.8s]†."""
    runs = [summary(1, wait_mean=10.0), summary(2, wait_mean=20.0), summary(3, wait_mean=30.0)]
    text = format_replications(make_scenario(), runs).splitlines()
    assert text[0] == (
        "test-shop: 3 replications (seeds 1..3, virtual clock): mean and 95% confidence interval across runs"
    )
    assert text[6] == "  wait*      mean                  20.0s  [0.0s, 44.8s]†"
    assert text[11] == "             waited at all         50.0%  [50.0%, 50.0%]"
    assert text[14] == "  cashiers   utilisation           50.0%  [50.0%, 50.0%]"
    assert text[16] == "             throughput           10.0/h  [10.0/h, 10.0/h]"
    assert text[17] == "  customers in all runs: arrived 30  served 30  balked 0  reneged 0  unserved 0"
    assert text[-1] == (
        "  † the t interval reaches past what the figure can be (below 0, above 100%); shown cut there"
    )


def test_no_replication_interval_goes_below_zero_or_above_one(capfd: pytest.CaptureFixture[str]) -> None:
    """corner_shop, 3 runs: no interval like the issue's wait [-0.436s, 0.7027s] or P(wait) [-0.0872, …]."""
    assert main([str(SCENARIOS / "corner_shop.yaml"), "--replications", "3", "--log", "none"]) == 0
    err = capfd.readouterr().err
    bounds = re.findall(r"\[([^,\]]+), ([^\]]+)\]", err)
    assert len(bounds) >= 14
    for low, high in bounds:
        assert not low.startswith("-") and not high.startswith("-"), err
        for end in (low, high):
            if end.endswith("%"):
                assert 0.0 <= float(end[:-1]) <= 100.0, err
    assert "waited at all" in err and "†" in err


def test_one_run_marks_waits_as_of_served_customers_and_shows_who_was_lost() -> None:
    """Black Friday: lost counts and shares overall and per group, from the summary's own counts."""
    scenario = load_scenario(SCENARIOS / "black_friday.yaml")
    result = run(scenario)
    lines = format_summary(scenario, result).splitlines()
    lost = result.balked + result.reneged + result.unserved
    assert lines[1] == (
        f"  customers  arrived {result.arrived}  served {result.served}  "
        f"lost {lost} ({lost / result.arrived:.1%}): balked {result.balked}  "
        f"reneged {result.reneged}  unserved {result.unserved}"
    )
    assert lines[2].startswith("  wait*      mean ")
    for name, group in result.segments.items():
        group_lost = group.balked + group.reneged + group.unserved
        row = next(line for line in lines if line.startswith(f"  {name} "))
        assert re.search(rf"lost +{group_lost} \({group_lost / group.arrived:.1%}\) +wait\* mean", row), row
    assert lines[-1] == (
        "  * waits are of served customers only (the lost are not in them); percentiles within 0.5%"
    )


def test_a_run_where_nobody_arrived_shows_no_lost_share() -> None:
    """With no arrivals there is no share to show, and no division by zero."""
    empty = dataclasses.replace(summary(1), arrived=0, served=0, waited=0)
    assert "  customers  arrived 0  served 0  lost 0: balked 0" in format_summary(make_scenario(), empty)


def test_the_line_figures_say_the_mean_is_of_all_lines_and_the_longest_of_one() -> None:
    """A mean of 10.18 in line beside a longest line of 10 (the hypermarket): the mean adds up
    every line, the longest is one line's; the one-run summary, each lane group's row and the
    table across runs say so (issue 19, item 13)."""
    lane = LaneSummary(
        served=10, wait_mean=1.0, wait_p50=1.0, wait_p90=2.0, wait_p99=3.0, wait_max=4.0,
        utilisation=0.5, tills_max=4, queue_length_mean=8.96, queue_length_max=4, lane_hours=2.0,
        assists=None, assist_wait_mean=None, attendant_utilisation=None,
    )  # fmt: skip
    express = dataclasses.replace(lane, queue_length_mean=0.63, queue_length_max=8)
    one = summary(1, queue_length_mean=10.18, queue_length_max=10, lanes={"tills": lane, "express": express})
    shop = make_scenario(
        cashiers=None,
        lanes=[{"name": "tills", "count": 4, "line": "per_till"}, {"name": "express", "count": 2}],
    )
    lines = format_summary(shop, one).splitlines()
    assert lines[3] == "  in line    mean 10.18 people (all lines)  longest line 10"
    row = next(line for line in lines if line.startswith("  lane tills "))
    assert row.endswith("  in line mean 8.96 (all its lines), longest line 4"), row
    row = next(line for line in lines if line.startswith("  lane express "))
    assert row.endswith("  in line mean 0.63, longest line 8"), row  # one shared line: nothing to add up
    single = format_summary(make_scenario(), summary(1, queue_length_mean=8.13, queue_length_max=30))
    assert single.splitlines()[3] == "  in line    mean 8.13 people  longest line 30"
    runs = format_replications(make_scenario(), [one, summary(2, queue_length_mean=9.0, queue_length_max=9)])
    text = runs.splitlines()
    assert text[12].startswith("  in line    mean (all lines)       9.59  [")
    assert text[13].startswith("             longest line            9.5  [")


def _sweep(capfd: pytest.CaptureFixture[str], *args: str) -> list[str]:
    """The sweep table a command prints, by line."""
    shop = str(SCENARIOS / "corner_shop.yaml")
    assert main([shop, "--sweep", "cashiers.count=1,2", "--jobs", "1", "--log", "none", *args]) == 0
    return capfd.readouterr().err.splitlines()


def test_the_sweep_table_marks_intervals_cut_at_zero(capfd: pytest.CaptureFixture[str]) -> None:
    """Short waits, 3 runs: an interval mean ± half-width reaching below 0 is marked † with the
    other tables' footnote; one that does not is not (issue 19, item 15)."""
    lines = _sweep(capfd, "--replications", "3", "--set", "duration=20min", "--set", "arrivals.rate=60/h")
    assert lines[0] == "corner-shop: 2 variants x 3 replications (seeds 1..3); figures are means ±95% CI"
    cells = re.findall(r"(\d+(?:\.\d+)?)s ±(\d+(?:\.\d+)?)s(†?)", "\n".join(lines[2:4]))
    assert len(cells) == 4, lines
    for mean, half, mark in cells:
        assert float(mean) <= float(half) if mark else float(mean) >= float(half), lines
    assert any(mark for *_, mark in cells), lines
    assert lines[-1] == (
        "  † the t interval reaches past what the figure can be (below 0, above 100%); read it as cut there"
    )


def test_a_sweep_of_one_replication_claims_no_interval(capfd: pytest.CaptureFixture[str]) -> None:
    """One run per variant: no "±95% CI" in the header, no ± in the table, and "seed 100" rather
    than "seeds 100..100"; a goal not met says it was judged on the one run."""
    lines = _sweep(capfd, "--seed", "100", "--goal", "wait_mean < 0s")
    assert lines[0] == (
        "corner-shop: 2 variants x 1 replication (seed 100); figures are of that one run (no interval)"
    )
    assert not any("±" in line or "†" in line for line in lines), lines
    assert lines[-1] == "no variant meets every goal (judged on each variant's one run)"
