"""Figures per interval: each interval recomputed from the event log, the intervals adding up to
the run, and a stationary day against Erlang C interval by interval."""

from __future__ import annotations

import io
import math
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import orjson
import pytest

from checkout_sim import parse_scenario, run
from checkout_sim.analysis.confidence import mean_interval
from checkout_sim.analysis.theory import erlang_c
from checkout_sim.cli import main

#: A busy day with a manager opening extra tills (so the tills staffed change within
#: intervals), impatient shoppers, a bounded line that turns people away, two groups
#: (one with a line per till), and a drain after closing.
DAY = """
name: day
duration: 3h
products: [{name: item, checkout_time: {dist: exponential, mean: 12s}}]
basket: {items: {dist: uniform_int, low: 1, high: 8}}
segments:
  - {name: hurried, share: 1, patience: {dist: exponential, mean: 3m}}
  - {name: calm, share: 2}
arrivals:
  pattern: schedule
  phases: [{until: 1h, rate: 120/h}, {until: 2h, rate: 260/h}, {until: 3h, rate: 150/h}]
lanes:
  - name: tills
    count: 2
    line: per_till
    queue: {capacity: 2, when_full: balk}
    scaling: {max: 4, open_at: 2, close_at: 1}
  - {name: express, count: 1, max_items: 4}
service_level: {target: 1m}
intervals: 20m
"""


def logged(text: str, seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    """(every event, the interval_finished lines, the run_finished line) of one run."""
    buffer = io.BytesIO()
    run(parse_scenario(text, "day.yaml"), seed=seed, log=buffer)
    events = [orjson.loads(line) for line in buffer.getvalue().splitlines()]
    return events, [e for e in events if e["event"] == "interval_finished"], events[-1]


def test_each_interval_recomputed_from_the_log() -> None:
    """Counts, waits and service level by the customers' arrival interval; tills and lane-hours
    from the cashiers' opening and closing; every interval written once its customers have left."""
    events, intervals, finished = logged(DAY, seed=3)
    length = 1200.0
    arrival = {e["customer"]: e["t"] for e in events if e["event"] == "customer_arrived"}
    number = {customer: int(t // length) for customer, t in arrival.items()}
    counts: dict[str, Counter[int]] = defaultdict(Counter)
    waits: dict[int, list[float]] = defaultdict(list)
    for e in events:
        kind = e["event"].removeprefix("customer_").removeprefix("checkout_")
        if kind in ("arrived", "balked", "reneged", "unserved"):
            counts[kind][number[e["customer"]]] += 1
        elif e["event"] == "checkout_started":
            counts["served"][number[e["customer"]]] += 1
            waits[number[e["customer"]]].append(e["wait"])
    # Open tills over time, from the log alone.
    changes = [
        (e["t"], 1 if e["event"] == "cashier_opened" else -1)
        for e in events
        if e["event"].startswith("cashier_")
    ]
    assert len({t for t, _ in changes}) > 3  # the manager opened and closed tills during the day
    end_of_run = finished["elapsed"]
    assert len(intervals) == math.ceil(end_of_run / length)
    for index, line in enumerate(intervals):
        start, end = index * length, min((index + 1) * length, end_of_run)
        assert (line["start"], line["end"]) == (start, end)
        for kind in ("arrived", "served", "balked", "reneged", "unserved"):
            assert line[kind] == counts[kind][index], (index, kind)
        served = waits[index]
        assert line["wait_mean"] == (
            pytest.approx(math.fsum(served) / len(served), rel=1e-9) if served else None
        )
        hits = sum(wait <= 60.0 for wait in served)
        assert line["service_level"] == (hits / line["arrived"] if line["arrived"] else None)
        area, tills, since = 0.0, 0, 0.0
        for t, change in changes:
            area += tills * max(0.0, min(t, end) - max(since, start))
            tills, since = tills + change, t
        area += tills * max(0.0, end - max(since, start))
        assert line["lane_hours"] == pytest.approx(area / 3600.0, rel=1e-9, abs=1e-12)
        assert line["tills"] == pytest.approx(area / (end - start), rel=1e-9)
        # Written once its end has passed and its last customer has left.
        gone = [
            e["t"]
            for e in events
            if number.get(e.get("customer", -1)) == index and e["event"] != "customer_arrived"
        ]
        assert line["t"] >= max([end, *gone])


def test_intervals_add_up_to_the_run() -> None:
    """Arrivals, outcomes, lane-hours and busy time of the intervals add up to the run's;
    the groups' to the shop's."""
    for seed in (1, 2, 5):  # runs in which someone balked, reneged and the manager opened tills
        _, intervals, finished = logged(DAY, seed)
        assert finished["balked"] > 0 and finished["reneged"] > 0  # every way of leaving is in the sums
        assert finished["intervals"] == [
            {k: v for k, v in line.items() if k not in ("t", "event")} for line in intervals
        ]
        for kind in ("arrived", "served", "balked", "reneged", "unserved"):
            assert sum(line[kind] for line in intervals) == finished[kind], kind
        assert math.fsum(line["lane_hours"] for line in intervals) == pytest.approx(
            finished["lane_hours"], rel=1e-9
        )
        busy = math.fsum((line["utilisation"] or 0.0) * line["lane_hours"] for line in intervals)
        assert busy == pytest.approx(finished["utilisation"] * finished["lane_hours"], rel=1e-9)
        assert max(line["queue_length_max"] for line in intervals) == finished["queue_length_max"]
        for line in intervals:
            groups = line["lanes"].values()
            assert sum(g["served"] for g in groups) == line["served"]
            assert math.fsum(g["lane_hours"] for g in groups) == pytest.approx(
                line["lane_hours"], rel=1e-9, abs=1e-12
            )
            assert max(g["queue_length_max"] for g in groups) == line["queue_length_max"]


def test_a_scenario_without_intervals_logs_none() -> None:
    _, intervals, finished = logged(DAY.replace("intervals: 20m\n", ""), seed=1)
    assert intervals == [] and "intervals" not in finished


@pytest.mark.slow
def test_a_stationary_day_matches_erlang_c_interval_by_interval() -> None:
    """M/M/3 at rho 0.8, hour by hour for 8 hours: each hour's service level (after the first,
    which starts empty) against Erlang C's P(wait <= 1 min), within its 99.9 % interval."""
    lam, mu, c, target = 2.4 / 60, 1 / 60, 3, 60.0
    text = """
name: stationary
duration: 8h
arrivals: {pattern: poisson, rate: 2.4/min}
products: [{name: s, checkout_time: {dist: exponential, mean: 1min}}]
cashiers: {count: 3}
service_level: {target: 1m}
intervals: 1h
"""
    scenario = parse_scenario(text, "stationary.yaml")
    runs = [run(scenario, seed=seed).intervals for seed in range(1, 101)]
    expected = 1 - erlang_c(c, lam / mu) * math.exp(-(c * mu - lam) * target)
    pooled = []
    for hour in range(1, 8):
        levels = [float(intervals[hour]["service_level"]) for intervals in runs if intervals is not None]
        mean, half = mean_interval(levels, 0.999)
        assert abs(mean - expected) <= half, (hour, mean, half, expected)
        pooled.append(mean)
    per_run = [
        math.fsum(float(i[h]["service_level"]) for h in range(1, 8)) / 7 for i in runs if i is not None
    ]
    mean, half = mean_interval(per_run, 0.999)
    assert abs(mean - expected) <= half < 0.05, (mean, half, expected)


def test_the_interval_table_on_the_terminal(capfd: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """--intervals prints a row per interval (its arrivals as logged); with --replications, means ±CI;
    a scenario without intervals, or a sweep, is a usage error."""
    path = tmp_path / "day.yaml"
    path.write_text(DAY, encoding="utf-8")
    log = tmp_path / "day.jsonl"
    assert main([str(path), "--seed", "4", "--log", str(log), "--intervals"]) == 0
    lines = [orjson.loads(line) for line in log.read_bytes().splitlines()]
    intervals = [line for line in lines if line["event"] == "interval_finished"]
    table = capfd.readouterr().err.split("intervals of 20m00s, from opening")[1].splitlines()
    rows = [row.split() for row in table if row.startswith("  ") and row.split()[0][:2].isdigit()]
    assert [row[0] for row in rows] == [
        f"{int(i['start'] // 3600):02d}:{int(i['start'] % 3600 // 60):02d}" for i in intervals
    ]
    assert [int(row[2]) for row in rows] == [i["arrived"] for i in intervals]
    assert main([str(path), "--log", "none", "--intervals", "--replications", "3"]) == 0
    assert "means ±95% CI over 3 replications" in capfd.readouterr().err
    path.write_text(DAY.replace("intervals: 20m\n", ""), encoding="utf-8")
    assert main([str(path), "--log", "none", "--intervals"]) == 2
    assert capfd.readouterr().err.strip() == (
        "run-scenario: --intervals: the scenario has no intervals (add intervals: 1h, or --set intervals=1h)"
    )
    assert main([str(path), "--sweep", "lanes.0.count=1,2", "--intervals"]) == 2
    assert "--intervals does not go with --sweep" in capfd.readouterr().err


def test_goals_on_the_worst_interval(capfd: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """min_interval(service_level) judges a sweep by its worst interval (needs intervals, a known figure)."""
    path = tmp_path / "day.yaml"
    path.write_text(DAY, encoding="utf-8")
    goal = "min_interval(service_level) >= 0.5"
    assert (
        main(
            [
                str(path),
                "--sweep",
                "lanes.0.count=1,3",
                "--replications",
                "3",
                "--goal",
                goal,
                "--log",
                "none",
            ]
        )
        == 0
    )
    assert goal in capfd.readouterr().err
    assert (
        main([str(path), "--sweep", "lanes.0.count=1,3", "--goal", "min_interval(speed) >= 1", "--check"])
        == 2
    )
    assert "an interval has no figure 'speed'" in capfd.readouterr().err
    path.write_text(DAY.replace("intervals: 20m\n", ""), encoding="utf-8")
    assert main([str(path), "--sweep", "lanes.0.count=1,3", "--goal", goal, "--check"]) == 2
    assert "min_interval() needs intervals in the scenario" in capfd.readouterr().err


def test_the_duckdb_recipe_gives_the_summary_intervals(tmp_path: Path) -> None:
    """docs/analysis.md's per-interval query returns the summary's intervals, row by row."""
    duckdb = pytest.importorskip("duckdb")
    from test_analysis_docs import recipes

    buffer = io.BytesIO()
    summary = run(parse_scenario(DAY, "day.yaml"), seed=2, log=buffer)
    (tmp_path / "run.jsonl").write_bytes(buffer.getvalue())
    query = recipes()["duckdb per-interval"].replace("run.jsonl", str(tmp_path / "run.jsonl"))
    rows = duckdb.sql(query).fetchall()
    assert summary.intervals is not None and len(rows) == len(summary.intervals)
    for row, interval in zip(rows, summary.intervals, strict=True):
        lost = interval["balked"] + interval["reneged"] + interval["unserved"]
        expected = (interval["start"], interval["end"], interval["arrived"], interval["served"], lost)
        assert row[:5] == expected
        assert row[5:] == pytest.approx(
            tuple(
                interval[k]
                for k in ("wait_mean", "wait_p90", "tills", "lane_hours", "utilisation", "queue_length_max")
            )
        )
