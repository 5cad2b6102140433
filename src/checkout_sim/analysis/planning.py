"""``--plan``: the fewest tills per interval and group that meet every goal in every interval.

The method (issue 22; Feldman, Mandelbaum, Massey & Whitt 2008 for its first steps):

1. **Bounds.** Simulate the day with every planned group at its most tills (``plan.max``).
   An interval that misses a goal even then cannot be helped within the bounds: the
   answer is one line naming it, not a search. The same runs measure how many customers
   routing sends each group per interval, the loads of the Erlang plans.
2. **Start** from the offered-load staffing: Erlang C (A where customers give up) applied
   to the infinite-server offered load of each interval (:mod:`.plan_load`).
3. **Simulate** the whole day, ``replications`` times on the same seeds for every
   candidate (common random numbers: the same customers, only the staffing differs).
   Where intervals miss a goal, add a till in the earliest interval of each stretch of
   misses (congestion carries forward, so the later misses of a stretch may be the
   earlier's), to the group whose customers miss most there; simulate again.
4. Where every goal holds, **remove** a till in each of a batch of intervals (no two
   next to each other, the group with the fewest misses in each); simulate; where that
   makes an interval miss, the last removal at or before it is put back and never tried
   again, the others stay. A till once added back is not tried again either, so the
   search ends; repeat from 3 until nothing changes.
5. **Verify** with fresh seeds, never those it was tuned on: each interval's figures with
   their 95 % intervals. An interval whose mean misses there gains a till and the plan is
   verified again on newer seeds (at most :data:`REPAIRS` times), so the plan reported was
   checked on seeds that did not choose it.

While tuning, a goal holds in an interval when its 95 % interval over the replications
lies on its side, as a sweep judges goals (the bounds are checked the same way); on the
fresh seeds, when its mean does, and each interval's interval is shown. An interval's
figure is pooled over the runs (the share of all their arrivals, :func:`pooled_interval`).
Goals are over intervals (``min_interval(service_level) >= 0.8``): in an interval both
``min_interval(F)`` and ``max_interval(F)`` are that interval's F.

Everything is deterministic given the seeds, and the runs go to this process, local
workers or Dask in the same order (:class:`.sweep.Runners`), so a plan does not depend on
``--jobs`` or ``--dask``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..config.scenario import Cashiers, Lane, Scenario
from ..config.staffing import PlanBounds, Shift
from ..config.times import elapsed_text
from ..observe.summary import Summary
from .confidence import mean_interval, t_quantile
from .goals import INTERVAL_FIGURES, PER_INTERVAL, Goal, GoalError, parse_goal
from .plan_load import Requirement, group_load
from .shifts import Cover
from .shifts import Shift as ShiftChoice
from .shifts import cover as cheapest_cover
from .sweep import Runners, goal_names

__all__ = [
    "DEFAULT_GOAL",
    "REPAIRS",
    "Judged",
    "PlanError",
    "PlanInterrupted",
    "PlanResult",
    "PlannedGroup",
    "Unreachable",
    "check_plan",
    "day_total",
    "goal_holds",
    "make_plan",
    "planned_groups",
    "staffed",
]

DEFAULT_GOAL = "min_interval(service_level) >= 0.8"
#: How often a plan that misses on fresh seeds is mended and verified again.
REPAIRS = 3
#: The most candidate plans a search simulates (it ends long before on every shop tried).
MOST_CANDIDATES = 400

Staffing = tuple[tuple[int, ...], ...]
Progress = Callable[[int, int], None]


class PlanError(ValueError):
    """A scenario or goal that --plan cannot plan for; the message says why."""


class PlanInterrupted(Exception):
    """A signal stopped the planning."""

    def __init__(self, signal_number: int) -> None:
        super().__init__(f"interrupted by signal {signal_number}")
        self.signal_number = signal_number


class Unreachable(Exception):
    """No staffing within the bounds meets the goals: the intervals that miss even at the most."""

    def __init__(self, message: str, judged: Judged) -> None:
        super().__init__(message)
        self.judged = judged


@dataclass(frozen=True)
class PlannedGroup:
    """A group the plan staffs: its place among the scenario's groups, its key in the file,
    its bounds and what a till-hour of it costs (None: no ``costs``)."""

    index: int
    name: str
    key: str
    bounds: PlanBounds
    per_hour: float | None


@dataclass(frozen=True)
class Grid:
    """The day cut into the scenario's intervals: ``count`` of ``length`` seconds from opening
    to closing (the last one cut at closing)."""

    length: float
    count: int
    day: float

    def starts(self) -> list[float]:
        return [self.length * k for k in range(self.count)]

    def boundaries(self) -> list[float]:
        """Each interval's start, and closing: the last interval may be cut short."""
        return [*self.starts(), self.day]


@dataclass
class Judged:
    """A staffing simulated on some seeds: per interval whether every goal holds and each goal's
    mean and 95 % half-width; per planned group and interval how many of its customers missed."""

    staffing: Staffing
    summaries: list[Summary]
    #: Per interval: every goal's mean over the runs is on its side.
    holds: list[bool]
    #: Per interval: every goal's whole 95 % interval is on its side (what tuning asks).
    sure: list[bool]
    #: Per goal, per interval: (mean of its left side, half-width) over the runs (None: undefined).
    sides: list[list[tuple[float | None, float | None]]]
    pressure: list[list[float]]
    #: Cost per run: total_cost with costs, else staffed till-hours (mean, half-width).
    cost: tuple[float, float]
    #: The mean cost of each interval (as the whole: money, or till-hours), and its lost cost.
    interval_costs: list[float] = field(default_factory=list)
    lost_costs: list[float] = field(default_factory=list)

    @property
    def misses(self) -> list[int]:
        """The intervals where a goal's mean misses (how a plan is verified)."""
        return [index for index, holds in enumerate(self.holds) if not holds]

    @property
    def unsure(self) -> list[int]:
        """The intervals where a goal's 95 % interval is not wholly on its side (how a plan is tuned)."""
        return [index for index, sure in enumerate(self.sure) if not sure]


@dataclass
class PlanResult:
    """Everything the plan's table, YAML and report show."""

    scenario: Scenario
    groups: list[PlannedGroup]
    grid: Grid
    goals: list[Goal]
    replications: int
    tuning_seeds: list[int]
    #: Customers per interval reaching each planned group (at the most tills), and the shop's.
    arrivals: list[list[float]]
    shop_arrivals: list[float]
    erlang: list[Requirement | None]
    plan: Staffing
    verified: Judged
    verify_seeds: list[int]
    repairs: int
    candidates: int
    days: int
    #: The whole-day plans compared on the verification seeds: name → (staffing, judged).
    compared: dict[str, tuple[Staffing, Judged]] = field(default_factory=dict)
    #: Per planned group: the shifts (None: the group makes no shifts) and its cover.
    shifts: list[tuple[list[ShiftChoice], Cover] | None] = field(default_factory=list)
    #: Groups left as they are (their tills cost nothing an hour), by name.
    unplanned: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def short(self) -> bool:
        """Some group's shifts leave intervals short of the plan (too few people, or no shift
        of the allowed lengths covers them)."""
        return any(made is not None and (not made[0] or made[1].short) for made in self.shifts)

    @property
    def final(self) -> Staffing:
        """What is rostered: the shift plan where the groups make shifts and it covers the
        plan, else the plan (a cover left short would be a roster that misses the goals)."""
        if "shifts" in self.compared and not self.short:
            return self.compared["shifts"][0]
        return self.plan


def planned_groups(scenario: Scenario) -> tuple[list[PlannedGroup], list[str]]:
    """The groups the plan staffs, and the names of those it leaves as they are.

    Every group is planned (with ``plan``'s bounds, or the defaults) except one whose tills
    cost nothing an hour and that gives no ``plan``: kiosks, whose attendants are the cost;
    the cheapest plan would open every one of them.
    """
    lanes = scenario.tills()
    costs = scenario.costs
    found, left = [], []
    for index, lane in enumerate(lanes):
        key = "cashiers" if scenario.lanes is None else f"lanes.{index}"
        per_hour = None
        if costs is not None:
            per_hour = lane.staff_per_hour if lane.staff_per_hour is not None else costs.staff_per_hour
        if lane.plan is None and per_hour == 0:
            left.append(lane.name)
            continue
        if lane.scaling is not None:
            raise PlanError(
                f"--plan: {key}.scaling: the manager would open tills the plan does not staff; "
                "remove scaling from a group to plan it"
            )
        found.append(PlannedGroup(index, lane.name, key, lane.plan or PlanBounds(), per_hour))
    if not found:
        raise PlanError("--plan: no group to plan (every group's tills cost nothing an hour; give one plan:)")
    return found, left


def check_plan(scenario: Scenario, goals: Sequence[str]) -> None:
    """What --plan checks before any run (and what ``--plan --check`` stops after)."""
    plan_goals(scenario, goals)
    _grid(scenario)
    planned_groups(scenario)


def plan_goals(scenario: Scenario, texts: Sequence[str]) -> list[Goal]:
    """The goals, each over intervals only (``min_interval(F)``, ``max_interval(F)``)."""
    if scenario.intervals is None:
        raise PlanError("--plan: the scenario has no intervals (add intervals: 15m, or --set intervals=15m)")
    written = list(texts) or [DEFAULT_GOAL]
    if not texts and scenario.service_level is None:
        raise PlanError(
            f"--plan: the default goal {DEFAULT_GOAL!r} needs a service_level target "
            "(add service_level: {target: 2m}), or give a --goal"
        )
    known = goal_names(scenario)
    goals = []
    for text in written:
        try:
            goal = parse_goal(text, known)
        except GoalError as error:
            raise PlanError(str(error)) from None
        whole = sorted(name for name in goal.names if PER_INTERVAL.fullmatch(name) is None)
        if whole:
            raise PlanError(
                f"goal {text!r}: --plan judges every interval, so a goal names only "
                f"min_interval(FIGURE) or max_interval(FIGURE), not {', '.join(whole)}"
            )
        goals.append(goal)
    return goals


def _grid(scenario: Scenario) -> Grid:
    if scenario.duration is None or scenario.intervals is None:
        raise PlanError("--plan: the day needs an end (closes_at or duration) to be planned")
    length = scenario.intervals
    count = max(1, math.ceil(scenario.duration / length - 1e-9))
    return Grid(length, count, scenario.duration)


def staffed(scenario: Scenario, groups: Sequence[PlannedGroup], grid: Grid, staffing: Staffing) -> Scenario:
    """The scenario with each planned group on the roster ``staffing`` gives it: an entry
    wherever its count changes, the first at opening."""
    lanes = list(scenario.tills())
    rosters = {}
    for group, counts in zip(groups, staffing, strict=True):
        rosters[group.index] = roster_of(grid, counts)
    if scenario.lanes is None:
        assert scenario.cashiers is not None
        cashiers: Cashiers = scenario.cashiers.model_copy(update={"count": None, "roster": rosters[0]})
        return scenario.model_copy(update={"cashiers": cashiers})
    changed: list[Lane] = [
        lane.model_copy(update={"count": None, "roster": rosters[index]}) if index in rosters else lane
        for index, lane in enumerate(lanes)
    ]
    return scenario.model_copy(update={"lanes": changed})


def roster_of(grid: Grid, counts: Sequence[int]) -> list[Shift]:
    """A roster entry at each interval where the count changes."""
    entries: list[Shift] = []
    for start, open_ in zip(grid.starts(), counts, strict=True):
        if not entries or entries[-1].open != open_:
            entries.append(Shift.model_validate({"from": start, "open": open_}))
    return entries


class _Planner:
    """The search's state: the scenario, the runners, what has been simulated (each staffing
    once per set of seeds) and how much."""

    def __init__(
        self,
        scenario: Scenario,
        groups: list[PlannedGroup],
        grid: Grid,
        goals: list[Goal],
        *,
        runners: Runners,
        progress: Progress | None,
    ) -> None:
        self.scenario, self.groups, self.grid, self.goals = scenario, groups, grid, goals
        self.runners = runners
        self.progress = progress
        self.candidates = 0
        self.days = 0
        self._cache: dict[tuple[Staffing, tuple[int, ...]], Judged] = {}
        self.target = scenario.service_level.target if scenario.service_level is not None else None

    def judge(self, staffing: Staffing, seeds: Sequence[int]) -> Judged:
        key = (staffing, tuple(seeds))
        found = self._cache.get(key)
        if found is not None:
            return found
        return self.judge_all([staffing], seeds)[0]

    def judge_all(self, plans: Sequence[Staffing], seeds: Sequence[int]) -> list[Judged]:
        """Simulate every plan not simulated on these seeds yet, in one batch (the workers busy)."""
        todo = [plan for plan in dict.fromkeys(plans) if (plan, tuple(seeds)) not in self._cache]
        work = [
            (staffed(self.scenario, self.groups, self.grid, plan), seed) for plan in todo for seed in seeds
        ]
        if work:
            self.candidates += len(todo)
            done_before = self.days

            def tick(done: int, total: int) -> None:
                self.days = done_before + done
                if self.progress is not None:
                    self.progress(self.candidates, self.days)

            found, signal_number = self.runners.run(work, tick)
            if signal_number is not None:
                raise PlanInterrupted(signal_number)
            self.days = done_before + len(work)
            runs = len(seeds)
            for number, plan in enumerate(todo):
                summaries = [s for s in found[number * runs : (number + 1) * runs] if s is not None]
                self._cache[(plan, tuple(seeds))] = self._judged(plan, summaries)
        return [self._cache[(plan, tuple(seeds))] for plan in plans]

    def _judged(self, staffing: Staffing, summaries: list[Summary]) -> Judged:
        count = self.grid.count
        per_run = [_by_interval(summary, self.grid) for summary in summaries]
        holds = [True] * count
        sure = [True] * count
        sides: list[list[tuple[float | None, float | None]]] = []
        for goal in self.goals:
            row: list[tuple[float | None, float | None]] = []
            for index in range(count):
                lefts, margins, weights = [], [], []
                weigh = _weight_of(goal)
                for intervals in per_run:
                    figures = intervals[index]
                    if figures is None:
                        continue
                    named = {
                        f"{edge}_interval({name})": _number(figures.get(name))
                        for edge in ("min", "max")
                        for name in INTERVAL_FIGURES
                    }
                    left, margin = goal.margins(named)
                    weight = 1.0 if weigh is None else _figure(figures, weigh)
                    if left is not None and margin is not None and weight > 0:
                        lefts.append(left)
                        margins.append(margin)
                        weights.append(weight)
                if not margins:
                    row.append((None, None))
                    continue
                mean_margin, margin_half = pooled_interval(margins, weights)
                mean, half = pooled_interval(lefts, weights)
                row.append((mean, half if math.isfinite(half) else None))
                if not _on_side(goal.comparator, mean_margin):
                    holds[index] = False
                margin_half = margin_half if math.isfinite(margin_half) else 0.0
                worst = mean_margin + (margin_half if goal.comparator in ("<=", "<") else -margin_half)
                if not _on_side(goal.comparator, worst):
                    sure[index] = False
            sides.append(row)
        pressure = [
            [
                math.fsum(_missed(intervals[index], group, self.target) for intervals in per_run)
                / max(1, len(per_run))
                for index in range(count)
            ]
            for group in self.groups
        ]
        costs = [_cost(summary) for summary in summaries]
        mean, half = mean_interval(costs) if costs else (math.nan, math.nan)
        money = self.scenario.costs is not None
        runs = max(1, len(per_run))
        whole = "total_cost" if money else "lane_hours"
        interval_costs = [math.fsum(_figure(run[i], whole) for run in per_run) / runs for i in range(count)]
        lost_costs = [math.fsum(_figure(run[i], "lost_cost") for run in per_run) / runs for i in range(count)]
        return Judged(
            staffing, summaries, holds, sure, sides, pressure, (mean, half), interval_costs, lost_costs
        )

    # The search

    def search(self, start: Staffing, seeds: Sequence[int]) -> Staffing:
        """Steps 3 and 4 of the method, from ``start`` on ``seeds``."""
        state = [list(counts) for counts in start]
        settled: set[tuple[int, int]] = set()  # (group, interval): not to be removed again
        tried: set[tuple[int, int]] = set()  # (group, interval): a till added to save money, tried
        while self.candidates < MOST_CANDIDATES:
            judged = self.judge(_frozen(state), seeds)
            if judged.unsure:
                added = False
                for index in _stretch_starts(judged.unsure):
                    found = self._where_to_add(judged, state, index)
                    if found is not None:
                        group, at = found
                        state[group][at] += 1
                        settled.add((group, at))
                        added = True
                if not added:  # every group at its most up to the miss: as the bounds would say
                    raise Unreachable(
                        _unreachable(self.scenario, self.groups, self.grid, self.goals, judged), judged
                    )
                continue
            batch = self._removals(judged, state, settled)
            if batch:
                state = self._try(judged, state, batch, change=-1, seeds=seeds, settled=settled)
                continue
            batch = self._savings(judged, state, tried)
            if not batch:
                return _frozen(state)
            tried.update(batch)
            state = self._try(judged, state, batch, change=+1, seeds=seeds, settled=settled)
        return _frozen(state)

    def _try(
        self,
        judged: Judged,
        state: list[list[int]],
        batch: list[tuple[int, int]],
        *,
        change: int,
        seeds: Sequence[int],
        settled: set[tuple[int, int]],
    ) -> list[list[int]]:
        """Simulate ``state`` with a till removed (``change`` -1) or added (+1) at each of ``batch``;
        keep each change that leaves every goal sure and costs less (a removal: no more), from
        its interval to the next change's, and undo the others. An undone removal, and a kept
        addition, is settled: it is not removed again."""
        trial = [list(counts) for counts in state]
        for group, index in batch:
            trial[group][index] += change
        tried = self.judge(_frozen(trial), seeds)
        undo: set[tuple[int, int]] = set()
        for miss in tried.unsure:
            before = [(group, index) for group, index in batch if index <= miss]
            if before and change < 0:
                undo.add(before[-1])
        for position, (group, index) in enumerate(batch):
            stop = batch[position + 1][1] if position + 1 < len(batch) else self.grid.count
            was = math.fsum(judged.interval_costs[index:stop])
            now = math.fsum(tried.interval_costs[index:stop])
            if (now > was + 1e-9) if change < 0 else (now >= was - 1e-9):
                undo.add((group, index))
        for group, index in batch:
            if (group, index) in undo:
                trial[group][index] -= change
                if change < 0:
                    settled.add((group, index))
            elif change > 0:
                settled.add((group, index))
        return trial

    def _savings(
        self, judged: Judged, state: list[list[int]], tried: set[tuple[int, int]]
    ) -> list[tuple[int, int]]:
        """With costs: a till to try adding in each interval whose lost customers cost more than
        a till there would, no two intervals next to each other; in each, the group whose
        customers miss most. (A lost basket can be worth more than an hour's wage.)"""
        if self.scenario.costs is None:
            return []
        batch: list[tuple[int, int]] = []
        last = -2
        for index in range(self.grid.count):
            if index == last + 1:
                continue
            room = [
                g
                for g, group in enumerate(self.groups)
                if state[g][index] < group.bounds.max and (g, index) not in tried
            ]
            if not room:
                continue
            group = max(room, key=lambda g: (judged.pressure[g][index], -g))
            wage = (self.groups[group].per_hour or 0.0) * self.grid.length / 3600.0
            if judged.lost_costs[index] > wage:
                batch.append((group, index))
                last = index
        return batch

    def _where_to_add(self, judged: Judged, state: list[list[int]], index: int) -> tuple[int, int] | None:
        """The group to gain a till for a miss at ``index``: the one whose customers miss most
        there, among those below their most; if all are at their most, the latest interval
        before with room (the congestion came from there), else the earliest after. None:
        every group is at its most all day."""
        # Then later intervals: customers who waited past the interval's end met their tills.
        for at in [*range(index, -1, -1), *range(index + 1, self.grid.count)]:
            room = [g for g, group in enumerate(self.groups) if state[g][at] < group.bounds.max]
            if room:
                return max(room, key=lambda g: (judged.pressure[g][at], -g)), at
        return None

    def _removals(
        self, judged: Judged, state: list[list[int]], settled: set[tuple[int, int]]
    ) -> list[tuple[int, int]]:
        """A till to try removing in each interval that has one to spare, no two intervals next
        to each other: in each, the group whose customers miss least."""
        batch: list[tuple[int, int]] = []
        last = -2
        for index in range(self.grid.count):
            spare = [
                g
                for g, group in enumerate(self.groups)
                if state[g][index] > group.bounds.min and (g, index) not in settled
            ]
            if not spare or index == last + 1:
                continue
            group = min(spare, key=lambda g: (judged.pressure[g][index], g))
            batch.append((group, index))
            last = index
        return batch


#: An interval's figures that are shares or means over its customers (or its till time), and
#: what they are over: pooled across runs, each run weighs by it, so that the plan's figure
#: is the share of all the runs' arrivals (what the goal and Erlang mean), not a mean of
#: per-run shares, which reads high where a run with more arrivals serves them worse.
_OVER = {"service_level": "arrived", "wait_mean": "served", "utilisation": "tills"}


def _weight_of(goal: Goal) -> str | None:
    """What a goal's runs weigh by: the base of its one figure if that is a share or a mean
    over customers, else None (each run counts once)."""
    figures = {found[2] for name in goal.names if (found := PER_INTERVAL.fullmatch(name)) is not None}
    if len(figures) != 1:
        return None
    return _OVER.get(next(iter(figures)))


def pooled_interval(values: Sequence[float], weights: Sequence[float]) -> tuple[float, float]:
    """(weighted mean, 95 % half-width) of per-run values, each weighing ``weights``: with
    values that are per-run ratios y/x and weights x, the ratio of the sums Σy/Σx and its
    ratio-estimator interval (delta method, Student t with n - 1 degrees of freedom)."""
    n = len(values)
    total = math.fsum(weights)
    mean = math.fsum(w * v for w, v in zip(weights, values, strict=True)) / total
    if n < 2:
        return mean, math.inf
    average = total / n
    spread = math.fsum((w * (v - mean)) ** 2 for w, v in zip(weights, values, strict=True)) / (n - 1)
    return mean, t_quantile(0.975, n - 1) * math.sqrt(spread / n) / average


def _frozen(state: list[list[int]]) -> Staffing:
    return tuple(tuple(counts) for counts in state)


def _stretch_starts(misses: Sequence[int]) -> list[int]:
    """The first interval of each run of consecutive misses."""
    return [
        index for position, index in enumerate(misses) if position == 0 or misses[position - 1] != index - 1
    ]


def _on_side(comparator: str, margin: float) -> bool:
    return {"<=": margin <= 0, "<": margin < 0, ">=": margin >= 0, ">": margin > 0}[comparator]


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _figure(figures: dict[str, object] | None, name: str) -> float:
    """A number of an interval's figures (0 where the interval or the figure is missing)."""
    if figures is None:
        return 0.0
    return _number(figures.get(name)) or 0.0


def _by_interval(summary: Summary, grid: Grid) -> list[dict[str, object] | None]:
    """The run's intervals by number within the open day (None: not in the run)."""
    found: list[dict[str, object] | None] = [None] * grid.count
    for interval in summary.intervals or ():
        number = round(float(interval["start"]) / grid.length)
        if 0 <= number < grid.count:
            found[number] = interval
    return found


def _part(figures: dict[str, object] | None, group: PlannedGroup) -> dict[str, object] | None:
    """A group's own figures in an interval's: its entry under ``lanes``, or, in a scenario of
    ``cashiers`` (one group, no ``lanes``), the interval's own (None: no such interval)."""
    if figures is None:
        return None
    lanes = figures.get("lanes")
    part = lanes.get(group.name) if isinstance(lanes, dict) else figures
    return part if isinstance(part, dict) else None


def _missed(figures: dict[str, object] | None, group: PlannedGroup, target: float | None) -> float:
    """How badly ``group``'s customers fared in an interval: those who missed the service-level
    target (without one, their total wait in seconds, and per lost customer the mean wait or
    a minute, whichever is longer)."""
    part = _part(figures, group)
    if part is None:
        return 0.0
    lost = _figure(part, "reneged") + _figure(part, "unserved")
    served = _figure(part, "served")
    level = _number(part.get("service_level"))
    if target is not None and level is not None:
        return (served + lost) * (1.0 - level)
    wait = _number(part.get("wait_mean")) or 0.0
    return served * wait + lost * max(wait, 60.0)


def day_total(summary: Summary, name: str) -> float | None:
    """A run's ``lane_hours`` or money figure over the whole day: its intervals added up, since
    the run's own figure leaves a warm-up out, which the plan staffs and pays all the same
    (None: the run has no such figure)."""
    values = [_number(interval.get(name)) for interval in summary.intervals or ()]
    if not values or any(value is None for value in values):
        found = getattr(summary, name, None)
        return None if found is None else float(found)
    return math.fsum(value for value in values if value is not None)


def _cost(summary: Summary) -> float:
    """What a run of a plan costs: its day's total_cost, or its till-hours without costs."""
    found = day_total(summary, "total_cost")
    return found if found is not None else day_total(summary, "lane_hours") or 0.0


def _arrivals(
    judged: Judged, groups: Sequence[PlannedGroup], grid: Grid
) -> tuple[list[list[float]], list[float]]:
    """Mean customers per interval reaching each planned group, and the shop's."""
    per_run = [_by_interval(summary, grid) for summary in judged.summaries]
    runs = max(1, len(per_run))
    shop = [math.fsum(_figure(run[i], "arrived") for run in per_run) / runs for i in range(grid.count)]
    found = []
    for group in groups:
        counts = []
        for i in range(grid.count):
            total = math.fsum(_figure(_part(intervals[i], group), "arrived") for intervals in per_run)
            counts.append(total / runs)
        found.append(counts)
    return found, shop


def _service_means(judged: Judged, groups: Sequence[PlannedGroup]) -> list[float | None]:
    """Each group's mean checkout in these runs: its tills' busy time over the customers they
    served (None: it served nobody)."""
    found: list[float | None] = []
    for group in groups:
        busy = served = 0.0
        for summary in judged.summaries:
            for interval in summary.intervals or ():
                part = _part(interval, group)
                if part is None:
                    continue
                span = float(interval["end"]) - float(interval["start"])
                utilisation = _number(part.get("utilisation"))
                if utilisation is not None:
                    busy += utilisation * _figure(part, "tills") * span
                served += _figure(part, "served")
        found.append(busy / served if served > 0 else None)
    return found


def _service_goal(goals: Sequence[Goal], scenario: Scenario) -> float | None:
    """The level of the first goal ``min_interval(service_level) >= X`` (what Erlang staffs for)."""
    if scenario.service_level is None:
        return None
    for goal in goals:
        if goal.comparator in (">=", ">") and goal.names == frozenset({"min_interval(service_level)"}):
            level = goal.right({})
            if level is not None:
                return level
    return None


def _clamped(counts: Sequence[int], bounds: PlanBounds) -> tuple[int, ...]:
    return tuple(min(bounds.max, max(bounds.min, count)) for count in counts)


def make_plan(
    scenario: Scenario,
    goals: Sequence[str],
    *,
    replications: int,
    seed: int,
    runners: Runners,
    progress: Progress | None = None,
) -> PlanResult:
    """Plan the scenario's day (see the module's docstring); :class:`Unreachable` when even
    the most tills miss, :class:`PlanInterrupted` on a signal."""
    parsed = plan_goals(scenario, goals)
    grid = _grid(scenario)
    groups, unplanned = planned_groups(scenario)
    planner = _Planner(scenario, groups, grid, parsed, runners=runners, progress=progress)
    tuning = [seed + r for r in range(replications)]
    most: Staffing = tuple((group.bounds.max,) * grid.count for group in groups)
    ceiling = planner.judge(most, tuning)
    if ceiling.unsure:  # judged as the search judges, or it would look for tills it cannot add
        raise Unreachable(_unreachable(scenario, groups, grid, parsed, ceiling), ceiling)
    level = _service_goal(parsed, scenario)
    target = planner.target if level is not None else None
    loads = [group_load(scenario, group.index, seed) for group in groups]

    def requirements(judged: Judged) -> tuple[list[list[float]], list[float], list[Requirement | None]]:
        arrivals, shop = _arrivals(judged, groups, grid)
        means = _service_means(judged, groups)
        found = [
            None
            if load is None
            else load.measured(mean).requirement(grid.boundaries(), counts, target, level)
            for load, counts, mean in zip(loads, arrivals, means, strict=True)
        ]
        return arrivals, shop, found

    # Routing with every till open sends each group its customers: the start's loads.
    _, _, first = requirements(ceiling)
    start = tuple(
        _clamped(
            requirement.offered_load if requirement is not None else [group.bounds.min] * grid.count,
            group.bounds,
        )
        for group, requirement in zip(groups, first, strict=True)
    )
    plan = planner.search(start, tuning)
    notes = []
    if planner.candidates >= MOST_CANDIDATES:
        notes.append(f"the search stopped after {MOST_CANDIDATES} candidate plans")
    # Verify on fresh seeds, mending what misses there.
    repairs = 0
    offset = replications
    verify = [seed + offset + r for r in range(replications)]
    verified = planner.judge(plan, verify)
    while verified.misses and repairs < REPAIRS:
        state = [list(counts) for counts in plan]
        for index in _stretch_starts(verified.misses):
            found = planner._where_to_add(verified, state, index)
            if found is not None:
                state[found[0]][found[1]] += 1
        plan = _frozen(state)
        repairs += 1
        offset += replications
        verify = [seed + offset + r for r in range(replications)]
        verified = planner.judge(plan, verify)
    # The Erlang answers compared are for the customers each group gets under the plan.
    arrivals, shop_arrivals, erlang = requirements(verified)
    result = PlanResult(
        scenario,
        groups,
        grid,
        parsed,
        replications,
        tuning,
        arrivals,
        shop_arrivals,
        erlang,
        plan,
        verified,
        verify,
        repairs,
        0,
        0,
        unplanned=unplanned,
        notes=notes,
    )
    compared: dict[str, Staffing] = {"simulated": plan}
    shifts = [_shifts(group, grid, scenario, counts) for group, counts in zip(groups, plan, strict=True)]
    result.shifts = shifts
    if result.short:
        result.notes.append(
            "the shifts leave intervals short of the plan (below): the rosters given are the plan's, "
            "not the shifts'"
        )
    if any(made is not None for made in shifts):
        compared["shifts"] = tuple(
            _clamped(made[1].staffed, group.bounds) if made is not None else counts
            for group, counts, made in zip(groups, plan, shifts, strict=True)
        )
    if all(requirement is not None for requirement in erlang):
        compared["offered_load"] = tuple(
            _clamped(r.offered_load, g.bounds) for g, r in zip(groups, erlang, strict=True) if r is not None
        )
        compared["pointwise"] = tuple(
            _clamped(r.pointwise, g.bounds) for g, r in zip(groups, erlang, strict=True) if r is not None
        )
    judged = planner.judge_all(list(compared.values()), verify)
    result.compared = {
        name: (staffing, j) for (name, staffing), j in zip(compared.items(), judged, strict=True)
    }
    result.candidates, result.days = planner.candidates, planner.days
    return result


def _shifts(
    group: PlannedGroup, grid: Grid, scenario: Scenario, counts: Sequence[int]
) -> tuple[list[ShiftChoice], Cover] | None:
    """The cheapest shifts covering ``counts`` (None: the group gives no shift lengths)."""
    bounds = group.bounds
    if bounds.min_shift is None or bounds.max_shift is None:
        return None
    choices = shift_choices(bounds, grid, scenario)
    if not choices:
        return [], Cover({}, 0.0, [0] * grid.count, list(range(grid.count)))
    return choices, cheapest_cover(
        list(counts), choices, most=bounds.people, at_most=[bounds.max] * grid.count
    )


def shift_choices(bounds: PlanBounds, grid: Grid, scenario: Scenario) -> list[ShiftChoice]:
    """Every shift a person may work: starting at opening, on each clock hour (``shift_starts:
    hour``) or at any interval, or so as to end at closing; lasting ``min_shift``, then a step
    (an hour, or an interval) longer each, up to ``max_shift`` (which is one of the lengths);
    ending by closing. Each covers the intervals wholly inside it (the last one, cut at
    closing, by a shift that works to closing); its cost is its hours."""
    assert bounds.min_shift is not None and bounds.max_shift is not None
    step = 3600.0 if bounds.shift_starts == "hour" else grid.length
    opening = scenario.opening_seconds() or 0.0
    lengths = []
    length = bounds.min_shift
    while length < bounds.max_shift - 1e-9:
        lengths.append(length)
        length += step
    lengths.append(bounds.max_shift)
    starts = [0.0]
    first = math.ceil(opening / step - 1e-9) * step - opening  # the first clock step after opening
    if first <= 1e-9:
        first += step
    while first < grid.day - 1e-9:
        starts.append(first)
        first += step
    starts += [grid.day - length for length in lengths if grid.day - length > 1e-9]  # to closing
    ends = [min(grid.length * (k + 1), grid.day) for k in range(grid.count)]
    found: dict[tuple[int, int], ShiftChoice] = {}
    for start in sorted(set(starts)):
        for length in lengths:
            end = start + length
            if end > grid.day + 1e-9:
                continue
            begin = math.ceil(start / grid.length - 1e-9)
            stop = sum(1 for finish in ends if finish <= end + 1e-9)
            if stop <= begin:
                continue
            name = f"{_moment(scenario)(start)}+{_hours(length)}"
            choice = ShiftChoice(name, begin, stop - begin, cost=length / 3600.0)
            known = found.get((begin, stop))
            if known is None or choice.price < known.price:  # the same intervals for fewer hours
                found[(begin, stop)] = choice
    return sorted(found.values(), key=lambda choice: (choice.start, choice.length))


def _moment(scenario: Scenario) -> Callable[[float], str]:
    """Seconds since opening as the plan's lines say them: by the clock, or since opening."""
    return elapsed_text if scenario.opens_at is None else scenario.moment_text


def _hours(seconds: float) -> str:
    hours, rest = divmod(round(seconds), 3600)
    return f"{hours}h{rest // 60:02d}m" if rest else f"{hours}h"


def _unreachable(
    scenario: Scenario, groups: Sequence[PlannedGroup], grid: Grid, goals: Sequence[Goal], judged: Judged
) -> str:
    """``even 12 tills miss service_level >= 0.8 between 12:00 and 12:15`` (and how many more)."""
    misses = judged.unsure
    first = misses[0]
    start = first * grid.length
    end = min(grid.day, start + grid.length)
    moment = _moment(scenario)
    tills = " + ".join(f"{group.bounds.max} {group.name}" for group in groups)
    if len(groups) == 1 and groups[0].name == "tills":
        tills = f"{groups[0].bounds.max} till{'s' if groups[0].bounds.max != 1 else ''}"
    failing = [
        goal.text
        for goal, row in zip(goals, judged.sides, strict=True)
        if not goal_holds(goal, row[first][0])
    ]
    one = tills == "1 till"
    # Its mean misses, or only its 95 % interval reaches past the goal (more runs may tell).
    verb, surely = ("misses" if one else "miss"), ""
    if not failing:
        failing = [goal.text for goal in goals]
        verb = "does not surely meet" if one else "do not surely meet"
        surely = "more --replications may tell (its 95% interval reaches past the goal), or "
    more = (
        f" (and {len(misses) - 1} later interval{'s' if len(misses) > 2 else ''})" if len(misses) > 1 else ""
    )
    return (
        f"even {tills} {verb} {' and '.join(failing)} between {moment(start)} and {moment(end)}{more}; "
        f"{surely}raise plan.max or ease the goal"
    )


def goal_holds(goal: Goal, mean: float | None) -> bool:
    """An interval's mean of the goal's left side holds the goal against its right side, a
    number (an interval without the figure, or a right side that is not a number, holds)."""
    if mean is None:
        return True
    right = goal.right({})
    if right is None:
        return True
    return _on_side(goal.comparator, mean - right)
