"""Property-based tests: random valid scenarios keep every invariant; mutations never crash."""

from __future__ import annotations

import copy
import io
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checkout_sim import Scenario, run
from checkout_sim.cli import main
from logcheck import Run, check
from strategies import junk, scenarios

RUNS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def waiting_order_holds(log: Run, scenario: Scenario) -> None:
    """FIFO serves in arrival order; priority never serves a lower priority while a higher one waits."""
    priority = {segment.name: segment.priority for segment in scenario.segments}
    waiting: dict[int, int] = {}
    for event in log.events:
        kind = event["event"]
        if kind == "customer_arrived":
            waiting[event["customer"]] = priority[event["segment"]]
        elif kind in ("customer_balked", "customer_reneged", "customer_unserved"):
            waiting.pop(event["customer"], None)
        elif kind == "checkout_started":
            customer = event["customer"]
            if scenario.queue.kind == "fifo":
                assert customer == min(waiting), "FIFO serves the earliest arrival still waiting"
            if scenario.queue.kind == "priority":
                assert waiting[customer] == min(waiting.values()), "no lower priority ahead of a higher one"
            del waiting[customer]


@RUNS
@given(scenarios())
def test_random_scenarios_keep_every_invariant(data: dict[str, Any]) -> None:
    """Arrived = served + balked + reneged + unserved, served once, capacity, order, lanes in [count, max]."""
    scenario = Scenario.model_validate(data)
    buffer = io.BytesIO()
    summary = run(scenario, seed=7, log=buffer, item_events=True)
    log = check(buffer.getvalue(), scenario)  # outcomes, served once, lanes within [count, max], Little
    if scenario.queue.capacity is not None:
        assert summary.queue_length_max <= scenario.queue.capacity
    held_at_door = scenario.queue.capacity is not None and scenario.queue.when_full == "wait"
    if not held_at_door:  # a customer held at the door joins the line later than it arrives
        waiting_order_holds(log, scenario)


def mutate(data: dict[str, Any], path: list[Any], action: str, value: Any) -> dict[str, Any]:
    """Delete, replace or add at the place ``path`` leads to (as far as it exists)."""
    mutated = copy.deepcopy(data)
    node: Any = mutated
    for step in path[:-1]:
        if isinstance(node, dict) and node:
            node = node[sorted(node, key=str)[step % len(node)]]
        elif isinstance(node, list) and node:
            node = node[step % len(node)]
    last = path[-1]
    if isinstance(node, dict) and node:
        key = sorted(node, key=str)[last % len(node)]
        if action == "delete":
            del node[key]
        elif action == "replace":
            node[key] = value
        else:
            node[f"extra_{last}"] = value
    elif isinstance(node, list) and node:
        if action == "delete":
            del node[last % len(node)]
        else:
            node[last % len(node)] = value
    return mutated


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    scenarios(),
    st.lists(st.integers(0, 20), min_size=1, max_size=4),
    st.sampled_from(["delete", "replace", "add"]),
    junk,
)
def test_mutated_scenarios_never_crash(
    tmp_path_factory: pytest.TempPathFactory, data: dict[str, Any], path: list[int], action: str, value: Any
) -> None:
    """Whatever a mutation breaks, the command answers with exit 0 or 2, never a traceback."""
    folder: Path = tmp_path_factory.mktemp("mutants")
    target = folder / "mutant.yaml"
    target.write_text(yaml.safe_dump(mutate(data, path, action, value)), encoding="utf-8")
    assert main([str(target), "--check"]) in (0, 2)
