"""The runner end to end: every scenario key changes the run the way the format says."""

from __future__ import annotations

import gc
import io
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import pytest

from checkout_sim import Scenario, Summary, load_scenario, run
from conftest import SCENARIOS, make_scenario
from logcheck import Run, check


def run_logged(scenario: Scenario, **options: Any) -> tuple[Summary, Run]:
    """Run with a log in memory and check the log's invariants."""
    buffer = io.BytesIO()
    summary = run(scenario, log=buffer, **options)
    return summary, check(buffer.getvalue(), scenario)


def test_minimal_scenario_serves_everyone() -> None:
    """A lightly loaded shop serves every arrival and drains before stopping."""
    summary, log = run_logged(make_scenario())
    assert summary.arrived > 0
    assert summary.served == summary.arrived
    assert log.summary["served"] == summary.served


def test_summary_matches_run_finished_event() -> None:
    """The returned summary is exactly what run_finished says."""
    summary, log = run_logged(make_scenario())
    finished = {k: v for k, v in log.summary.items() if k not in ("t", "event")}
    assert finished == summary.to_dict()


@pytest.mark.parametrize("pattern", ["poisson", "constant", "batch", "schedule"])
def test_each_arrival_pattern_runs(pattern: str) -> None:
    """Every arrival pattern produces a consistent run."""
    arrivals = {
        "poisson": {"pattern": "poisson", "rate": "2/min"},
        "constant": {"pattern": "constant", "rate": "2/min"},
        "batch": {"pattern": "batch", "every": "5min", "size": {"dist": "uniform_int", "low": 0, "high": 4}},
        "schedule": {
            "pattern": "schedule",
            "phases": [{"until": "30min", "rate": "1/min"}, {"until": "1h", "rate": "3/min"}],
        },
    }[pattern]
    summary, _ = run_logged(make_scenario(arrivals=arrivals, cashiers={"count": 2}))
    assert summary.arrived > 0 and summary.served == summary.arrived


def test_constant_arrivals_are_evenly_spaced_from_one_gap() -> None:
    """Constant arrivals come exactly every 1/rate seconds, the first one gap in."""
    _, log = run_logged(make_scenario(arrivals={"pattern": "constant", "rate": "1/min"}, duration="10min"))
    times = [e["t"] for e in log.of("customer_arrived")]
    assert times == [60.0 * k for k in range(1, 10)]  # 600 s is closing time: no arrival


def test_batch_arrivals_come_in_groups_on_the_grid() -> None:
    """Batches arrive at 0, every, 2*every, … with exactly `size` customers each."""
    arrivals = {"pattern": "batch", "every": "0.3s", "size": 3}
    _, log = run_logged(
        make_scenario(
            arrivals=arrivals,
            duration="3s",
            products=[{"name": "x", "checkout_time": "0.1s"}],
            cashiers={"count": 3},
        )
    )
    times = [e["t"] for e in log.of("customer_arrived")]
    assert times == [round(0.3 * k, 10) for k in range(10) for _ in range(3)]


def test_arrivals_limit_stops_after_that_many() -> None:
    """arrivals.limit caps the number of customers, with or without a duration."""
    summary, _ = run_logged(
        make_scenario(arrivals={"pattern": "poisson", "rate": "1/s", "limit": 25}, duration=None)
    )
    assert summary.arrived == 25
    summary, _ = run_logged(
        make_scenario(arrivals={"pattern": "batch", "every": "1s", "size": 4, "limit": 10}, duration=None)
    )
    assert summary.arrived == 10


def test_duration_stops_arrivals_and_line_drains() -> None:
    """No arrival at or after `duration`; with drain the run ends once everyone is served."""
    scenario = make_scenario(
        arrivals={"pattern": "constant", "rate": "1/s"},
        duration="10s",
        products=[{"name": "x", "checkout_time": "3s"}],
    )
    summary, log = run_logged(scenario)
    assert max(e["t"] for e in log.of("customer_arrived")) < 10.0
    assert summary.arrived == 9 and summary.served == 9
    assert summary.elapsed == pytest.approx(3.0 * 9 + 1.0)  # one till, 3 s each, first at t=1


def test_no_drain_closes_the_shop_at_duration() -> None:
    """drain: false sends everyone still in line home unserved at closing time."""
    scenario = make_scenario(
        arrivals={"pattern": "constant", "rate": "1/s"},
        duration="10s",
        drain=False,
        products=[{"name": "x", "checkout_time": "3s"}],
    )
    summary, log = run_logged(scenario)
    # Arrivals at 1..9 s, one till at 3 s each: customers 1-3 are served by t=10, when
    # the shop closes with 4..9 still in line (4 would have started at 10: too late).
    assert summary.served == 3 and summary.unserved == 6
    assert {e["t"] for e in log.of("customer_unserved")} == {10.0}
    assert summary.elapsed == 10.0


def test_no_drain_lets_the_customer_at_the_till_finish() -> None:
    """At closing time a customer already being served is finished, not sent away."""
    scenario = make_scenario(
        arrivals={"pattern": "constant", "rate": "1/s"},
        duration="10s",
        drain=False,
        products=[{"name": "x", "checkout_time": "4s"}],
    )
    summary, _ = run_logged(scenario)
    # served 1-5, 5-9, then customer 3 from 9 to 13; 4..9 unserved at 10.
    assert summary.served == 3 and summary.unserved == 6
    assert summary.elapsed == 13.0


def test_fifo_serves_in_arrival_order() -> None:
    """A FIFO line serves customers in the order they arrived."""
    _, log = run_logged(
        make_scenario(arrivals={"pattern": "poisson", "rate": "20/h"}, queue={"kind": "fifo"})
    )
    served = [e["customer"] for e in log.of("checkout_started")]
    assert served == sorted(served)


def test_lifo_serves_the_latest_arrival_first() -> None:
    """A LIFO line hands the cashier whoever joined last."""
    scenario = make_scenario(
        arrivals={"pattern": "batch", "every": "1h", "size": 5, "limit": 5},
        duration=None,
        queue={"kind": "lifo"},
    )
    _, log = run_logged(scenario)
    assert [e["customer"] for e in log.of("checkout_started")] == [1, 5, 4, 3, 2]


def test_priority_serves_lower_number_first_then_arrival_order() -> None:
    """A priority line serves priority 0 before 1, each in arrival order."""
    scenario = make_scenario(
        arrivals={"pattern": "batch", "every": "1h", "size": 12, "limit": 12},
        duration=None,
        segments=[{"name": "vip", "share": 1, "priority": 0}, {"name": "regular", "share": 2, "priority": 1}],
        queue={"kind": "priority"},
    )
    _, log = run_logged(scenario)
    segment = {e["customer"]: e["segment"] for e in log.of("customer_arrived")}
    order = [e["customer"] for e in log.of("checkout_started")]
    rest = order[1:]  # the first customer found the till free
    vips = [c for c in rest if segment[c] == "vip"]
    regulars = [c for c in rest if segment[c] == "regular"]
    assert vips and regulars
    assert rest == vips + regulars
    assert vips == sorted(vips) and regulars == sorted(regulars)


def test_balking_when_full_turns_arrivals_away() -> None:
    """when_full: balk turns away whoever finds the line at capacity."""
    scenario = make_scenario(
        arrivals={"pattern": "batch", "every": "1h", "size": 6, "limit": 6},
        duration=None,
        queue={"capacity": 2, "when_full": "balk"},
    )
    summary, log = run_logged(scenario)
    assert summary.balked == 3  # one at the till, two in line
    assert all(e["queue_length"] == 2 for e in log.of("customer_balked"))


def test_waiting_when_full_holds_the_producer() -> None:
    """when_full: wait blocks the arrival process: the next arrival comes a gap after it got in."""
    scenario = make_scenario(
        arrivals={"pattern": "constant", "rate": "1/s"},
        duration="8s",
        products=[{"name": "x", "checkout_time": "4s"}],
        queue={"capacity": 1, "when_full": "wait"},
    )
    summary, log = run_logged(scenario)
    assert summary.balked == 0
    times = [e["t"] for e in log.of("customer_arrived")]
    # t=1 served at once; t=2 waits in line; t=3 held at the door until t=5 (till frees);
    # the next arrival is one gap later, at t=6, held until t=9; then arrivals stop (8 s).
    assert times == [1.0, 2.0, 3.0, 6.0]
    assert summary.served == 4


def test_free_tills_take_a_whole_batch_before_the_line_counts_as_full() -> None:
    """A group arriving at once fills idle tills first, so nobody balks at an empty line."""
    scenario = make_scenario(
        arrivals={"pattern": "batch", "every": "1h", "size": 4, "limit": 4},
        duration=None,
        queue={"capacity": 1, "when_full": "balk"},
        cashiers={"count": 3},
    )
    summary, _ = run_logged(scenario)
    assert summary.balked == 0
    assert summary.queue_length_max == 1


def test_impatient_customers_renege_and_are_never_served() -> None:
    """A customer still in line when patience runs out leaves; the line shrinks at once."""
    scenario = make_scenario(
        arrivals={"pattern": "batch", "every": "1h", "size": 4, "limit": 4},
        duration=None,
        products=[{"name": "x", "checkout_time": "10s"}],
        segments=[{"name": "hasty", "patience": "15s"}],
    )
    summary, log = run_logged(scenario)
    # 1 served at once (0-10 s), 2 starts at 10 s (waited 10 < 15), 3 and 4 give up at 15 s.
    assert summary.served == 2 and summary.reneged == 2
    reneged = log.of("customer_reneged")
    assert [e["customer"] for e in reneged] == [3, 4]
    assert all(e["t"] == 15.0 and e["wait"] == 15.0 for e in reneged)


def test_patience_also_runs_out_at_the_door() -> None:
    """A customer held at the door by backpressure can give up there too."""
    scenario = make_scenario(
        arrivals={"pattern": "batch", "every": "1h", "size": 3, "limit": 3},
        duration=None,
        products=[{"name": "x", "checkout_time": "100s"}],
        segments=[{"name": "hasty", "patience": "30s"}],
        queue={"capacity": 1, "when_full": "wait"},
    )
    summary, log = run_logged(scenario)
    assert summary.reneged == 2
    # Both patiences started at arrival (t=0): the one in line and the one at the door.
    assert [(e["customer"], e["t"]) for e in log.of("customer_reneged")] == [(2, 30.0), (3, 30.0)]


def test_reneging_frees_a_place_for_a_customer_at_the_door() -> None:
    """When someone leaves a full line, the producer blocked on put() gets in."""
    scenario = make_scenario(
        arrivals={"pattern": "batch", "every": "1h", "size": 3, "limit": 3},
        duration=None,
        products=[{"name": "x", "checkout_time": "100s"}],
        segments=[{"name": "a", "share": 1, "patience": {"dist": "empirical", "values": [20]}}],
        queue={"capacity": 1, "when_full": "wait"},
    )
    summary, _ = run_logged(scenario)
    # 1 at the till; 2 in line reneges at 20 s; 3 (at the door since 0) got in at 20 s
    # and reneges at its own 20 s patience, which started at arrival: also t=20.
    assert summary.reneged == 2 and summary.served == 1


def test_scaling_opens_and_closes_extra_lanes() -> None:
    """The manager opens lanes up to max when the line reaches open_at, and they close again."""
    scenario = make_scenario(
        arrivals={
            "pattern": "schedule",
            "phases": [{"until": "30min", "rate": "3/min"}, {"until": "1h", "rate": "0.2/min"}],
        },
        products=[{"name": "x", "checkout_time": {"dist": "exponential", "mean": "1min"}}],
        cashiers={"count": 1, "scaling": {"max": 4, "open_at": 3, "close_at": 0}},
    )
    summary, log = run_logged(scenario)
    opened = log.of("cashier_opened")
    closed = log.of("cashier_closed")
    assert summary.lanes_max == 4
    extra_opens = [e for e in opened if e["t"] > 0]
    assert extra_opens and all(e["queue_length"] >= 3 for e in extra_opens)
    assert any(e["t"] < log.summary["t"] for e in closed), "an extra lane closed before the end"
    assert all(e["queue_length"] <= 0 for e in closed if e["t"] < log.summary["t"])


def test_lane_hours_add_up_the_time_each_lane_was_open() -> None:
    """lane_hours is the sum over lanes of (closed - opened), from the log's own events, in hours."""
    for path in (SCENARIOS / "black_friday.yaml", SCENARIOS / "corner_shop.yaml"):
        summary, log = run_logged(load_scenario(path))
        opened: dict[int, float] = {}
        total = 0.0
        for event in log.events:
            if event["event"] == "cashier_opened":
                opened[event["cashier"]] = event["t"]
            elif event["event"] == "cashier_closed":
                total += event["t"] - opened.pop(event["cashier"])
        assert not opened
        assert summary.lane_hours == pytest.approx(total / 3600, rel=1e-12)
        assert summary.lane_hours <= summary.lanes_max * summary.elapsed / 3600


def test_zero_items_still_pay_at_the_till() -> None:
    """A customer with an empty basket goes through the till for payment only."""
    scenario = make_scenario(basket={"items": 0}, cashiers={"count": 1, "payment_time": "7s"})
    summary, log = run_logged(scenario)
    assert summary.served == summary.arrived > 0
    assert {e["service"] for e in log.of("checkout_finished")} == {7.0}
    assert {e["items"] for e in log.of("checkout_finished")} == {0}


def test_service_time_is_sum_of_item_scans_plus_payment() -> None:
    """Service = sum of each item's checkout time + payment time, item by item."""
    scenario = make_scenario(
        products=[
            {"name": "a", "checkout_time": "2s", "popularity": 1},
            {"name": "b", "checkout_time": "0.5s", "popularity": 3},
        ],
        basket={"items": {"dist": "uniform_int", "low": 0, "high": 6}},
        cashiers={"count": 2, "payment_time": "1s"},
    )
    _, log = run_logged(scenario, item_events=True)
    scans: dict[int, list[dict[str, Any]]] = {}
    for event in log.of("item_scanned"):
        scans.setdefault(event["customer"], []).append(event)
    for finished in log.of("checkout_finished"):
        items = scans.get(finished["customer"], [])
        assert len(items) == finished["items"]
        assert {i["scan"] for i in items} <= {2.0, 0.5}
        assert all(i["scan"] == {"a": 2.0, "b": 0.5}[i["product"]] for i in items)
        assert finished["service"] == pytest.approx(sum(i["scan"] for i in items) + 1.0)


def test_item_events_do_not_change_the_run() -> None:
    """Asking for item events adds lines but changes no other event."""
    scenario = make_scenario(
        basket={"items": {"dist": "poisson", "mean": 3}}, arrivals={"pattern": "poisson", "rate": "2/min"}
    )
    plain, with_items = io.BytesIO(), io.BytesIO()
    run(scenario, log=plain)
    run(scenario, log=with_items, item_events=True)
    kept = [line for line in with_items.getvalue().splitlines() if b'"item_scanned"' not in line]
    assert kept == plain.getvalue().splitlines()


def test_segments_share_arrivals_and_override_baskets() -> None:
    """Segments split arrivals by share and may bring their own basket."""
    scenario = make_scenario(
        arrivals={"pattern": "poisson", "rate": "2/min"},
        duration="10h",
        cashiers={"count": 3},
        basket={"items": 1},
        segments=[{"name": "big", "share": 1, "basket": {"items": 5}}, {"name": "small", "share": 3}],
    )
    summary, log = run_logged(scenario)
    by_segment = {e["customer"]: (e["segment"], e["items"]) for e in log.of("customer_arrived")}
    assert {items for seg, items in by_segment.values() if seg == "big"} == {5}
    assert {items for seg, items in by_segment.values() if seg == "small"} == {1}
    big = summary.segments["big"].arrived
    n = summary.arrived
    # share 1/4 → binomial(n, 0.25): within 4 standard deviations
    assert abs(big - n / 4) < 4 * (n * 0.25 * 0.75) ** 0.5


def test_product_popularity_weights_the_basket() -> None:
    """Items are drawn from the catalogue in proportion to popularity."""
    scenario = make_scenario(
        products=[
            {"name": "rare", "checkout_time": 1, "popularity": 1},
            {"name": "common", "checkout_time": 1, "popularity": 9},
        ],
        basket={"items": 4},
        arrivals={"pattern": "poisson", "rate": "1/min"},
        duration="10h",
    )
    buffer = io.BytesIO()
    run(scenario, log=buffer, item_events=True)
    products = [e["product"] for e in check(buffer.getvalue(), scenario).of("item_scanned")]
    n, rare = len(products), products.count("rare")
    assert abs(rare - n / 10) < 4 * (n * 0.1 * 0.9) ** 0.5


def test_seed_argument_overrides_scenario_seed() -> None:
    """run(seed=…) wins over the scenario's seed, and is reported in the summary."""
    scenario = make_scenario(seed=5)
    assert run(scenario).seed == 5
    assert run(scenario, seed=9).seed == 9


def test_missing_seed_is_drawn_and_reported_for_replay() -> None:
    """Without any seed a fresh one is drawn; replaying with it gives the same log."""
    scenario = make_scenario(seed=None)
    first = io.BytesIO()
    summary = run(scenario, log=first)
    again = io.BytesIO()
    run(scenario, seed=summary.seed, log=again)
    assert first.getvalue() == again.getvalue()


def test_same_seed_gives_byte_identical_logs() -> None:
    """Same scenario and seed: the same bytes, for a scenario using every feature."""
    from checkout_sim import load_scenario
    from conftest import SCENARIOS

    scenario = load_scenario(SCENARIOS / "black_friday.yaml")
    logs = []
    for _ in range(2):
        buffer = io.BytesIO()
        run(scenario, log=buffer, item_events=True)
        logs.append(buffer.getvalue())
    assert logs[0] == logs[1]
    other = io.BytesIO()
    run(scenario, seed=scenario.seed + 1 if scenario.seed is not None else 1, log=other)
    assert other.getvalue() != logs[0]


def test_common_random_numbers_across_cashier_counts() -> None:
    """Changing only the cashiers leaves the customers exactly the same."""

    def arrivals_of(count: int) -> list[tuple[Any, ...]]:
        scenario = make_scenario(arrivals={"pattern": "poisson", "rate": "3/min"}, cashiers={"count": count})
        _, log = run_logged(scenario)
        return [(e["t"], e["customer"], e["segment"], e["items"]) for e in log.of("customer_arrived")]

    assert arrivals_of(4) == arrivals_of(5)


def test_utilisation_and_line_length_figures() -> None:
    """Deterministic case: utilisation and the time-average line length by hand."""
    # Two customers at t=0 (batch), 10 s each, one till, run ends at 20 s.
    scenario = make_scenario(
        arrivals={"pattern": "batch", "every": "1h", "size": 2, "limit": 2},
        duration=None,
        products=[{"name": "x", "checkout_time": "10s"}],
    )
    summary, _ = run_logged(scenario)
    assert summary.elapsed == 20.0
    assert summary.utilisation == 1.0
    assert summary.queue_length_mean == pytest.approx(10.0 / 20.0)  # one waited 10 of 20 s
    assert summary.queue_length_max == 1
    assert summary.wait_mean == 5.0 and summary.wait_max == 10.0
    assert summary.throughput_per_hour == pytest.approx(2 / 20 * 3600)


def test_runs_share_a_process_without_global_state() -> None:
    """Two runs in a row, one with a log and one without, give identical summaries."""
    scenario = make_scenario()
    assert run(scenario) == run(scenario, log=io.BytesIO())


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda path: path.stem)
def test_a_run_leaves_no_cyclic_garbage(path: Path) -> None:
    """A finished run is freed by reference counting: shop, tasks, pauses and customers make no cycle."""
    scenario = load_scenario(path)
    run(scenario, seed=1, log=io.BytesIO())  # imports and caches first
    gc.collect()
    gc.disable()
    try:
        run(scenario, seed=1, log=io.BytesIO())
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_garbage_is_collected_seldom_during_a_run_and_as_before_after() -> None:
    """During a run young collections wait for 50,000 new objects; afterwards the thresholds are as before."""
    from checkout_sim.runner import YOUNG_COLLECTION_THRESHOLD

    before = gc.get_threshold()
    during: list[tuple[int, int, int]] = []

    def watch(logger: object, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        during.append(gc.get_threshold())
        return event

    run(make_scenario(), log=io.BytesIO(), processors=[watch])
    assert during and set(during) == {(max(YOUNG_COLLECTION_THRESHOLD, before[0]), *before[1:])}
    assert gc.get_threshold() == before
