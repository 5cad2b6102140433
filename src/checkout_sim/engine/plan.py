"""The scenario compiled once into what the engine reads while it runs.

The hot path never looks at raw configuration (``scenario.queue.when_full`` per
customer, ``cashiers.scaling`` per checkout): it reads these frozen plans, made before
the run starts. A scenario written with one ``queue`` and ``cashiers`` is a shop with one
group of tills that share one line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..config.scenario import Scenario

__all__ = ["GroupPlan", "Plan", "ScalingPlan", "compile_plan"]


@dataclass(frozen=True, slots=True)
class ScalingPlan:
    """The manager's rule for a group: open a till at ``open_at`` waiting, up to ``most``."""

    open_at: int
    close_at: int
    most: int


@dataclass(frozen=True, slots=True)
class GroupPlan:
    """A group of identical tills sharing one line, as the engine runs it.

    Its tills are numbered ``first_till`` to ``first_till + most - 1``, the same number
    for the same till all run long.
    """

    name: str | None  # None: the scenario's single queue and cashiers (events carry no lane)
    count: int
    most: int
    kind: str
    capacity: int | None
    hold_at_door: bool  # when_full: wait (backpressure); otherwise a full line turns people away
    scaling: ScalingPlan | None
    first_till: int


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything about a run that is fixed before it starts."""

    groups: tuple[GroupPlan, ...]
    end: float  # arrivals stop here (inf: only the limit ends them)
    limit: float  # the most arrivals (inf: no limit)
    closing: float | None  # drain: false: the shop closes at duration
    warmup: float
    patient: bool  # some segment has patience: customers may leave the line from anywhere
    realtime: bool
    segment_names: tuple[str, ...]
    product_names: tuple[str, ...]


def compile_plan(scenario: Scenario) -> Plan:
    """The plan of a scenario: its one group of tills, its ends, its constants."""
    cashiers, queue, scaling = scenario.cashiers, scenario.queue, scenario.cashiers.scaling
    group = GroupPlan(
        name=None,
        count=cashiers.count,
        most=cashiers.most,
        kind=queue.kind,
        capacity=queue.capacity,
        hold_at_door=queue.when_full == "wait",
        scaling=None if scaling is None else ScalingPlan(scaling.open_at, scaling.close_at, scaling.max),
        first_till=1,
    )
    limit = scenario.arrivals.limit
    return Plan(
        groups=(group,),
        end=scenario.duration if scenario.duration is not None else math.inf,
        limit=limit if limit is not None else math.inf,
        closing=None if scenario.drain else scenario.duration,
        warmup=scenario.warmup,
        patient=any(segment.patience is not None for segment in scenario.segments),
        realtime=scenario.clock == "realtime",
        segment_names=tuple(segment.name for segment in scenario.segments),
        product_names=tuple(product.name for product in scenario.products),
    )
