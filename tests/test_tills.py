"""Tills as objects: close after the current customer, leave for a break and come back with the same number.

The operations rosters and breaks will use, driven here from a timer inside a real run
(the shop's groups are its till banks), and checked in the event log: nobody at a till is
lost, the till's number comes back with it, and the others carry on.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Callable
from typing import Any

import pytest

from checkout_sim import parse_scenario
from checkout_sim.engine.clock import VirtualClockLoop
from checkout_sim.engine.lanes import LaneGroup
from checkout_sim.engine.shop import Shop
from checkout_sim.engine.till import CLOSED, CLOSING, IDLE, ON_BREAK, SERVING

SHOP = """
name: tills
seed: 3
duration: 1h
products: [{{name: bread, checkout_time: {{dist: exponential, mean: 50s}}}}]
arrivals: {{pattern: poisson, rate: 3/min}}
{tills}
"""
SHARED = "cashiers: {count: 3}"
PER_TILL = "lanes: [{name: tills, count: 3, line: per_till}]"


def _run(tills: str, at: float, act: Callable[[LaneGroup], Any]) -> tuple[list[dict[str, Any]], list[Any]]:
    """Run the shop, calling ``act`` on its one group at simulated time ``at``; the log and what act gave."""
    log = io.BytesIO()
    shop = Shop(parse_scenario(SHOP.format(tills=tills)), 3, log)
    found: list[Any] = []

    async def main() -> None:
        asyncio.get_running_loop().call_at(at, lambda: found.append(act(shop.groups[0])))
        await shop.run()

    with asyncio.Runner(loop_factory=VirtualClockLoop) as runner:
        runner.run(main())
    return [json.loads(line) for line in log.getvalue().splitlines()], found


def _served(events: list[dict[str, Any]]) -> dict[int, int]:
    """Customers served by each till."""
    counts: dict[int, int] = {}
    for event in events:
        if event["event"] == "checkout_finished":
            counts[event["cashier"]] = counts.get(event["cashier"], 0) + 1
    return counts


@pytest.mark.parametrize("tills", [SHARED, PER_TILL], ids=["shared line", "line per till"])
def test_a_till_closes_after_its_customer_and_nobody_is_lost(tills: str) -> None:
    def close(group: LaneGroup) -> tuple[str, str]:
        till = group.tills[2]
        before = till.state
        group.close_till(2)
        return before, till.state

    events, [(before, after)] = _run(tills, 600.0, close)
    closed = [e for e in events if e["event"] == "cashier_closed" and e["t"] < 3600]
    assert [e["cashier"] for e in closed] == [2]
    # It finished the customer it had at 600 s (if any), and served nobody after.
    last = max(e["t"] for e in events if e["event"] == "checkout_finished" and e["cashier"] == 2)
    assert closed[0]["t"] == (last if last > 600 else 600.0)
    assert after == (CLOSING if before == SERVING else CLOSED)
    assert before in (IDLE, SERVING)
    summary = events[-1]
    assert summary["arrived"] == summary["served"]  # everyone in line served by the others
    assert all(
        e["cashier"] != 2 for e in events if e["event"] == "checkout_started" and e["t"] > closed[0]["t"]
    )


@pytest.mark.parametrize("tills", [SHARED, PER_TILL], ids=["shared line", "line per till"])
def test_a_till_on_break_comes_back_with_its_number(tills: str) -> None:
    def pause(group: LaneGroup) -> Any:
        group.take_break(1, 900.0)
        return group._made[1]

    events, [till] = _run(tills, 1200.0, pause)
    changes = [
        (e["event"], e["t"]) for e in events if e["event"].startswith("cashier_") and e["cashier"] == 1
    ]
    assert changes[0] == ("cashier_opened", 0.0)
    (_, left), (opened, back) = changes[1], changes[2]
    assert changes[1][0] == "cashier_closed" and opened == "cashier_opened"
    assert left >= 1200.0 and back == left + 900.0  # the break runs from when the till left
    starts = [e["t"] for e in events if e["event"] == "checkout_started" and e["cashier"] == 1]
    assert not [t for t in starts if left < t < back]  # away: it served nobody
    assert [t for t in starts if t >= back]  # and served again once back
    assert _served(events).keys() == {1, 2, 3}
    assert till.state == CLOSED and till.back_at is None  # back, then closed with the shop
    summary = events[-1]
    assert summary["arrived"] == summary["served"]


def test_a_till_on_break_is_on_break_and_the_bank_keeps_its_number() -> None:
    def pause(group: LaneGroup) -> tuple[str, list[int]]:
        for number in sorted(group.tills):
            if group.tills[number].state == IDLE:
                break
        else:
            return "none idle", []
        till = group.tills[number]
        group.take_break(number, 300.0)
        extra = group.open_till()  # the manager's next till: not the number on break
        return till.state, [number, extra.number]

    _, [(state, numbers)] = _run(
        "lanes: [{name: tills, count: 2, scaling: {max: 3, open_at: 9, close_at: 0}}]", 5.0, pause
    )
    assert state == ON_BREAK
    assert numbers[1] != numbers[0] and numbers[1] == 3
