"""The scenario compiled once into what the engine reads while it runs.

The hot path never looks at raw configuration (``scenario.queue.when_full`` per
customer, ``cashiers.scaling`` per checkout): it reads these frozen plans, made before
the run starts. A scenario written with one ``queue`` and ``cashiers`` is a shop with one
group of tills that share one line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from ..config.scenario import Scenario, expected_time

__all__ = ["BreakPlan", "GroupPlan", "JockeyPlan", "Plan", "ScalingPlan", "compile_plan"]


@dataclass(frozen=True, slots=True)
class ScalingPlan:
    """The manager's rule for a group: open a till at ``open_at`` waiting, up to ``most``."""

    open_at: int
    close_at: int
    most: int


@dataclass(frozen=True, slots=True)
class BreakPlan:
    """A group's breaks: after ``every`` seconds of work, ``length`` away, at most ``at_once`` away
    together, begun only from ``start`` to ``end`` (seconds since opening)."""

    every: float
    length: float
    at_once: int
    start: float = 0.0
    end: float = math.inf


@dataclass(frozen=True, slots=True)
class JockeyPlan:
    """A segment's rule for switching lines (see :mod:`.jockeying`)."""

    min_gain: int
    move_time: float


@dataclass(frozen=True, slots=True)
class GroupPlan:
    """A group of identical tills sharing one line (or each with its own), as the engine runs it.

    Its tills are numbered ``first_till`` to ``first_till + most - 1``, the same number
    for the same till all run long. ``fixed_work`` is the expected time of a checkout
    beyond the scans (payment, help), for shoppers who weigh the work ahead.
    """

    name: str  # ``tills`` for the scenario's single queue and cashiers (its events carry no lane)
    index: int  # its place in the plan's groups
    count: int
    most: int
    kind: Literal["fifo", "lifo", "priority"]
    capacity: int | None
    hold_at_door: bool  # when_full: wait (backpressure); otherwise a full line turns people away
    scaling: ScalingPlan | None
    first_till: int
    scan_factor: float = 1.0
    max_items: int | None = None
    attendants: int = 0
    per_till: bool = False
    fixed_work: float = 0.0
    #: Shoppers may switch into this group's lines: a line per till, open to a segment that
    #: may switch (see :meth:`Scenario.switching_lines`).
    switching: bool = False
    #: The roster's changes after the opening: (from, open), in time order (empty: ``count``
    #: tills all day; the opening's own entry is ``count``).
    roster: tuple[tuple[float, int], ...] = ()
    #: The group's breaks (None: none).
    breaks: BreakPlan | None = None
    #: A closing till's waiting customers move to other lines (``on_close: move``; with a line
    #: per till only), rather than being served first.
    move_on_close: bool = False


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
    #: For each segment: how its customers pick (``shortest``, ``random`` or ``prefer``; in a
    #: scenario without lanes, ``shortest`` of its one line) and the groups open to it (by
    #: index, in the order they are tried).
    choices: tuple[str, ...] = ()
    open_to: tuple[tuple[int, ...], ...] = ()
    #: For each segment: its rule for switching lines (None: it stays put, having no
    #: ``jockey`` or fewer than two lines to switch between; see :meth:`Scenario.may_switch`).
    jockey: tuple[JockeyPlan | None, ...] = ()
    #: Each product's expected checkout time, for shoppers who weigh the work ahead.
    product_means: tuple[float, ...] = ()
    #: Some group has a line at each till: arrivals say which till's line they joined.
    per_till: bool = False
    #: The scenario has ``lanes``: events name the group (``lane``), and each group keeps its figures.
    lanes: bool = False
    #: Some group has a roster or breaks: tills open and close for a reason the log gives.
    staffing: bool = False


def compile_plan(scenario: Scenario) -> Plan:
    """The plan of a scenario: its groups of tills, its ends, its constants."""
    groups, first = [], 1
    switchers = [segment for segment in scenario.segments if scenario.may_switch(segment)]
    for index, lane in enumerate(scenario.tills()):
        rule, assist, breaks = lane.scaling, lane.assist, lane.breaks
        window = breaks.between if breaks is not None and breaks.between is not None else (0.0, math.inf)
        groups.append(
            GroupPlan(
                name=lane.name,
                index=index,
                count=lane.opening,
                most=lane.most,
                kind=lane.queue.kind,
                capacity=lane.queue.capacity,
                hold_at_door=lane.queue.when_full == "wait",
                scaling=None if rule is None else ScalingPlan(rule.open_at, rule.close_at, rule.max),
                first_till=first,
                scan_factor=lane.scan_factor,
                max_items=lane.max_items,
                attendants=lane.attendants,
                per_till=lane.line == "per_till",
                switching=lane.line == "per_till" and any(lane.open_to(segment) for segment in switchers),
                fixed_work=(
                    expected_time(lane.payment_time)
                    + (assist.probability * expected_time(assist.time) if assist is not None else 0.0)
                ),
                roster=tuple((shift.start, shift.open) for shift in (lane.roster or ())[1:]),
                breaks=(
                    None
                    if breaks is None
                    else BreakPlan(breaks.every, breaks.length, breaks.at_once, window[0], window[1])
                ),
                move_on_close=lane.line == "per_till" and lane.on_close == "move",
            )
        )
        first += lane.most
    tills = scenario.tills()
    names = [lane.name for lane in tills]
    choices, open_to, jockey = [], [], []
    for segment in scenario.segments:
        allowed = [i for i, lane in enumerate(tills) if lane.takes(segment.name, 0)]
        switching = segment.jockey if segment in switchers else None
        jockey.append(None if switching is None else JockeyPlan(switching.min_gain, switching.move_time))
        if segment.prefer is not None:
            choices.append("prefer")
            listed = (names.index(name) for name in segment.prefer)
            open_to.append(tuple(index for index in listed if index in allowed))
        else:
            choices.append(segment.choice if scenario.lanes is not None else "shortest")
            open_to.append(tuple(allowed))
    limit = scenario.arrivals.limit
    return Plan(
        groups=tuple(groups),
        end=scenario.duration if scenario.duration is not None else math.inf,
        limit=limit if limit is not None else math.inf,
        closing=None if scenario.drain else scenario.duration,
        warmup=scenario.warmup,
        patient=any(segment.patience is not None for segment in scenario.segments),
        realtime=scenario.clock == "realtime",
        segment_names=tuple(segment.name for segment in scenario.segments),
        product_names=tuple(product.name for product in scenario.products),
        choices=tuple(choices),
        open_to=tuple(open_to),
        jockey=tuple(jockey),
        product_means=tuple(expected_time(product.checkout_time) for product in scenario.products),
        per_till=any(group.per_till for group in groups),
        lanes=scenario.lanes is not None,
        staffing=any(lane.roster is not None or lane.breaks is not None for lane in tills),
    )
