"""Rosters and breaks, checked from the event log (issue 21, items 2 and 3).

Each test runs a scenario with its log, reads back when each till opened and closed and
why (``reason``), and checks what the README promises: a roster's tills are open in its
windows, a closing till finishes its customer (and, with a line of its own, its line or
moves it), breaks never exceed ``at_once`` and come after ``every`` of work, a break is
paid in ``lane_hours`` but not staffed in ``utilisation``, nobody is lost, and a roster
equal to a constant count is the same run.
"""

from __future__ import annotations

import io
import itertools
import math
from collections import defaultdict
from typing import Any

import orjson
import pytest

from checkout_sim import Scenario, parse_scenario, run
from checkout_sim.cli import main
from logcheck import check

EPS = 1e-6

SHOP = """
name: staffed
seed: 11
duration: 3h
products: [{name: bread, checkout_time: {dist: exponential, mean: 40s}}]
arrivals: {pattern: poisson, rate: 4/min}
lanes:
  - name: tills
    roster: [{from: 0, open: 2}, {from: 1h, open: 5}, {from: 2h, open: 3}]
"""


def logged(text: str, *changes: str) -> tuple[Scenario, dict[str, Any], list[dict[str, Any]]]:
    """Run a scenario with its log, check the log's invariants; the scenario, summary and events."""
    scenario = parse_scenario(text, "staffed.yaml", changes)
    buffer = io.BytesIO()
    run(scenario, log=buffer)
    events = check(buffer.getvalue(), scenario).events
    return scenario, events[-1], events


def open_over_time(events: list[dict[str, Any]], *reasons: str) -> list[tuple[float, int]]:
    """(time, tills open just after it) at every opening or closing of a till whose reason is one of
    ``reasons`` (all, if none given); tills are counted by their own opening's reason."""
    counted: set[int] = set()
    steps, open_now = [], 0
    for event in events:
        if event["event"] == "cashier_opened" and (not reasons or event["reason"] in reasons):
            counted.add(event["cashier"])
            open_now += 1
        elif event["event"] == "cashier_closed" and event["cashier"] in counted:
            counted.discard(event["cashier"])
            open_now -= 1
        else:
            continue
        steps.append((event["t"], open_now))
    return steps


def open_at(steps: list[tuple[float, int]], t: float) -> int:
    """Tills open just after time ``t`` (every change at ``t`` included)."""
    found = 0
    for when, count in steps:
        if when > t:
            break
        found = count
    return found


def breaks_of(events: list[dict[str, Any]], *, unfinished: bool = False) -> list[tuple[int, float, float]]:
    """(cashier, start, end) of every break taken: closed for a break until opened from one; with
    ``unfinished``, also those still going on at the end of the run (ending then)."""
    away: dict[int, float] = {}
    found = []
    for event in events:
        if event.get("reason") != "break":
            continue
        if event["event"] == "cashier_closed":
            away[event["cashier"]] = event["t"]
        else:
            found.append((event["cashier"], away.pop(event["cashier"]), event["t"]))
    if unfinished:
        found += [(cashier, start, events[-1]["t"]) for cashier, start in away.items()]
    return found


def nobody_lost(summary: dict[str, Any]) -> None:
    assert summary["arrived"] > 0
    assert summary["arrived"] == (
        summary["served"] + summary["balked"] + summary["reneged"] + summary["unserved"]
    )


# --- rosters ------------------------------------------------------------------------------


@pytest.mark.parametrize("line", ["shared", "per_till"])
def test_a_rosters_tills_are_open_exactly_in_its_windows(line: str) -> None:
    """Going up, the tills open at the change; going down, each closing till finishes its customer
    (with a line of its own, its line) and takes nobody new; between changes nothing opens or closes."""
    scenario, summary, events = logged(SHOP, f"lanes.0.line={line}")
    roster = [(shift.start, shift.open) for shift in scenario.tills()[0].roster or ()]
    steps = open_over_time(events)
    end = summary["t"]
    assert all(event["reason"] == "roster" for event in events if event["event"].startswith("cashier_"))
    for (start, count), (until, _) in zip(roster, [*roster[1:], (end, 0)], strict=True):
        before = open_at(steps, start - EPS) if start > 0 else 0
        if count >= before:  # up: open at once
            assert open_at(steps, start) == count
        else:  # down: the idle ones close at once, the others when free; none opens
            assert count <= open_at(steps, start) <= before
        # by the end of the window (before the next change), exactly the roster's number
        assert open_at(steps, until - EPS) == count, (start, count)
    changes = {start for start, _ in roster}
    started: dict[int, dict[str, Any]] = {}
    served_at: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        if event["event"] == "checkout_started":
            served_at[event["cashier"]].append(event)
            started[event["customer"]] = event
    arrived = {event["customer"]: event for event in events if event["event"] == "customer_arrived"}
    for closed in (e for e in events if e["event"] == "cashier_closed" and e["t"] < end):
        change = max(start for start in changes if start <= closed["t"])
        taken = [e for e in served_at[closed["cashier"]] if change <= e["t"] <= closed["t"]]
        if line == "shared":
            assert all(e["t"] == change for e in taken), "nobody new after the roster closed it"
        else:  # whoever it serves after the change was in its own line before it
            assert all(arrived[e["customer"]]["t"] < change for e in taken if e["t"] > change)
        if closed["t"] > change:  # it was busy: it closed as its last checkout ended
            finished = [e for e in events if e["event"] == "checkout_finished" and e["t"] == closed["t"]]
            assert any(e["cashier"] == closed["cashier"] for e in finished)
    if line == "per_till":  # nobody joins the line of a closing till
        closing = {e["cashier"]: e["t"] for e in events if e["event"] == "cashier_closed" and e["t"] < end}
        for event in arrived.values():
            till = event["till"]
            assert till not in closing or not (max(c for c in changes if c <= closing[till]) <= event["t"])
    nobody_lost(summary)


def test_the_roster_closes_idle_tills_first_then_the_highest_numbered() -> None:
    """Going down from 5 to 3 at 2h: the tills that close are idle ones (closed at the change) if
    there are enough, else the busy ones with the highest numbers; the lowest-numbered stay."""
    for seed in range(1, 6):
        _, _, events = logged(SHOP, f"seed={seed}")
        at_till: dict[int, int] = {}
        idle_at_change: set[int] | None = None
        open_tills: set[int] = set()
        for event in events:
            if event["t"] >= 2 * 3600 and idle_at_change is None:
                idle_at_change = open_tills - set(at_till)
            kind = event["event"]
            if kind == "cashier_opened":
                open_tills.add(event["cashier"])
            elif kind == "cashier_closed":
                open_tills.discard(event["cashier"])
            elif kind == "checkout_started":
                at_till[event["cashier"]] = event["customer"]
            elif kind == "checkout_finished":
                del at_till[event["cashier"]]
        assert idle_at_change is not None
        closed = [
            e for e in events if e["event"] == "cashier_closed" and 2 * 3600 <= e["t"] < events[-1]["t"]
        ]
        closed_tills = {e["cashier"] for e in closed}
        assert len(closed_tills) == 2
        busy = {1, 2, 3, 4, 5} - idle_at_change
        expected = sorted(idle_at_change, reverse=True)[:2]
        expected += sorted(busy, reverse=True)[: 2 - len(expected)]
        assert closed_tills == set(expected), (seed, idle_at_change)
        for event in closed:
            assert (event["t"] == 2 * 3600) == (event["cashier"] in idle_at_change)


def test_on_close_move_sends_the_line_to_other_tills_and_finish_line_serves_it() -> None:
    """With a line at each till: under move, a closing till's waiting customers move at the change
    (customer_moved) and are served at the till they moved to; under finish_line, they are served
    by the closing till itself. Either way nobody is lost."""
    busy = [*("lanes.0.line=per_till", "arrivals.rate=7/min")]
    _, summary, events = logged(SHOP, *busy, "lanes.0.on_close=move")
    moved = [e for e in events if e["event"] == "customer_moved"]
    assert moved, "someone was waiting at a closing till"
    closing = {e["cashier"] for e in events if e["event"] == "cashier_closed" and e["t"] < events[-1]["t"]}
    starts = {e["customer"]: e for e in events if e["event"] == "checkout_started"}
    for event in moved:
        assert event["t"] == 2 * 3600 and event["from"] in closing and event["to"] not in closing
        assert starts[event["customer"]]["cashier"] == event["to"]
    nobody_lost(summary)
    _, summary, events = logged(SHOP, *busy)
    assert not [e for e in events if e["event"] == "customer_moved"]
    arrived = {e["customer"]: e for e in events if e["event"] == "customer_arrived"}
    finished_by_closing = [
        e
        for e in events
        if e["event"] == "checkout_started"
        and e["t"] > 2 * 3600
        and arrived[e["customer"]]["till"] == e["cashier"]
        and arrived[e["customer"]]["t"] < 2 * 3600
        and e["cashier"] in {c["cashier"] for c in events if c["event"] == "cashier_closed"}
    ]
    assert finished_by_closing, "the closing tills served their lines"
    nobody_lost(summary)


@pytest.mark.parametrize(
    ("count", "changes"),
    [
        (3, ["lanes.0.roster=null", "lanes.0.count=3"]),
        (3, ["lanes.0.roster=null", "lanes.0.count=3", "lanes.0.line=per_till"]),
        (2, ["lanes.0.roster=null", "lanes.0.count=2", "lanes.0.scaling={max: 5, open_at: 3}"]),
    ],
    ids=["shared", "per_till", "with a manager"],
)
def test_a_roster_equal_to_a_constant_count_is_the_same_run(count: int, changes: list[str]) -> None:
    """The same summary and, but for run_started's config and the reason field, the same log."""
    with_count = parse_scenario(SHOP, "staffed.yaml", changes)
    as_roster = parse_scenario(
        SHOP, "staffed.yaml", [*changes, "lanes.0.count=null", f"lanes.0.roster=[{{from: 0, open: {count}}}]"]
    )
    logs = []
    summaries = []
    for scenario in (with_count, as_roster):
        buffer = io.BytesIO()
        summaries.append(run(scenario, log=buffer).to_dict())
        check(buffer.getvalue(), scenario)
        logs.append(buffer.getvalue().splitlines()[1:])
    assert summaries[0] == summaries[1]
    assert summaries[0]["arrived"] > 500
    plain = [orjson.loads(line) for line in logs[1]]
    reasons = {e.pop("reason") for e in plain if e["event"].startswith("cashier_")}
    assert reasons <= {"roster", "scaling"}
    assert [orjson.loads(line) for line in logs[0]] == plain
    if "scaling" in changes[-1]:
        assert "scaling" in reasons, "the manager opened tills"
    assert all(b"reason" not in line for line in logs[0]), "no reason without a roster or breaks"


def test_the_manager_opens_extra_tills_above_the_roster_up_to_scaling_max() -> None:
    """With scaling, tills open for the manager (reason scaling) on top of the roster's, never
    more than scaling.max in all, and the roster's own are still open in its windows."""
    _scenario, summary, events = logged(
        SHOP, "arrivals.rate=9/min", "lanes.0.scaling={max: 6, open_at: 4, close_at: 1}"
    )
    everyone = open_over_time(events)
    assert max(count for _, count in everyone) <= 6
    assert any(e.get("reason") == "scaling" for e in events)
    assert any(
        e["event"] == "cashier_opened" and e["reason"] == "scaling" and e["t"] < 3600 for e in events
    ), "an extra till above the roster's 2"
    for start, count in [(0, 2), (3600, 5)]:
        assert open_at(everyone, start) >= count
    nobody_lost(summary)


# --- breaks -------------------------------------------------------------------------------

BREAKS = """
name: breaks
seed: 3
duration: 6h
products: [{name: bread, checkout_time: {dist: exponential, mean: 45s}}]
arrivals: {pattern: poisson, rate: 3/min}
cashiers:
  count: 4
  breaks: {every: 1h, length: 10min, at_once: 4}
"""


def work_stretches(events: list[dict[str, Any]]) -> dict[int, list[tuple[float, float, str]]]:
    """Each till's stretches of work: (opened, closed, why it closed)."""
    opened: dict[int, float] = {}
    stretches: dict[int, list[tuple[float, float, str]]] = defaultdict(list)
    for event in events:
        if event["event"] == "cashier_opened":
            opened[event["cashier"]] = event["t"]
        elif event["event"] == "cashier_closed":
            stretches[event["cashier"]].append((opened.pop(event["cashier"]), event["t"], event["reason"]))
    return stretches


def test_a_cashier_goes_on_break_when_due_and_free_and_comes_back_with_the_same_number() -> None:
    """With room for everyone's break at once: each break begins at the moment the cashier has
    worked ``every`` (if idle) or as the checkout under way then ends; it lasts ``length``; the
    till reopens with its number; every cashier gets one per ``every`` worked."""
    _, summary, events = logged(BREAKS)
    finished = defaultdict(list)
    for event in events:
        if event["event"] == "checkout_finished":
            finished[event["cashier"]].append((event["t"] - event["service"], event["t"]))
    stretches = work_stretches(events)
    taken = breaks_of(events)
    assert {cashier for cashier, _, _ in taken} == {1, 2, 3, 4}
    assert all(end - start == pytest.approx(600) for _, start, end in taken)
    end_of_run = summary["t"]
    for cashier, worked in stretches.items():
        for opened, closed, reason in worked:
            due = opened + 3600
            if reason == "break":
                serving = [(s, f) for s, f in finished[cashier] if s < due < f]
                assert closed == (serving[0][1] if serving else due), (cashier, opened)
            else:  # the end of the run: no break was due and untaken
                assert closed == end_of_run and closed - opened <= 3600 + max(
                    (f - s for s, f in finished[cashier]), default=0
                )
    nobody_lost(summary)


def test_breaks_never_exceed_at_once_and_everyone_gets_theirs_in_turn() -> None:
    """at_once: 1 of 4: never two away at once; a cashier waits at most for the others' breaks
    (and a checkout each) past the moment they were due; each gets a break per hour worked."""
    _, summary, events = logged(BREAKS, "cashiers.breaks.at_once=1")
    taken = sorted(breaks_of(events), key=lambda b: b[1])
    for (_, _, end), (_, start, _) in itertools.pairwise(taken):
        assert start >= end - EPS, "one away at a time"
    longest = max(e["service"] for e in events if e["event"] == "checkout_finished")
    for cashier, worked in work_stretches(events).items():
        for opened, closed, reason in worked:
            if reason == "break":
                assert closed >= opened + 3600
                assert closed <= opened + 3600 + 3 * (600 + longest) + longest, (cashier, opened)
        breaks = sum(1 for _, _, reason in worked if reason == "break")
        working = sum(closed - opened for opened, closed, _ in worked)
        assert breaks >= math.floor(working / (3600 + 4 * (600 + longest))), cashier
    nobody_lost(summary)


def test_breaks_begin_only_within_their_window() -> None:
    """between [1h30m, 3h]: no break begins outside it; one due before it waits for its start."""
    _, summary, events = logged(BREAKS, "cashiers.breaks.between=[1h30m, 3h]")
    taken = breaks_of(events)
    assert taken
    assert all(5400 <= start <= 3 * 3600 for _, start, _ in taken)
    firsts = [start for cashier, start, _ in taken if start == min(s for c, s, _ in taken if c == cashier)]
    assert any(start == 5400 for start in firsts), "an idle cashier due at 1h went at the window's start"
    nobody_lost(summary)


def test_a_break_is_paid_in_lane_hours_but_not_staffed_in_utilisation() -> None:
    """From the log: lane_hours = open till-time + break time; utilisation = service / open time;
    most open counts open tills only."""
    _scenario, summary, events = logged(BREAKS, "cashiers.breaks.at_once=2")
    open_time = math.fsum(closed - opened for w in work_stretches(events).values() for opened, closed, _ in w)
    break_time = math.fsum(end - start for _, start, end in breaks_of(events, unfinished=True))
    busy = math.fsum(e["service"] for e in events if e["event"] == "checkout_finished")
    assert break_time > 0
    assert summary["lane_hours"] * 3600 == pytest.approx(open_time + break_time, rel=1e-9)
    assert summary["utilisation"] == pytest.approx(busy / open_time, rel=1e-9)
    assert summary["lanes_max"] == 4
    steps = open_over_time(events)
    assert min(count for t, count in steps if 0 < t < summary["t"]) < 4, "a till was closed for a break"


def test_breaks_of_a_line_per_till_group_follow_on_close() -> None:
    """A cashier of a till with its own line serves that line before a break (finish_line), or
    sends it to the other tills (move); the lanes' group figures add breaks to lane_hours too."""
    lanes = [
        "cashiers=null",
        "lanes=[{name: tills, count: 4, line: per_till, breaks: {every: 1h, length: 10min, at_once: 2}}]",
        "arrivals.rate=4.5/min",
    ]
    _, summary, events = logged(BREAKS, *lanes)
    assert not [e for e in events if e["event"] == "customer_moved"]
    arrived = {e["customer"]: e for e in events if e["event"] == "customer_arrived"}
    for cashier, start, _ in breaks_of(events):
        line = [c for c, e in arrived.items() if e["till"] == cashier and e["t"] < start]
        served = {
            e["customer"] for e in events if e["event"] == "checkout_started" and e["cashier"] == cashier
        }
        assert set(line) <= served, "everyone who joined that line before the break was served there"
    group = summary["lanes"]["tills"]
    assert group["lane_hours"] == pytest.approx(summary["lane_hours"], rel=1e-12)
    nobody_lost(summary)
    _, summary, events = logged(BREAKS, *lanes, "lanes.0.on_close=move")
    moved = [e for e in events if e["event"] == "customer_moved"]
    assert moved
    for event in moved:  # the till they left goes on its break next, serving nobody new first
        after = [e for e in events if e["t"] >= event["t"] and e.get("cashier") == event["from"]]
        closed = next(e for e in after if e["event"] == "cashier_closed")
        assert closed["reason"] == "break"
        assert not any(
            e["event"] == "checkout_started" and e["t"] > event["t"] for e in after[: after.index(closed)]
        )
    starts = {e["customer"]: e["cashier"] for e in events if e["event"] == "checkout_started"}
    last_move = {e["customer"]: e["to"] for e in moved}
    assert all(starts[customer] == till for customer, till in last_move.items())
    nobody_lost(summary)


def test_a_roster_going_down_while_cashiers_are_on_break() -> None:
    """A break is never cut short; the roster closes open tills, and applies itself again as each
    cashier comes back, so by the time the breaks end the roster's number holds."""
    text = BREAKS.replace("  count: 4\n", "  roster: [{from: 0, open: 4}, {from: 1h05m, open: 1}]\n").replace(
        "at_once: 4", "at_once: 3"
    )
    _, summary, events = logged(text)
    taken = breaks_of(events)
    assert all(end - start == pytest.approx(600) for _, start, end in taken)
    assert any(start < 3900 < end for _, start, end in taken), "someone was away at the change"
    steps = open_over_time(events)
    back = max(end for _, start, end in taken if start < 3900)
    staffed_after = [count for t, count in steps if back < t < summary["t"]]
    assert staffed_after and all(count <= 1 for count in staffed_after[-3:])
    assert open_at(steps, back + 120) <= 1
    nobody_lost(summary)


# --- the command line -----------------------------------------------------------------------


def test_set_and_sweep_reach_a_rosters_entries(tmp_path: Any, capfd: pytest.CaptureFixture[str]) -> None:
    """--set changes an entry; --sweep 'lanes.0.roster.1.open=4..6' runs a variant per value, each
    staffing that many in the second window (lane_hours at least the roster's own till-hours)."""
    path = tmp_path / "staffed.yaml"
    path.write_text(SHOP, encoding="utf-8")
    assert main([str(path), "--set", "lanes.0.roster.1.open=4", "--log", "none", "--quiet"]) == 0
    args = [str(path), "--sweep", "lanes.0.roster.1.open=4..6", "--jobs", "1", "--quiet"]
    assert main(args) == 0
    lines = [orjson.loads(line) for line in capfd.readouterr().out.splitlines()]
    assert [line["settings"] for line in lines] == [{"lanes.0.roster.1.open": n} for n in (4, 5, 6)]
    for line, n in zip(lines, (4, 5, 6), strict=True):
        assert line["lane_hours"] >= 2 + n + 3 - 1e-9
        nobody_lost(line)
    assert main([str(path), "--set", "lanes.0.roster.1.open=0", "--check"]) == 2
    assert "lanes.0.roster.1.open: must be at least 1" in capfd.readouterr().err


def test_on_close_on_a_shared_line_is_a_warning(tmp_path: Any, capfd: pytest.CaptureFixture[str]) -> None:
    """on_close changes nothing where a group's tills share one line: a warning, not an error."""
    path = tmp_path / "shared.yaml"
    path.write_text(SHOP.replace("    roster:", "    on_close: move\n    roster:"), encoding="utf-8")
    assert main([str(path), "--check"]) == 0
    err = capfd.readouterr().err
    assert f"{path}:9:15: lanes.0.on_close: warning: has no effect on a shared line" in err
    assert main([str(path), "--check", "--set", "lanes.0.line=per_till"]) == 0
    assert "warning" not in capfd.readouterr().err


def test_theory_sees_a_roster_of_one_entry_as_its_count_and_nothing_in_a_changing_one() -> None:
    """--compare-theory: a roster constant over the day is the textbook model of its count (and,
    as the run is the same, so are the simulated figures); a roster that changes, or breaks, has
    no steady state to compare with."""
    from checkout_sim.analysis.theory import predict

    bank = "name: b\nduration: 10h\nproducts: [{name: x, checkout_time: {dist: exponential, mean: 1min}}]\n"
    bank += "arrivals: {pattern: poisson, rate: 2.4/min}\ncashiers: {count: 3}\n"
    counted = predict(parse_scenario(bank))
    rostered = predict(
        parse_scenario(bank, "b.yaml", ["cashiers.count=null", "cashiers.roster=[{from: 0, open: 3}]"])
    )
    assert counted.model.startswith("M/M/3") and rostered == counted
    for changes in (
        ["cashiers.count=null", "cashiers.roster=[{from: 0, open: 3}, {from: 5h, open: 4}]"],
        ["cashiers.breaks={every: 2h, length: 15m}"],
    ):
        assert predict(parse_scenario(bank, "b.yaml", changes)).model == "not a textbook model"


WALKERS = """
name: walkers
duration: 30m
products: [{name: a, checkout_time: {dist: exponential, mean: 40s}}]
segments: [{name: s, patience: {dist: exponential, mean: 40s}, jockey: {min_gain: 2, move_time: 20s}}]
arrivals: {pattern: poisson, rate: 5/min}
lanes:
  - name: tills
    line: per_till
    roster: [{from: 0, open: 4}, {from: 5m, open: 1}, {from: 20m, open: 2}]
"""


def test_a_closing_till_leaves_when_the_one_walking_to_it_gives_up() -> None:
    """A closing till with its own line waits for whoever is on the way to it; when that shopper
    gives up on the way, the till leaves then, not at the end of the run: from the log, one till
    is open at 19 minutes in every run (the roster's one, the others long gone)."""
    import io
    import json

    from checkout_sim import parse_scenario, run

    scenario = parse_scenario(WALKERS, "walkers.yaml")
    gave_up_walking = 0
    for seed in range(30, 80):
        buffer = io.BytesIO()
        run(scenario, seed=seed, log=buffer)
        events = [json.loads(line) for line in buffer.getvalue().splitlines()]
        open_tills = sum(
            {"cashier_opened": 1, "cashier_closed": -1}.get(e["event"], 0)
            for e in events
            if e["t"] <= 19 * 60
        )
        assert open_tills == 1, seed
        walking = {e["customer"] for e in events if e["event"] == "customer_jockeyed"}
        gave_up_walking += sum(
            e["event"] == "customer_reneged" and e["customer"] in walking and e["t"] > 300 for e in events
        )
    assert gave_up_walking > 0  # the case under test happened
