"""The plan's shifts: which shifts may be worked, that they cover the plan in every interval at
the fewest paid hours (no cheaper cover by brute force), and what too few people leave short."""

from __future__ import annotations

import itertools

import pytest

from checkout_sim.analysis.plan_display import format_plan
from checkout_sim.analysis.planning import Grid, make_plan, shift_choices
from checkout_sim.analysis.sweep import Runners
from checkout_sim.config import parse_scenario
from checkout_sim.config.staffing import PlanBounds

DAY = """\
name: shifts
seed: 11
opens_at: "08:30"
closes_at: "14:30"
intervals: 30m
service_level: {target: 1m}
costs: {currency: EUR, staff_per_hour: 12}
products: [{name: item, checkout_time: {dist: exponential, mean: 90s}}]
arrivals:
  pattern: schedule
  phases:
    - {until: "10:00", rate: 40/h}
    - {until: "12:00", rate: 150/h}
    - {until: "14:30", rate: 60/h}
cashiers:
  count: 2
  plan: {min: 1, max: 8, min_shift: 2h, max_shift: 4h}
"""


def test_shifts_start_at_opening_and_on_the_clock_hours_and_end_by_closing() -> None:
    scenario = parse_scenario(DAY, "day.yaml")
    grid = Grid(1800.0, 12, 6 * 3600.0)
    bounds = PlanBounds.model_validate({"min_shift": "2h", "max_shift": "4h"})
    found = shift_choices(bounds, grid, scenario)
    starts = sorted({choice.name.split("+")[0] for choice in found})
    # At opening, on each clock hour, and so as to end at closing (14:30).
    assert starts == ["08:30", "09:00", "10:00", "10:30", "11:00", "11:30", "12:00", "12:30"]
    for choice in found:
        hours = int(choice.name.split("+")[1].rstrip("h"))
        assert 2 <= hours <= 4
        assert choice.cost == hours
        clock = choice.name.split("+")[0]
        start = (int(clock[:2]) + int(clock[3:]) / 60 - 8.5) * 3600
        # Covers exactly the intervals wholly inside it, and ends by closing.
        assert choice.start == round(start / 1800)
        assert choice.start + choice.length == min(12, int((start + hours * 3600) // 1800))
        assert start + hours * 3600 <= 6 * 3600
    every = PlanBounds.model_validate({"min_shift": "2h", "max_shift": "2h", "shift_starts": "interval"})
    by_interval = shift_choices(every, grid, scenario)
    assert [choice.start for choice in by_interval] == list(range(9))
    assert {choice.length for choice in by_interval} == {4}


#: Three-hour shifts on a day that ends at 14:00: four to choose from, few enough to try every
#: number of people on each.
SHORT_DAY = (
    DAY.replace('closes_at: "14:30"', 'closes_at: "14:00"')
    .replace('{until: "14:30", rate: 60/h}', '{until: "14:00", rate: 60/h}')
    .replace("min_shift: 2h, max_shift: 4h", "min_shift: 3h, max_shift: 3h")
)


def test_the_shift_plan_covers_the_plan_at_the_fewest_paid_hours() -> None:
    scenario = parse_scenario(SHORT_DAY, "day.yaml")
    with Runners(1) as runners:
        result = make_plan(scenario, [], replications=5, seed=11, runners=runners)
    made = result.shifts[0]
    assert made is not None
    choices, cover = made
    assert [choice.name for choice in choices] == ["08:30+3h", "09:00+3h", "10:00+3h", "11:00+3h"]
    plan = result.plan[0]
    assert all(staffed >= need for staffed, need in zip(cover.staffed, plan, strict=True))
    assert cover.short == []
    most = scenario.tills()[0].plan.max  # type: ignore[union-attr]
    assert result.final[0] == tuple(min(most, staffed) for staffed in cover.staffed)
    assert cover.over == [i for i, staffed in enumerate(cover.staffed) if staffed > most]

    # Brute force over every number of people per shift up to the plan's peak: no cover has
    # fewer people beyond the tills, nor, with as few, fewer paid hours.
    def judged(counts: tuple[int, ...]) -> tuple[int, float]:
        staffed = [
            sum(n for n, choice in zip(counts, choices, strict=True) if choice.covers(i))
            for i in range(len(plan))
        ]
        over = sum(max(0, n - most) for n in staffed)
        return over, sum(n * choice.price for n, choice in zip(counts, choices, strict=True))

    best = min(judged(counts) for counts in _covers(choices, plan))
    mine = judged(tuple(cover.counts[choice.name] for choice in choices))
    assert mine == pytest.approx(best)
    assert cover.cost == pytest.approx(best[1])


def _covers(choices: list, plan: tuple[int, ...]) -> list[tuple[int, ...]]:  # type: ignore[type-arg]
    """Every assignment of people to shifts (each at most the peak) that covers the plan."""
    peak = max(plan)
    found = []
    for counts in itertools.product(range(peak + 1), repeat=len(choices)):
        staffed = [
            sum(count for count, choice in zip(counts, choices, strict=True) if choice.covers(interval))
            for interval in range(len(plan))
        ]
        if all(have >= need for have, need in zip(staffed, plan, strict=True)):
            found.append(counts)
    return found


def test_too_few_people_leave_named_intervals_short() -> None:
    scenario = parse_scenario(DAY.replace("max_shift: 4h}", "max_shift: 4h, people: 2}"), "day.yaml")
    with Runners(1) as runners:
        result = make_plan(scenario, [], replications=5, seed=11, runners=runners)
    made = result.shifts[0]
    assert made is not None
    _, cover = made
    assert sum(cover.counts.values()) <= 2
    assert cover.short == [i for i, need in enumerate(result.plan[0]) if cover.staffed[i] < need]
    assert cover.short
    text = format_plan(result)
    moments = ", ".join(scenario.moment_text(i * 1800.0) for i in cover.short)
    assert f"short of the requirement (plan.people too few) in the intervals from {moments}" in text
