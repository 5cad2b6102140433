"""Lane groups: who may use which group, how customers choose, full lines, kiosks and their attendants."""

from __future__ import annotations

import io
import math
from collections import Counter, defaultdict
from typing import Any

import pytest

from checkout_sim import Scenario, parse_scenario, run
from checkout_sim.cli import main
from logcheck import check

SHOP = """
name: shop
seed: 3
duration: 2h
products:
  - {name: groceries, checkout_time: {dist: exponential, mean: 6s}}
basket:
  items: {dist: uniform_int, low: 1, high: 30}
segments:
  - {name: regular, share: 3}
  - name: quick
    share: 2
    basket: {items: {dist: uniform_int, low: 1, high: 8}}
    patience: {dist: exponential, mean: 6min}
arrivals: {pattern: poisson, rate: 200/h}
lanes:
  - name: tills
    count: 2
    payment_time: 20s
    queue: {capacity: 6, when_full: balk}
    scaling: {max: 4, open_at: 4, close_at: 1}
  - name: express
    count: 1
    max_items: 10
    queue: {capacity: 4, when_full: balk}
  - name: self-checkout
    count: 3
    scan_factor: 1.8
    payment_time: 25s
    attendants: 1
    assist: {probability: 0.3, time: {dist: exponential, mean: 40s}}
    segments: [quick]
"""


def logged(text: str, **options: Any) -> tuple[Scenario, Any, list[dict[str, Any]]]:
    """Run a scenario with its log; check the log's invariants; return scenario, summary and events."""
    scenario = parse_scenario(text)
    buffer = io.BytesIO()
    summary = run(scenario, log=buffer, **options)
    return scenario, summary, check(buffer.getvalue(), scenario).events


def replay_choices(
    scenario: Scenario, events: list[dict[str, Any]]
) -> list[tuple[str, dict[str, float], str | None]]:
    """At each arrival: (segment, people ahead per open till of each group open to the customer, joined).

    Rebuilt from the log alone: lines from arrivals/admissions and departures, busy
    tills from checkouts, open tills from cashier events.
    """
    assert scenario.lanes is not None
    waiting: Counter[str] = Counter()
    busy: Counter[str] = Counter()
    open_tills: Counter[str] = Counter()
    where: dict[int, str] = {}
    choices = []
    for event in events:
        kind = event["event"]
        if kind == "cashier_opened":
            open_tills[event["lane"]] += 1
        elif kind == "cashier_closed":
            open_tills[event["lane"]] -= 1
        elif kind == "customer_arrived":
            segment, items = event["segment"], event["items"]
            ahead = {
                lane.name: (waiting[lane.name] + busy[lane.name]) / open_tills[lane.name]
                for lane in scenario.lanes
                if lane.takes(segment, items)
                and (lane.queue.capacity is None or waiting[lane.name] < lane.queue.capacity)
            }
            choices.append((segment, ahead, event["lane"]))
            if event["lane"] is not None:
                waiting[event["lane"]] += 1
                where[event["customer"]] = event["lane"]
        elif kind == "customer_admitted":
            waiting[event["lane"]] += 1
            where[event["customer"]] = event["lane"]
        elif kind == "checkout_started":
            waiting[event["lane"]] -= 1
            busy[event["lane"]] += 1
        elif kind == "checkout_finished":
            busy[event["lane"]] -= 1
        elif kind in ("customer_reneged", "customer_unserved") and event["lane"] is not None:
            waiting[event["lane"]] -= 1
    return choices


def test_shortest_joins_the_group_with_fewest_ahead_per_open_till() -> None:
    """Replayed from the log: each arrival joined the group open to it with the fewest ahead per till."""
    scenario, summary, events = logged(SHOP)
    choices = replay_choices(scenario, events)
    assert len(choices) == summary.arrived > 300
    joined = 0
    for segment, ahead, lane in choices:
        if not ahead:
            assert lane is None  # every line open to them was full: they balked
            continue
        best = min(ahead.values())
        first_best = next(name for name, value in ahead.items() if value == best)  # ties: listed first
        assert lane == first_best, (segment, ahead, lane)
        joined += 1
    assert joined > 300
    assert {lane for _, _, lane in choices} >= {"tills", "express", "self-checkout"}


def test_only_customers_a_group_takes_reach_its_tills() -> None:
    """Express serves baskets of at most 10; self-checkout only the quick segment."""
    _, _, events = logged(SHOP)
    arrived = {e["customer"]: e for e in events if e["event"] == "customer_arrived"}
    for event in events:
        if event["event"] == "checkout_started":
            customer = arrived[event["customer"]]
            if event["lane"] == "express":
                assert customer["items"] <= 10
            if event["lane"] == "self-checkout":
                assert customer["segment"] == "quick"


def test_till_numbers_are_unique_in_the_shop_and_stable() -> None:
    """Tills 1-4 are the staffed group's, 5 express's, 6-8 the kiosks': a number always names one till."""
    _, _, events = logged(SHOP)
    lanes_of: dict[int, set[str]] = defaultdict(set)
    for event in events:
        if "cashier" in event:
            lanes_of[event["cashier"]].add(event["lane"])
    assert all(len(lanes) == 1 for lanes in lanes_of.values())
    numbers = {
        lane: sorted(n for n, lanes in lanes_of.items() if lane in lanes) for lane in ("tills", "express")
    }
    assert set(numbers["tills"]) <= {1, 2, 3, 4} and numbers["express"] == [5]
    assert {n for n, lanes in lanes_of.items() if "self-checkout" in lanes} == {6, 7, 8}


def test_the_summary_per_group_agrees_with_the_log() -> None:
    """Each group's served count, mean wait, tills open at most and assists match its events."""
    _, summary, events = logged(SHOP)
    assert summary.lanes is not None and set(summary.lanes) == {"tills", "express", "self-checkout"}
    for name, figures in summary.lanes.items():
        waits = [e["wait"] for e in events if e["event"] == "checkout_started" and e["lane"] == name]
        assert figures.served == len(waits)
        assert figures.wait_mean == pytest.approx(math.fsum(waits) / len(waits), rel=1e-9)
        assert figures.wait_max == max(waits)
    assert summary.lanes["express"].tills_max == 1 and summary.lanes["self-checkout"].tills_max == 3
    assists = [e for e in events if e["event"] == "assist_finished"]
    kiosk = summary.lanes["self-checkout"]
    assert kiosk.assists == len(assists) > 0
    waits = [e["wait"] for e in events if e["event"] == "assist_started"]
    assert kiosk.assist_wait_mean == pytest.approx(math.fsum(waits) / len(waits), rel=1e-9)
    assert kiosk.attendant_utilisation == pytest.approx(
        math.fsum(e["assist"] for e in assists) / summary.elapsed, rel=1e-9
    )
    assert summary.lanes["tills"].assists is None and summary.lanes["tills"].attendant_utilisation is None


def test_a_kiosk_waits_for_the_attendant_and_the_help_is_part_of_its_service() -> None:
    """Constant times, help for all: service = 1.8 × scans + wait for the attendant + help + payment."""
    text = """
name: kiosks
seed: 1
duration: 10min
products: [{name: x, checkout_time: 10s}]
arrivals: {pattern: constant, rate: 6/min}
lanes:
  - {name: kiosks, count: 3, scan_factor: 1.8, payment_time: 5s, attendants: 1,
     assist: {probability: 1, time: 30s}}
"""
    _, _, events = logged(text)
    helped = {e["customer"]: e for e in events if e["event"] == "assist_started"}
    finished = [e for e in events if e["event"] == "checkout_finished"]
    assert len(finished) == len(helped) > 10
    assert any(e["wait"] > 0 for e in helped.values())  # one attendant for three kiosks: some wait
    for event in finished:
        assert event["service"] == pytest.approx(18.0 + helped[event["customer"]]["wait"] + 30.0 + 5.0)
    order = [e["event"] for e in events if e.get("customer") == finished[0]["customer"]]
    assert order == [
        "customer_arrived",
        "checkout_started",
        "assist_requested",
        "assist_started",
        "assist_finished",
        "checkout_finished",
    ]


def test_prefer_takes_the_first_listed_group_with_room() -> None:
    """VIPs prefer the express lane, then the tills: they go to express unless its line is full."""
    text = SHOP.replace(
        "  - {name: regular, share: 3}", "  - {name: regular, share: 3, prefer: [express, tills]}"
    )
    scenario, _, events = logged(text)
    for segment, ahead, lane in replay_choices(scenario, events):
        if segment == "regular" and lane is not None:
            assert lane == ("express" if "express" in ahead else "tills")


def test_random_choice_is_reproducible_and_uses_every_group() -> None:
    """choice: random draws from the run's own stream: one seed, one log; all groups open get customers."""
    text = SHOP.replace("  - {name: regular, share: 3}", "  - {name: regular, share: 3, choice: random}")
    first, second = io.BytesIO(), io.BytesIO()
    run(parse_scenario(text), log=first)
    run(parse_scenario(text), log=second)
    assert first.getvalue() == second.getvalue()
    _, _, events = logged(text)
    regular = {e["lane"] for e in events if e["event"] == "customer_arrived" and e["segment"] == "regular"}
    assert regular >= {"tills", "express"}


def test_a_customer_waits_at_the_door_only_when_every_group_open_to_them_is_full() -> None:
    """Two small lines that hold at the door: held customers are admitted to whichever frees first."""
    text = """
name: door
seed: 2
duration: 1h
products: [{name: x, checkout_time: {dist: exponential, mean: 40s}}]
arrivals: {pattern: poisson, rate: 240/h}
lanes:
  - {name: a, count: 1, queue: {capacity: 2, when_full: wait}}
  - {name: b, count: 1, queue: {capacity: 1, when_full: wait}}
"""
    _, summary, events = logged(text)
    admitted = [e for e in events if e["event"] == "customer_admitted"]
    held = [e for e in events if e["event"] == "customer_arrived" and e["lane"] is None]
    assert len(admitted) == len(held) > 10 and summary.balked == 0
    assert {e["lane"] for e in admitted} == {"a", "b"}
    for event in held:  # nobody is held while a line open to them has room
        assert event["queue_length"] in (1, 2)  # the shortest line open to them, full


def test_the_command_shows_one_row_per_group(capfd: pytest.CaptureFixture[str], tmp_path: Any) -> None:
    """The terminal summary has a row per lane group with its waits, tills and line."""
    path = tmp_path / "shop.yaml"
    path.write_text(SHOP)
    assert main([str(path), "--log", "none"]) == 0
    err = capfd.readouterr().err
    for name in ("tills", "express", "self-checkout"):
        assert any(
            line.startswith(f"  lane {name} ") and "till-hours" in line for line in err.splitlines()
        ), err


def test_the_report_has_waits_and_tills_per_lane_group(
    capfd: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    """The report's lane table gives each group's served count, waits and tills as the summary has them."""
    pytest.importorskip("matplotlib")
    import json
    import re

    path, report = tmp_path / "shop.yaml", tmp_path / "report.html"
    path.write_text(SHOP)
    assert main([str(path), "--log", "none", "--quiet", "--report", str(report)]) == 0
    cells = re.findall(
        r'data-lane="([^"]+)" data-figure="([a-z_0-9]+)" data-value="([^"]*)"', report.read_text()
    )
    shown = {(lane, figure): json.loads(value.replace("&quot;", '"')) for lane, figure, value in cells}
    summary = run(parse_scenario(SHOP))
    assert summary.lanes is not None
    for name, figures in summary.lanes.items():
        for figure in (
            "served",
            "wait_mean",
            "wait_p90",
            "tills_max",
            "utilisation",
            "lane_hours",
            "assists",
        ):
            assert shown[(name, figure)] == getattr(figures, figure), (name, figure)


THINNED = """
name: split
duration: 150h
warmup: 5h
products: [{name: x, checkout_time: {dist: exponential, mean: 1min}}]
segments:
  - {name: big, share: 2}
  - {name: small, share: 1, basket: {items: 1}}
arrivals: {pattern: poisson, rate: 2.4/min}
lanes:
  - {name: tills, count: 2, segments: [big]}
  - {name: express, count: 1, scan_factor: 0.5, segments: [small]}
"""


@pytest.mark.slow
def test_groups_fed_by_their_own_segments_are_the_textbook_queues() -> None:
    """Segments split a Poisson stream: tills are M/M/2 at 1.6/min, express M/M/1 at 0.8/min, 30 s service.

    Erlang C and M/M/1 are computed here; each lies in the 99.9 % interval of 10 replications.
    """
    from checkout_sim.analysis.confidence import mean_interval
    from checkout_sim.analysis.theory import erlang_c, predict

    scenario = parse_scenario(THINNED)
    lam_tills, lam_express = 2.4 / 60 * 2 / 3, 2.4 / 60 / 3
    tills_wait = erlang_c(2, lam_tills * 60) / (2 / 60 - lam_tills)
    express_wait = (lam_express * 30) / (1 / 30 - lam_express)  # rho / (mu - lambda)
    prediction = predict(scenario)
    assert prediction.figures == pytest.approx(
        {
            "lane_wait_mean[tills]": tills_wait,
            "lane_utilisation[tills]": lam_tills * 60 / 2,
            "lane_wait_mean[express]": express_wait,
            "lane_utilisation[express]": lam_express * 30,
        }
    )
    summaries = [run(scenario, seed=seed) for seed in range(1, 11)]
    for name, expected in prediction.figures.items():
        lane, figure = name[name.index("[") + 1 : -1], name[len("lane_") : name.index("[")]
        values = [getattr(summary.lanes[lane], figure) for summary in summaries if summary.lanes]
        mean, half = mean_interval(values, 0.999)
        assert abs(mean - expected) <= half, (name, mean, half, expected)


def test_groups_that_customers_choose_between_have_no_closed_form() -> None:
    """When a segment may use two groups, the streams depend on the lines: no prediction, and why."""
    from checkout_sim.analysis.theory import predict

    prediction = predict(parse_scenario(SHOP))
    assert prediction.figures == {}
    assert set(prediction.missing.values()) == {"customers choose among groups by line length"}


def test_set_and_sweep_reach_into_the_lanes() -> None:
    """--set lanes.1.count=3 changes a group; --sweep lanes.2.count=2..3 varies one; errors name the flag."""
    from checkout_sim import ScenarioError
    from checkout_sim.analysis import run_sweep

    assert parse_scenario(SHOP, "shop.yaml", ["lanes.1.count=3"]).tills()[1].count == 3
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(SHOP, "shop.yaml", ["lanes.1.max_items=0.5"])
    assert str(caught.value) == "--set lanes.1.max_items=0.5: lanes.1.max_items: expected a whole number"
    result = run_sweep(
        SHOP.replace("duration: 2h", "duration: 30min"),
        "shop.yaml",
        sweeps=["lanes.2.count=2..3"],
        replications=2,
        goals=["lane_wait_mean[self-checkout] <= 10m"],
        jobs=1,
    )
    assert [r.variant.settings for r in result.results] == [{"lanes.2.count": 2}, {"lanes.2.count": 3}]
    assert [r.variant.scenario.tills()[2].count for r in result.results] == [2, 3]
    assert (
        result.cheapest is not None and result.cheapest.variant.number == 1
    )  # fewer kiosks, fewer till-hours
