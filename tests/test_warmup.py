"""A warm-up leaves the start of a run out of its figures; batch means give one run an interval."""

from __future__ import annotations

import io
import math
import re

import pytest

from checkout_sim import load_scenario, parse_scenario, run
from checkout_sim.analysis.batch_means import FEWEST_BATCHES, batch_means
from checkout_sim.analysis.theory import predict
from checkout_sim.cli import main
from checkout_sim.observe.batches import Batches, Group
from conftest import SCENARIOS, TWO_GROUPS
from logcheck import check

SHOP = """
name: warm
seed: 5
duration: 3h
warmup: 1h
products: [{name: x, checkout_time: {dist: exponential, mean: 50s}}]
segments:
  - {name: calm, share: 3}
  - {name: hasty, share: 1, patience: {dist: exponential, mean: 2min}}
arrivals: {pattern: poisson, rate: 150/h}
queue: {capacity: 6, when_full: balk}
cashiers: {count: 2, scaling: {max: 3, open_at: 4, close_at: 1}}
"""


def test_the_figures_count_only_customers_after_the_warmup() -> None:
    """Counts, waits, Little's law and lane time agree with the log's customers after the boundary."""
    scenario = parse_scenario(SHOP)
    buffer = io.BytesIO()
    summary = run(scenario, log=buffer)
    log = check(buffer.getvalue(), scenario)  # counts, waits and Little's law over the window
    (boundary,) = log.of("warmup_ended")
    assert boundary["t"] == 3600.0 and summary.warmup == 3600.0
    assert 0 < boundary["last_customer"] < len(log.arrivals) and summary.arrived < len(log.arrivals)
    assert boundary["last_customer"] == max(c for c, e in log.arrivals.items() if e["t"] < 3600.0)
    assert log.summary["warmup"] == 3600.0
    # Lane time and busy time inside the window, from the cashier events.
    opened: dict[int, float] = {}
    lane_time = busy = 0.0
    starts: dict[int, float] = {}
    for event in log.events:
        kind, t = event["event"], event["t"]
        if kind == "cashier_opened":
            opened[event["cashier"]] = t
        elif kind == "cashier_closed":
            lane_time += max(0.0, t - max(opened.pop(event["cashier"]), 3600.0))
        elif kind == "checkout_started":
            starts[event["customer"]] = t
        elif kind == "checkout_finished":
            busy += max(0.0, t - max(starts[event["customer"]], 3600.0))
    assert summary.lane_hours == pytest.approx(lane_time / 3600, rel=1e-12)
    assert summary.utilisation == pytest.approx(busy / lane_time, rel=1e-12)
    span = summary.elapsed - 3600.0
    assert summary.throughput_per_hour == pytest.approx(summary.served / span * 3600, rel=1e-12)


def test_a_run_without_a_warmup_logs_what_it_always_did() -> None:
    """No warm-up: no warmup key in config, no boundary event, no warmup in run_finished."""
    scenario = load_scenario(SCENARIOS / "corner_shop.yaml")
    buffer = io.BytesIO()
    run(scenario, log=buffer)
    assert b"warmup" not in buffer.getvalue()
    explicit_zero = parse_scenario(SHOP.replace("warmup: 1h", "warmup: 0"))
    assert "warmup" not in explicit_zero.logged()
    assert parse_scenario(SHOP).logged()["warmup"] == 3600.0


def test_a_run_that_ends_before_the_warmup_reports_all_of_it() -> None:
    """Ten customers, all before the warm-up ends: the figures are the whole run's, from 0."""
    scenario = parse_scenario(
        SHOP.replace("duration: 3h\n", "").replace("rate: 150/h}", "rate: 150/h, limit: 10}")
    )
    buffer = io.BytesIO()
    summary = run(scenario, log=buffer)
    assert summary.arrived == 10 and summary.warmup == 0.0
    assert b"warmup_ended" not in buffer.getvalue()


def test_a_warmup_must_end_before_the_duration() -> None:
    """warmup: 3h with duration: 3h would count nobody: refused at its own line."""
    with pytest.raises(Exception, match=r"warmup: must end before the duration \(10800s\)"):
        parse_scenario(SHOP.replace("warmup: 1h", "warmup: 3h"))


def test_batches_split_busy_and_open_time_at_their_boundaries() -> None:
    """A busy stretch across two batches adds its overlap to each; customers go by arrival."""
    batches = Batches(100.0, 300.0, ["a"], count=2)  # [100, 200) and [200, 300)
    batches.open(0.0, 300.0, 2)
    batches.busy(150.0, 250.0)
    batches.served(0, 199.0, 10.0)
    batches.served(0, 200.0, 0.0)
    batches.lost(0, 250.0, "balked")
    batches.served(0, 50.0, 5.0)  # arrived during the warm-up: not counted
    sums = batches.sums()
    assert (sums[0].open, sums[1].open) == (200.0, 200.0)
    assert (sums[0].busy, sums[1].busy) == (50.0, 50.0)
    assert (sums[0].served, sums[0].waits, sums[1].served, sums[1].balked) == (1, 10.0, 1, 1)


def test_correlated_batches_are_merged_and_said_to_be() -> None:
    """Waits that climb steadily are correlated from batch to batch: merged to the fewest, flagged."""
    batches = Batches(0.0, 1000.0, ["a"], count=20)
    batches.open(0.0, 1000.0, 1)
    for second in range(1000):
        batches.served(0, float(second), float(second))
        batches.busy(float(second), second + 0.5)
    found = batch_means(batches)
    assert found.batches == FEWEST_BATCHES and not found.independent
    assert found.correlation > found.threshold == pytest.approx(1.6448536269514722 / math.sqrt(10))


def _binomial_cdf(k: int, n: int, p: float) -> float:
    return math.fsum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1))


@pytest.mark.slow
def test_batch_means_intervals_cover_the_mm1_truth_as_often_as_they_claim() -> None:
    """M/M/1 at utilisation 0.5, 60 seeds: the 95 % intervals hold the Pollaczek-Khinchine wait.

    The count of intervals that cover it must not be below what a true 95 % coverage
    gives with probability 0.999 (binomial, computed here).
    """
    scenario = parse_scenario(
        "name: mm1\nduration: 10000s\nwarmup: 500s\n"
        "products: [{name: x, checkout_time: {dist: exponential, mean: 1s}}]\n"
        "arrivals: {pattern: poisson, rate: 0.5}\ncashiers: {count: 1}\n"
    )
    truth = predict(scenario).figures
    assert truth["wait_mean"] == pytest.approx(1.0)  # rho / (mu - lambda) = 0.5 / 0.5
    runs = 60
    floor = next(k for k in range(runs + 1) if _binomial_cdf(k, runs, 0.95) > 0.001)
    covered = dict.fromkeys(("wait_mean", "wait_probability", "utilisation"), 0)
    for seed in range(runs):
        batches = run(scenario, seed=seed, batch_means=True).batches
        assert batches is not None
        means = batch_means(batches)
        for figure in covered:
            covered[figure] += truth[figure] in means.intervals[figure]
    assert all(count >= floor for count in covered.values()), (covered, floor)


def test_the_shipped_bank_lands_within_its_one_run_intervals(capfd: pytest.CaptureFixture[str]) -> None:
    """bank.yaml --compare-theory: one run, batch means, every figure within its interval."""
    assert main([str(SCENARIOS / "bank.yaml"), "--compare-theory", "--log", "none", "--quiet"]) == 0
    err = capfd.readouterr().err
    assert re.search(r"one run: \d+ batch means of \S+ each from 10h00m; lag-1 correlation", err), err
    rows = [line for line in err.splitlines() if line.strip().startswith(("wait_", "utilisation"))]
    assert len(rows) == 3 and all(row.endswith("within CI") for row in rows), err
    assert "still correlated" not in err
    assert "note:" not in err  # drain: true, but the batches end at the duration: no drain tail in them


def test_each_lane_group_gets_its_own_batch_figures_from_its_checkouts() -> None:
    """Per batch, each group's waits (by arrival) and busy till time (split at the boundaries)
    equal what the log's checkouts of that group's customers give, and its utilisation is that
    busy time over its fixed tills' open time. Those who came during the warm-up are in no group's
    figures (their segment is no longer known), only in the shop's busy time."""
    scenario = parse_scenario(TWO_GROUPS, overrides=["seed=4", "duration=10h", "warmup=1h"])
    buffer = io.BytesIO()
    batches = run(scenario, log=buffer, batch_means=True).batches
    assert batches is not None
    log = check(buffer.getvalue(), scenario)
    (boundary,) = log.of("warmup_ended")
    count, start, width = len(batches.sums()), batches.start, batches.width
    served = [[0, 0] for _ in range(count)]
    waits = [[0.0, 0.0] for _ in range(count)]
    busy = [[0.0, 0.0] for _ in range(count)]
    shop_busy = [0.0] * count
    began: dict[int, float] = {}
    group = {"tills": 0, "express": 1}
    for event in log.events:
        if event["event"] == "checkout_started":
            began[event["customer"]] = event["t"]
            arrival = event["t"] - event["wait"]
            index = math.floor((arrival - start) / width)
            if event["customer"] > boundary["last_customer"] and 0 <= index < count:
                served[index][group[event["lane"]]] += 1
                waits[index][group[event["lane"]]] += event["wait"]
        elif event["event"] == "checkout_finished":
            low, high = began.pop(event["customer"]), event["t"]
            for index in range(count):
                overlap = min(high, start + (index + 1) * width) - max(low, start + index * width)
                if overlap > 0:
                    shop_busy[index] += overlap
                    if event["customer"] > boundary["last_customer"]:
                        busy[index][group[event["lane"]]] += overlap
    groups = {"tills": Group((0,), 2), "express": Group((1,), 1)}
    for index, sums in enumerate(batches.sums()):
        assert sums.segment_served == pytest.approx(served[index])
        assert sums.segment_waits == pytest.approx(waits[index], rel=1e-9)
        assert sums.segment_busy == pytest.approx(busy[index], rel=1e-9)
        assert sums.busy == pytest.approx(shop_busy[index], rel=1e-9)
        found = sums.figures(batches.segments, groups)
        for name, number in group.items():
            mean = waits[index][number] / served[index][number]
            assert found[f"lane_wait_mean[{name}]"] == pytest.approx(mean)
            utilisation = busy[index][number] / (groups[name].tills * width)
            assert found[f"lane_utilisation[{name}]"] == pytest.approx(utilisation)
    assert sum(shop_busy) > sum(map(sum, busy))  # the warm-up's customers served after it


def test_lane_group_intervals_are_cut_to_the_figure_range() -> None:
    """A group's utilisation interval is cut at 100 %, its wait interval is not cut above."""
    batches = Batches(0.0, 100.0, ["a"], count=10)
    for index in range(10):
        busy = 7.0 if index == 0 else 10.0  # one till, busy all the time but at first
        batches.served(0, index * 10.0, 100.0 * (index % 3))
        batches.busy(index * 10.0, index * 10.0 + busy, 0)
    found = batch_means(batches, groups={"g": Group((0,), 1)}).intervals
    assert found["lane_utilisation[g]"].high == 1.0 and found["lane_utilisation[g]"].cut
    assert found["lane_wait_mean[g]"].high > 100.0 and not found["lane_wait_mean[g]"].cut
