"""The plan as people read it on stderr: staff per group and interval beside the Erlang answers,
the whole-day plans compared on fresh seeds, and the shifts.

Every figure is from :class:`.planning.PlanResult`; nothing here simulates. Times are by
the clock where the scenario opens at a time of day, else time since opening.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from ..config.scenario import Scenario
from .display import format_seconds
from .goals import PER_INTERVAL
from .planning import Judged, PlanResult, _moment, day_total

__all__ = [
    "PLAN_NAMES",
    "format_plan",
    "method_sentences",
    "moment_of",
    "money_text",
    "shift_sentences",
    "worst_interval",
]

#: How the table names each whole-day plan.
PLAN_NAMES = {
    "simulated": "simulated (this plan)",
    "shifts": "shifts (rostered)",
    "offered_load": "offered-load Erlang",
    "pointwise": "pointwise Erlang",
}


def moment_of(scenario: Scenario) -> Callable[[float], str]:
    """Seconds since opening as the scenario's tables say them."""
    return _moment(scenario)


def _erlang_kind(result: PlanResult, group: int) -> str:
    requirement = result.erlang[group]
    if requirement is None:
        return "-"
    lane = result.scenario.tills()[result.groups[group].index]
    patient = all(
        segment.patience is not None for segment in result.scenario.segments if lane.open_to(segment)
    )
    return "A" if patient else "C"


def level_text(judged: Judged, index: int, *, interval: bool) -> str | None:
    """The first goal's figure in an interval, its mean (± half-width with ``interval``);
    None where nobody arrived. The table and the page mark a miss each their own way."""
    mean, half = judged.sides[0][index]
    if mean is None:
        return None
    return f"{mean:.3f}" + (f" ±{half:.3f}" if interval and half is not None else "")


def money_text(result: PlanResult, value: float) -> str:
    costs = result.scenario.costs
    if costs is None:
        return f"{value:,.1f} till-h"
    return f"{value:,.0f}" + (f" {costs.currency}" if costs.currency else "")


def format_plan(result: PlanResult) -> str:
    """The plan's table, comparison and shifts, for stderr."""
    scenario, grid = result.scenario, result.grid
    moment = moment_of(scenario)
    goal = result.goals[0]
    target = scenario.service_level.target if scenario.service_level is not None else None
    lines = [
        f"plan for {scenario.name}: {moment(0)}–{moment(grid.day)} "
        f"in {format_seconds(grid.length)} intervals; "
        f"goal {' and '.join(g.text for g in result.goals)} in every interval"
        + (f" (service level: reached a till within {format_seconds(target)})" if target is not None else ""),
    ]
    lines += [f"  {sentence}" for sentence in method_sentences(result)]
    lines.append("")
    lines.extend(_interval_table(result, goal.text))
    lines.append("")
    lines.extend(_comparison(result))
    shifts = shift_sentences(result)
    if shifts:
        lines.append("")
        lines.extend(shifts)
    return "\n".join(lines)


def _interval_table(result: PlanResult, goal: str) -> list[str]:
    shifts = result.compared.get("shifts")
    pointwise = result.compared.get("pointwise")
    header = ["from", "arrivals"]
    for number, group in enumerate(result.groups):
        kind = _erlang_kind(result, number)
        name = group.name
        header += [f"{name} Erlang {kind}", "offered", "sim"] + (["shifts"] if shifts is not None else [])
    named = sorted(result.goals[0].names)
    found = PER_INTERVAL.fullmatch(named[0]) if named else None
    first = found[2] if found is not None else goal
    header += (
        [f"{first}: sim ±95%"]
        + (["shifts"] if shifts is not None else [])
        + (["pointwise"] if pointwise is not None else [])
    )
    rows = [header]
    for index in range(result.grid.count):
        rows.append(
            [
                "-" if text is None else text + (" miss" if missed else "")
                for text, missed in interval_cells(result, index)
            ]
        )
    return _aligned(rows)


def interval_cells(result: PlanResult, index: int) -> list[tuple[str | None, bool]]:
    """One interval's row of the plan's table, the table and the page alike: its start, the
    shop's arrivals; per group the pointwise and offered-load Erlang tills, the plan's and the
    shifts'; then the first goal's figure for the plan (±95 %), the shifts and pointwise
    Erlang. Each cell's text (None: nothing to show) and whether it misses the goal."""
    grid = result.grid
    shifts = result.compared.get("shifts")
    pointwise = result.compared.get("pointwise")
    cells: list[tuple[str | None, bool]] = [
        (moment_of(result.scenario)(index * grid.length), False),
        (f"{result.shop_arrivals[index]:.1f}", False),
    ]
    for number in range(len(result.groups)):
        requirement = result.erlang[number]
        cells += [
            (None if requirement is None else str(requirement.pointwise[index]), False),
            (None if requirement is None else str(requirement.offered_load[index]), False),
            (str(result.plan[number][index]), False),
        ]
        if shifts is not None:
            cells.append((str(shifts[0][number][index]), False))
    levels = [(result.verified, True)]
    levels += [(shifts[1], False)] if shifts is not None else []
    levels += [(pointwise[1], False)] if pointwise is not None else []
    for judged, interval in levels:
        text = level_text(judged, index, interval=interval)
        cells.append((text, text is not None and not judged.holds[index]))
    return cells


def _comparison(result: PlanResult) -> list[str]:
    """Each whole-day plan simulated on the same fresh seeds."""
    money = result.scenario.costs is not None
    rows = [
        [
            "whole-day plan (fresh seeds)",
            "till-hours",
            *(["staff cost", "lost cost"] if money else []),
            "total" if money else "cost",
            "worst interval",
            "intervals missing",
        ]
    ]
    for name, (_, judged) in result.compared.items():
        summaries = judged.summaries
        runs = max(1, len(summaries))
        hours = math.fsum(day_total(s, "lane_hours") or 0.0 for s in summaries) / runs
        row = [PLAN_NAMES.get(name, name), f"{hours:.1f}"]
        if money:
            staff = math.fsum(day_total(s, "staff_cost") or 0.0 for s in summaries) / runs
            lost = math.fsum(day_total(s, "lost_cost") or 0.0 for s in summaries) / runs
            row += [money_text(result, staff), money_text(result, lost)]
        mean, half = judged.cost
        row.append(f"{money_text(result, mean)} ±{half:,.0f}" if money else f"{mean:.1f} ±{half:.1f}")
        worst = worst_interval(result, judged)
        moment = moment_of(result.scenario)
        row.append("-" if worst is None else f"{worst[0]:.3f} at {moment(worst[1] * result.grid.length)}")
        row.append(str(len(judged.misses)))
        rows.append(row)
    return _aligned(rows)


def worst_interval(result: PlanResult, judged: Judged) -> tuple[float, int] | None:
    """The first goal's worst interval (its mean, its number): the lowest for a goal of ``>=``
    or ``>``, the highest for ``<=`` or ``<`` (None: no interval has the figure)."""
    levels = [(mean, index) for index, (mean, _) in enumerate(judged.sides[0]) if mean is not None]
    if not levels:
        return None
    if result.goals[0].comparator in ("<=", "<"):
        return max(levels, key=lambda level: (level[0], -level[1]))
    return min(levels)


def method_sentences(result: PlanResult) -> list[str]:
    """How the plan was found, what it rests on and what it leaves out (the table and the page say them)."""
    said = [
        f"tuned on seeds {result.tuning_seeds[0]}..{result.tuning_seeds[-1]} ({result.replications} "
        f"replication{'s' if result.replications != 1 else ''}, the same customers for every "
        "candidate: a goal holds where its 95% interval does), verified on fresh seeds "
        f"{result.verify_seeds[0]}..{result.verify_seeds[-1]}; "
        f"{result.candidates} candidate plans, {result.days} simulated days"
    ]
    if result.repairs:
        said.append(
            f"{result.repairs} time{'s' if result.repairs > 1 else ''} an interval missed on fresh seeds "
            "and gained a till; the plan shown was verified on seeds that did not choose it"
        )
    said += [
        f"{name}: not planned (its tills cost nothing an hour; give it plan: to plan it)"
        for name in result.unplanned
    ]
    return said + [f"note: {note}" for note in result.notes]


def shift_sentences(result: PlanResult) -> list[str]:
    """The shifts each group's people work, one sentence per group that makes shifts."""
    said = []
    for group, made in zip(result.groups, result.shifts, strict=True):
        if made is None:
            continue
        choices, cover = made
        worked = [(name, count) for name, count in cover.counts.items() if count]
        people = sum(count for _, count in worked)
        paid = (
            f", {money_text(result, cover.cost * group.per_hour)}"
            if group.per_hour is not None and result.scenario.costs is not None
            else ""
        )
        listed = ", ".join(f"{count} × {name}" for name, count in worked) or "none"
        text = f"shifts of {group.name}: {listed} ({people} people, {cover.cost:g} paid hours{paid})"
        if not choices:
            text += f"; no shift of the allowed lengths fits the day: {group.name} stays unstaffed by shifts"
        elif cover.short:
            moment = moment_of(result.scenario)
            short = ", ".join(moment(i * result.grid.length) for i in cover.short)
            why = "plan.people too few" if group.bounds.people is not None else "no allowed shift covers them"
            text += f"; short of the requirement ({why}) in the intervals from {short}"
        if cover.over:
            moment = moment_of(result.scenario)
            over = ", ".join(moment(i * result.grid.length) for i in cover.over)
            text += (
                f"; more people than plan.max ({group.bounds.max}) tills in the intervals from {over} "
                "(the shift lengths leave no other cover): paid, but only that many tills open"
            )
        said.append(text)
    return said


def _aligned(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return [
        "  "
        + "  ".join(
            cell.rjust(width) if c else cell.ljust(width)
            for c, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]
