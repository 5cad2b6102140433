"""The service level: the share of arrivals who reached a till within the target.

Checked three ways: recomputed from the event log (exactly, per segment and per lane
group, with a warm-up, balking, reneging and lines per till), against Erlang C's
P(wait <= t) for M/M/c within a confidence interval, and at a target of 0s against
the run's own count of those who waited.
"""

from __future__ import annotations

import io
import math
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from checkout_sim import parse_scenario, run
from checkout_sim.analysis.confidence import mean_interval
from checkout_sim.analysis.theory import erlang_c
from checkout_sim.cli import main

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"

#: Two segments (one impatient), two groups (a line per till with balking; a shared line),
#: a warm-up: every way a customer can be counted or missed.
SHOP = """
name: graded
duration: 3h
warmup: 20m
products: [{name: item, checkout_time: {dist: exponential, mean: 12s}}]
basket: {items: {dist: uniform_int, low: 1, high: 8}}
segments:
  - {name: hurried, share: 1, patience: {dist: exponential, mean: 2m}}
  - {name: calm, share: 2}
arrivals: {pattern: poisson, rate: 170/h}
lanes:
  - {name: tills, count: 2, line: per_till, queue: {capacity: 3, when_full: balk}}
  - {name: express, count: 1, max_items: 4}
service_level: {target: 90s}
"""


def logged(text: str, seed: int = 5) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The run's summary as logged in run_finished, and every event."""
    buffer = io.BytesIO()
    run(parse_scenario(text, "graded.yaml"), seed=seed, log=buffer)
    events = [orjson.loads(line) for line in buffer.getvalue().splitlines()]
    return events[-1], events


def test_service_level_recomputed_from_the_log_equals_the_summary() -> None:
    """Per segment, per group and for the shop: hits over arrivals (groups: over those who ended there)."""
    finished, events = logged(SHOP)
    target = 90.0
    last = next(e["last_customer"] for e in events if e["event"] == "warmup_ended")
    segment_of = {e["customer"]: e["segment"] for e in events if e["event"] == "customer_arrived"}
    arrived = Counter(segment for customer, segment in segment_of.items() if customer > last)
    hit = {e["customer"] for e in events if e["event"] == "checkout_started" and e["wait"] <= target}
    served_in = {e["customer"]: e["lane"] for e in events if e["event"] == "checkout_finished"}
    counted = [customer for customer in segment_of if customer > last]
    hits = Counter(segment_of[c] for c in counted if c in hit and c in served_in)
    lost_from = Counter(
        e["lane"]
        for e in events
        if e["event"] in ("customer_reneged", "customer_unserved") and e["customer"] > last and e["lane"]
    )
    ended = Counter(served_in[c] for c in counted if c in served_in) + lost_from
    lane_hits = Counter(served_in[c] for c in counted if c in hit and c in served_in)
    summary = finished
    outcomes = Counter(e["event"] for e in events if e.get("customer", 0) > last)
    assert outcomes["customer_balked"] > 0 and outcomes["customer_reneged"] > 0  # every kind of miss is here
    assert summary["service_level"] == sum(hits.values()) / sum(arrived.values())
    for name in ("hurried", "calm"):
        assert summary["segments"][name]["service_level"] == hits[name] / arrived[name]
    for lane in ("tills", "express"):
        assert summary["lanes"][lane]["service_level"] == lane_hits[lane] / ended[lane]
    assert 0 < summary["service_level"] < 1


def test_the_duckdb_recipe_gives_the_summary_figure(tmp_path: Path) -> None:
    """docs/analysis.md's DuckDB service-level query, on a log without a warm-up, equals the summary."""
    duckdb = pytest.importorskip("duckdb")
    from test_analysis_docs import recipes

    text = SHOP.replace("warmup: 20m\n", "")
    buffer = io.BytesIO()
    summary = run(parse_scenario(text, "graded.yaml"), seed=8, log=buffer)
    (tmp_path / "run.jsonl").write_bytes(buffer.getvalue())
    query = recipes()["duckdb service-level"].replace("run.jsonl", str(tmp_path / "run.jsonl"))
    rows = dict(duckdb.sql(query).fetchall())
    assert summary.service_level is not None and summary.segments["calm"].service_level is not None
    assert rows["calm"] == pytest.approx(summary.segments["calm"].service_level, rel=1e-12)
    assert rows["hurried"] == pytest.approx(summary.segments["hurried"].service_level, rel=1e-12)


def test_a_target_of_zero_is_the_share_served_without_waiting() -> None:
    """target 0s: a hit is a customer who never waited (nobody is lost in this shop)."""
    text = """
name: zero
arrivals: {pattern: poisson, rate: 2.2/min, limit: 3000}
products: [{name: s, checkout_time: {dist: exponential, mean: 1min}}]
cashiers: {count: 3}
service_level: {target: 0s}
"""
    summary = run(parse_scenario(text, "zero.yaml"), seed=4)
    assert summary.served == summary.arrived
    assert summary.service_level == (summary.arrived - summary.waited) / summary.arrived


@pytest.mark.slow
def test_service_level_of_mmc_matches_erlang_c() -> None:
    """M/M/3 at rho 0.8: P(wait <= t) = 1 - C(c, a) exp(-(c mu - lambda) t), within a 99.9 % interval."""
    lam, mu, c, target = 2.4 / 60, 1 / 60, 3, 60.0
    text = f"""
name: mmc
arrivals: {{pattern: poisson, rate: 2.4/min, limit: 30000}}
products: [{{name: service, checkout_time: {{dist: exponential, mean: 1min}}}}]
cashiers: {{count: 3}}
service_level: {{target: {target:g}s}}
"""
    scenario = parse_scenario(text, "mmc.yaml")
    levels = [run(scenario, seed=seed).service_level for seed in range(1, 11)]
    expected = 1 - erlang_c(c, lam / mu) * math.exp(-(c * mu - lam) * target)
    mean, half = mean_interval([float(level) for level in levels if level is not None], 0.999)
    assert len(levels) == 10 and abs(mean - expected) <= half, (mean, half, expected)
    assert half < 0.05  # narrow enough to mean something


def test_without_a_target_nothing_changes_in_the_log() -> None:
    """A scenario without service_level logs no service_level key anywhere (old scripts see old logs)."""
    finished, _ = logged(SHOP.replace("service_level: {target: 90s}\n", ""))
    summary = finished
    assert "service_level" not in summary
    assert all("service_level" not in figures for figures in summary["segments"].values())
    assert all("service_level" not in figures for figures in summary["lanes"].values())


def test_goals_name_the_service_level_and_any_percentile(capfd: pytest.CaptureFixture[str]) -> None:
    """--goal 'service_level >= 0.8' and 'wait_p80 <= 1m' judge a sweep; the cheapest meets both."""
    bank = SCENARIOS / "bank.yaml"
    code = main(
        [
            str(bank),
            "--set",
            "service_level.target=2m",
            "--sweep",
            "cashiers.count=1..4",
            "--replications",
            "3",
            "--goal",
            "service_level >= 0.8",
            "--goal",
            "wait_p80 <= 2m",
            "--log",
            "none",
        ]
    )
    err = capfd.readouterr().err
    assert code == 0, err
    assert "service_level >= 0.8" in err and "wait_p80 <= 2m" in err
    assert "cheapest variant meeting every goal" in err


def test_a_bad_target_is_one_line(capfd: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(SHOP.replace("target: 90s", "target: soon"))
    assert main([str(path)]) == 2
    out, err = capfd.readouterr()
    assert out == ""
    assert err.strip().splitlines() == [
        f"{path}:14:25: service_level.target: cannot read 'soon' as a duration "
        "(units: ms, s, sec, m, min, h, hr, d)"
    ]
