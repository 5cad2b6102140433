"""The event log: JSON lines pandas and DuckDB read without surprises, made per run."""

from __future__ import annotations

import io
import math
from collections import defaultdict
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import orjson
import pytest
import structlog

from checkout_sim import load_scenario, run
from conftest import SCENARIOS, make_scenario
from logcheck import EVENT_FIELDS, check

SUMMARY_TYPES = {
    "arrived": int,
    "served": int,
    "balked": int,
    "reneged": int,
    "unserved": int,
    "waited": int,
    "wait_mean": float,
    "wait_sd": float,
    "wait_p50": float,
    "wait_p90": float,
    "wait_p99": float,
    "wait_max": float,
    "queue_length_mean": float,
    "queue_length_max": int,
    "waiting_mean": float,
    "wait_mean_all": float,
    "utilisation": float,
    "throughput_per_hour": float,
    "lanes_max": int,
    "lane_hours": float,
    "elapsed": float,
    "seed": int,
    "interrupted": bool,
    "segments": dict,
}


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_key_keeps_one_type_across_the_log(path: Path) -> None:
    """Each key has one JSON type in every line (null allowed), no NaN, no date-like names."""
    scenario = load_scenario(path)
    buffer = io.BytesIO()
    run(scenario, log=buffer, item_events=True)
    raw = buffer.getvalue()
    assert b"NaN" not in raw and b"Infinity" not in raw
    log = check(raw, scenario)
    types: dict[str, set[str]] = defaultdict(set)
    for event in log.events:
        for key, value in event.items():
            if value is not None:
                types[key].add(type(value).__name__)
    assert {key: kinds for key, kinds in types.items() if len(kinds) > 1} == {}
    finished = log.summary
    optional: dict[str, type] = {"warmup": float} if scenario.warmup else {}  # only where it is used
    optional |= {"lanes": dict} if scenario.lanes is not None else {}
    switching = any(s.jockey for s in scenario.segments) and any(
        lane.line == "per_till" for lane in scenario.lanes or ()
    )
    optional |= {"jockeyed": int} if switching else {}
    optional |= {"service_level": float} if scenario.service_level is not None else {}
    optional |= {"intervals": list} if scenario.intervals is not None else {}
    if scenario.costs is not None:
        optional |= dict.fromkeys(("staff_cost", "lost_cost", "lost_sales", "revenue", "total_cost"), float)
    assert set(finished) == {"t", "event", *SUMMARY_TYPES, *optional}
    for key, kind in optional.items():
        assert type(finished[key]) is kind, key
    for key, kind in SUMMARY_TYPES.items():
        assert finished[key] is None or type(finished[key]) is kind, key
    for figures in finished["segments"].values():
        assert figures["wait_mean"] is None or isinstance(figures["wait_mean"], float)
    assert set(EVENT_FIELDS) >= {e["event"] for e in log.events} - {"run_finished"}


def test_run_started_describes_the_run() -> None:
    """The first line names the scenario, seed, clock, schema version and full settings."""
    scenario = make_scenario(seed=77)
    buffer = io.BytesIO()
    run(scenario, log=buffer)
    first = orjson.loads(buffer.getvalue().splitlines()[0])
    assert first == {
        "t": 0.0,
        "event": "run_started",
        "scenario": "test-shop",
        "seed": 77,
        "clock": "virtual",
        "schema_version": 1,
        "config": scenario.logged(),
    }


def test_no_wall_clock_in_the_virtual_log() -> None:
    """Nothing in a virtual-clock log depends on when it ran: two runs are byte-identical."""
    scenario = load_scenario(SCENARIOS / "classic_supermarket.yaml")
    first, second = io.BytesIO(), io.BytesIO()
    run(scenario, log=first)
    run(scenario, log=second)
    assert first.getvalue() == second.getvalue()


def test_structlog_global_configuration_is_untouched() -> None:
    """A run configures its own pipeline; structlog's global config stays as it was."""
    before = structlog.get_config()
    run(make_scenario(), log=io.BytesIO())
    assert structlog.get_config() == before


def test_user_processors_run_before_rendering() -> None:
    """Extra structlog processors see (and may change) every event."""

    def tag(logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        event_dict["store"] = "north"
        return event_dict

    buffer = io.BytesIO()
    run(make_scenario(), log=buffer, processors=[tag])
    lines = [orjson.loads(line) for line in buffer.getvalue().splitlines()]
    assert all(line["store"] == "north" for line in lines)
    assert all(list(line)[:2] == ["t", "event"] for line in lines)


def test_percentiles_are_within_the_stated_relative_error() -> None:
    """wait_p50/p90/p99 are within 0.5 % of the exact nearest-rank percentile of the waits."""
    scenario = load_scenario(SCENARIOS / "bank.yaml", ["duration=50h", "warmup=0"])
    buffer = io.BytesIO()
    summary = run(scenario, log=buffer)
    waits = sorted(e["wait"] for e in check(buffer.getvalue(), scenario).of("checkout_started"))
    for q, reported in ((0.5, summary.wait_p50), (0.9, summary.wait_p90), (0.99, summary.wait_p99)):
        exact = waits[max(1, math.ceil(q * len(waits))) - 1]
        assert reported is not None
        assert abs(reported - exact) <= 0.005 * exact + 1e-12, q


def test_processors_see_the_simulated_time_and_odd_values_are_rendered() -> None:
    """A user processor sees ``t``; values orjson cannot encode come out as __structlog__() or repr()."""

    class Shelf:
        def __repr__(self) -> str:
            return "<shelf 7>"

    class Till:
        def __structlog__(self) -> str:
            return "till-north"

    seen: list[float] = []

    def annotate(logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        seen.append(event_dict["t"])
        event_dict["shelf"] = Shelf()
        event_dict["till"] = Till()
        return event_dict

    buffer = io.BytesIO()
    run(make_scenario(), log=buffer, processors=[annotate])
    lines = [orjson.loads(line) for line in buffer.getvalue().splitlines()]
    assert seen == [line["t"] for line in lines]
    assert {(line["shelf"], line["till"]) for line in lines} == {("<shelf 7>", "till-north")}


def test_bound_fields_cannot_replace_the_time_or_the_event_name() -> None:
    """bind={"event": ...} or {"t": ...} is refused: every line's t and event are its own."""
    for key in ("event", "t"):
        with pytest.raises(ValueError, match=f"bind cannot set {key}: every line's own fields"):
            run(make_scenario(), log=io.BytesIO(), bind={key: "x", "store": "north"})


@pytest.mark.parametrize("with_processor", [False, True])
def test_hot_and_general_event_paths_write_the_same_lines(with_processor: bool) -> None:
    """record({...}) and emit(...) write the same bytes, context after event, with or without processors."""
    from checkout_sim.observe.eventlog import EventLog

    def tag(logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        event_dict["tagged"] = True
        return event_dict

    lines = []
    for hot in (False, True):
        buffer = io.BytesIO()
        log = EventLog(
            buffer, lambda: 12.5, processors=[tag] if with_processor else [], bind={"store": "north"}
        )
        if hot:
            log.record({"t": 12.5, "event": "checkout_started", "customer": 3, "wait": 0.25})
        else:
            log.emit("checkout_started", customer=3, wait=0.25)
        lines.append(buffer.getvalue())
    tagged = ',"tagged":true' if with_processor else ""
    expected = (
        '{"t":12.5,"event":"checkout_started","store":"north","customer":3,"wait":0.25' + tagged + "}\n"
    ).encode()
    assert lines == [expected, expected]
