"""Reads an event log back and checks everything the log promises about a run.

Used by many tests: whatever the scenario, the log must tell one consistent story.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson

from checkout_sim import Scenario
from checkout_sim.observe import events

#: Each event's fields and types, from the one definition (the summary is checked apart).
EVENT_FIELDS: dict[str, dict[str, type]] = {
    name: fields for name, fields in events.EVENT_FIELDS.items() if name != "run_finished"
}


def expected_fields(event: str, scenario: Scenario) -> dict[str, events.Field] | None:
    """The fields an event of this scenario has (those of settings it uses), by name; None: unknown."""
    definition = events.EVENTS.get(event)
    if definition is None or event == "run_finished":
        return None
    used = {"lanes"} if scenario.lanes is not None else set()
    if any(lane.line == "per_till" for lane in scenario.lanes or ()):
        used.add("per_till")
        if any(scenario.may_switch(segment) for segment in scenario.segments):
            used.add("jockey")
    if any(lane.roster is not None or lane.breaks is not None for lane in scenario.tills()):
        used.add("staffing")
    used |= {
        name
        for name, value in (
            ("service_level", scenario.service_level),
            ("intervals", scenario.intervals),
            ("costs", scenario.costs),
        )
        if value is not None
    }
    return {
        field.name: field for field in definition.fields if field.only_with is None or field.only_with in used
    }


OUTCOMES = ("customer_balked", "customer_reneged", "customer_unserved", "checkout_finished")

#: Floating-point slack when adding simulated times back up.
EPS = 1e-6


@dataclass
class Run:
    """The parsed events of one run and what the checks found."""

    events: list[dict[str, Any]]
    arrivals: dict[int, dict[str, Any]] = field(default_factory=dict)
    starts: dict[int, dict[str, Any]] = field(default_factory=dict)
    outcomes: dict[int, str] = field(default_factory=dict)

    @property
    def summary(self) -> dict[str, Any]:
        return self.events[-1]

    def of(self, event: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["event"] == event]


def parse(raw: bytes) -> list[dict[str, Any]]:
    """One dict per line; every line must be a whole JSON object."""
    assert raw.endswith(b"\n"), "the log must end with a whole line"
    return [orjson.loads(line) for line in raw.splitlines()]


def check(raw: bytes, scenario: Scenario) -> Run:
    """Parse a log and assert every invariant of a finished run; return the parsed run."""
    events = parse(raw)
    run = Run(events)
    assert events[0]["event"] == "run_started"
    assert events[-1]["event"] == "run_finished"
    last_t = 0.0
    for event in events:
        assert list(event)[:2] == ["t", "event"], event
        assert isinstance(event["t"], float) and math.isfinite(event["t"])
        assert event["t"] >= last_t - EPS, "time never runs backwards"
        last_t = event["t"]
        for key in event:
            assert not key.endswith(("_time", "_at")), key
        expected = expected_fields(event["event"], scenario)
        if expected is not None:
            assert set(event) == {"t", "event", *expected}, event
            for key, field in expected.items():
                assert type(event[key]) is field.type or (event[key] is None and field.nullable), (key, event)
    _check_customers(run, scenario)
    _check_cashiers(run, scenario)
    _check_summary(run)
    return run


def _check_customers(run: Run, scenario: Scenario) -> None:
    capacities = {lane.name: lane.queue.capacity for lane in scenario.tills()}
    capacity = scenario.queue.capacity
    per_till = {lane.name for lane in scenario.lanes or () if lane.line == "per_till"}
    line_of: dict[int, int | None] = {}  # with a line per till: the till whose line each customer is in
    for event in run.events:
        kind, customer = event["event"], event.get("customer", 0)
        if kind in ("customer_arrived", "customer_admitted") and per_till:
            assert (event["till"] is not None) == (event["lane"] in per_till), event
            line_of[customer] = event["till"]
        elif kind in {"customer_jockeyed", "customer_moved"}:
            assert line_of[customer] == event["from"] and event["to"] != event["from"], event
            line_of[customer] = event["to"]
        elif kind == "checkout_started" and line_of.get(customer) is not None:
            assert event["cashier"] == line_of[customer], "served at the till whose line they were in"
        if kind == "customer_arrived":
            assert customer == len(run.arrivals) + 1, "ids count up from 1 in arrival order"
            run.arrivals[customer] = event
            limit = capacities.get(event["lane"]) if event.get("lane") is not None else capacity
            if limit is not None:
                assert event["queue_length"] <= limit
        elif kind == "checkout_started":
            assert customer in run.arrivals and customer not in run.starts, "served once"
            assert customer not in run.outcomes
            run.starts[customer] = event
            assert abs(event["t"] - run.arrivals[customer]["t"] - event["wait"]) < EPS
            assert event["wait"] >= 0
        elif kind in OUTCOMES:
            assert customer not in run.outcomes, f"customer {customer} has two outcomes"
            run.outcomes[customer] = kind
            if kind == "checkout_finished":
                start = run.starts[customer]
                assert start["cashier"] == event["cashier"]
                assert abs(event["t"] - start["t"] - event["service"]) < EPS
                assert event["items"] == run.arrivals[customer]["items"]
            else:
                assert customer not in run.starts, "nobody leaves after reaching a till"
            if kind in ("customer_reneged", "customer_unserved"):
                assert abs(event["t"] - run.arrivals[customer]["t"] - event["wait"]) < EPS
    assert set(run.outcomes) == set(run.arrivals), "every arrival has exactly one outcome"


def _check_cashiers(run: Run, scenario: Scenario) -> None:
    open_lanes: set[int] = set()
    busy: dict[int, int] = {}
    tills = scenario.tills()
    most = sum(lane.most for lane in tills)
    # With a roster or breaks, how many are open changes (see test_roster); else never below the counts.
    constant = [lane.constant_count for lane in tills]
    count = 0 if None in constant else sum(c or 0 for c in constant)
    for event in run.events:
        kind = event["event"]
        if kind == "cashier_opened":
            assert event["cashier"] not in open_lanes
            open_lanes.add(event["cashier"])
            assert len(open_lanes) <= most
            assert 1 <= event["cashier"] <= most
        elif kind == "cashier_closed":
            assert event["cashier"] in open_lanes and event["cashier"] not in busy
            open_lanes.remove(event["cashier"])
        elif kind == "checkout_started":
            assert event["cashier"] in open_lanes and event["cashier"] not in busy, "one customer at a time"
            busy[event["cashier"]] = event["customer"]
        elif kind == "checkout_finished":
            assert busy.pop(event["cashier"]) == event["customer"]
        if run.events[0]["t"] < event["t"] < run.events[-1]["t"]:
            assert len(open_lanes) >= count
    assert not open_lanes and not busy, "every lane is closed at the end"


def _check_summary(run: Run) -> None:
    """The summary agrees with the events: of every customer, or those after the warm-up."""
    summary = run.summary
    boundary = run.of("warmup_ended")
    last = boundary[0]["last_customer"] if boundary else 0
    origin = boundary[0]["t"] if boundary else 0.0
    assert summary.get("warmup") == (origin if "warmup" in summary else None)
    counted = {customer: outcome for customer, outcome in run.outcomes.items() if customer > last}
    counts = Counter(counted.values())
    assert summary["arrived"] == len(counted)
    assert summary["served"] == counts["checkout_finished"]
    assert summary["balked"] == counts["customer_balked"]
    assert summary["reneged"] == counts["customer_reneged"]
    assert summary["unserved"] == counts["customer_unserved"]
    assert (
        summary["arrived"] == summary["served"] + summary["balked"] + summary["reneged"] + summary["unserved"]
    )
    waits = [start["wait"] for customer, start in run.starts.items() if customer > last]
    if waits:
        assert math.isclose(summary["wait_mean"], sum(waits) / len(waits), rel_tol=1e-9, abs_tol=1e-9)
        assert summary["wait_max"] == max(waits)
        assert summary["waited"] == sum(1 for wait in waits if wait > 0)
    else:
        assert summary["wait_mean"] is None and summary["wait_max"] is None
    assert summary["elapsed"] == summary["t"]
    if summary["arrived"]:
        gave_up = [
            e["wait"]
            for e in run.events
            if e["event"] in ("customer_reneged", "customer_unserved") and e["customer"] > last
        ]
        assert math.isclose(
            summary["wait_mean_all"],
            (math.fsum(waits) + math.fsum(gave_up)) / summary["arrived"],
            rel_tol=1e-9,
            abs_tol=1e-12,
        )
        # Little's law, exact on a sample path: the time-average number waiting (in line or
        # at the door) is everyone's waiting time inside the window, over the window's length.
        inside = math.fsum(
            max(0.0, left - max(run.arrivals[customer]["t"], origin))
            for customer, left in _left_waiting(run).items()
        )
        span = summary["elapsed"] - origin
        assert math.isclose(summary["waiting_mean"] * span, inside, rel_tol=1e-9, abs_tol=1e-9), (
            "Little's law"
        )


def _left_waiting(run: Run) -> dict[int, float]:
    """When each customer stopped waiting: reached a till, gave up, was sent home or balked."""
    left = {customer: start["t"] for customer, start in run.starts.items()}
    for event in run.events:
        if event["event"] in ("customer_reneged", "customer_unserved", "customer_balked"):
            left[event["customer"]] = event["t"]
    return left
