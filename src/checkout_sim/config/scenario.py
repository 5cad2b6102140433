"""The scenario format: pydantic models for everything a YAML scenario may say.

The models only describe and validate; :mod:`checkout_sim.config.loader` reads YAML into
them and the engine runs them. All times are seconds, all rates per second.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, NamedTuple

from pydantic import Field, ModelWrapValidatorHandler, PrivateAttr, Tag, model_validator
from pydantic_core import PydanticCustomError

from .arrival_files import ProfileRows, TraceFile
from .base import Model, raise_rules, rule_error, tagged_union
from .distributions import (
    Constant,
    ConstantCount,
    CountDistribution,
    Distribution,
    Weight,
    check_most,
)
from .measures import Costs, Money, ServiceLevel
from .staffing import (
    MAX_CASHIERS,
    Breaks,
    OnClose,
    PlanBounds,
    Shift,
    constant_count,
    most_staffed,
    require_count,
    staffing_problems,
)
from .times import ClockTime, PositivePointInTime, clock_text, opening
from .units import Duration, NonNegativeRate, PositiveDuration, Rate, parse_clock_time

__all__ = [
    "MAX_CASHIERS",
    "MAX_CUSTOMERS",
    "MAX_GROUP",
    "MAX_ITEMS",
    "MAX_PRICE",
    "MAX_PRIORITY",
    "MAX_SPEED",
    "MAX_WAITING",
    "MIN_SPEED",
    "Basket",
    "BatchArrivals",
    "Cashiers",
    "ConstantArrivals",
    "Jockey",
    "Lane",
    "Phase",
    "PoissonArrivals",
    "Product",
    "ProfileArrivals",
    "QueueSpec",
    "Scaling",
    "Scenario",
    "ScheduleArrivals",
    "Segment",
    "Stretch",
    "TraceArrivals",
    "expected_time",
]

#: The largest ``arrivals.limit`` (and expected number of arrivals); a run that long would take days.
MAX_CUSTOMERS = 10**10
#: The most customers an unbounded line may hold before the run stops as overloaded;
#: also the largest ``queue.capacity`` and ``scaling.open_at``.
MAX_WAITING = 1_000_000
#: The most items in one basket: each is a scan time kept until the customer is served.
MAX_ITEMS = 10_000
#: The largest batch of customers arriving together (a line takes at most MAX_WAITING).
MAX_GROUP = MAX_WAITING
#: Segment priorities lie within plus or minus this.
MAX_PRIORITY = 10**9
#: The largest price of a product.
MAX_PRICE = 10**12
#: The realtime clock's speed range: below MIN_SPEED a long pause would ask the
#: operating system for a wait longer than it accepts (about 24.8 days).
MIN_SPEED = 0.1
MAX_SPEED = 10**9

Name = Annotated[str, Field(min_length=1, max_length=200)]


class Product(Model):
    """An item in the catalogue and how long it takes to scan."""

    name: Name
    checkout_time: Distribution
    popularity: Weight = 1.0
    price: Annotated[float, Field(ge=0, le=MAX_PRICE)] | None = None


class Basket(Model):
    """How many items a customer buys; each is drawn from the catalogue by popularity."""

    items: CountDistribution = ConstantCount(value=1)

    @model_validator(mode="after")
    def _not_too_many(self) -> Basket:
        check_most(self.items, "items", MAX_ITEMS)
        return self


class Jockey(Model):
    """Switching lines: the last in a line moves to one that is ``min_gain`` people shorter.

    A gain of 1 would only swap which line is longer (and back), so the least is 2.
    """

    min_gain: Annotated[int, Field(ge=2, le=MAX_WAITING)] = 2
    move_time: Duration = 0.0


class Segment(Model):
    """A class of customers: its share of arrivals, priority, patience and basket.

    With ``lanes``, ``choice`` says how its customers pick a line among those open to
    them (``shortest``: fewest people ahead per open till; ``random``; ``fewest_items``:
    fewest items still to scan ahead; ``least_work``: least expected time ahead), and
    ``prefer`` lists groups to try in order instead (the first open to them with room).
    ``jockey`` lets them switch to a shorter line at a till of their own.
    """

    name: Name
    share: Weight = 1.0
    priority: Annotated[int, Field(ge=-MAX_PRIORITY, le=MAX_PRIORITY)] = 0
    patience: Distribution | None = None
    basket: Basket | None = None
    choice: Literal["shortest", "random", "fewest_items", "least_work"] = "shortest"
    prefer: Annotated[list[Name], Field(min_length=1, json_schema_extra={"uniqueItems": True})] | None = None
    jockey: Jockey | None = None

    _features = ("choice", "prefer", "jockey")

    @model_validator(mode="after")
    def _prefer_each_once(self) -> Segment:
        """A lane named twice in ``prefer`` says nothing the first did not, yet it changed the run: a slip."""
        first: dict[str, int] = {}
        problems = []
        for place, name in enumerate(self.prefer or ()):
            if name in first:
                problems.append(
                    rule_error(
                        f"prefer.{place}",
                        f"{name!r} is listed already (prefer.{first[name]}); name each lane once",
                        also=[f"prefer.{first[name]}"],
                    )
                )
            first.setdefault(name, place)
        raise_rules("Segment", problems)
        return self


#: The most ``intervals`` a day may be cut into (each is a line of the log and of the summary).
MAX_INTERVALS = 100_000
#: ``arrivals.limit``: stop after this many customers.
Limit = Annotated[int, Field(ge=1, le=MAX_CUSTOMERS)] | None


class Stretch(NamedTuple):
    """A stretch of time with one mean arrival rate (per second), for the overload check.

    ``key`` sets the rate (a warning is shown there); ``name`` says which stretch it is
    (``phase 2``), empty for arrivals at one rate from opening to the end.
    """

    key: str
    rate: float
    name: str = ""
    start: float = 0.0
    until: float = math.inf


class _Pattern:
    """What every arrival pattern says about itself besides its arrivals."""

    #: Arrivals end by themselves (a trace's last row): the scenario needs no closing time.
    #: Otherwise they go on until the closing time or ``limit``, one of which it must give.
    ends_by_itself: ClassVar[bool] = False

    def logged(self, data: dict[str, Any]) -> dict[str, Any]:
        """The pattern's part of ``run_started``'s config, from its dump (what else it read, added)."""
        return data


class _AtOneRate(_Pattern):
    """Arrivals at one steady mean rate (``rate``, per second), from opening to the end."""

    if TYPE_CHECKING:  # declared by the models that mix this in
        rate: float

    def expected(self, duration: float) -> float:
        """The mean number of arrivals in ``duration`` seconds from opening."""
        return self.rate * duration

    def stretches(self) -> list[Stretch]:
        """Each stretch of time with its mean arrival rate (per second), and the key that sets it."""
        return [Stretch("arrivals.rate", self.rate)]

    def time_of(self, count: float) -> float | None:
        """When the mean number of arrivals reaches ``count`` (seconds from opening)."""
        return count / self.rate


class PoissonArrivals(_AtOneRate, Model):
    """Arrivals with exponential gaps: the M in M/M/c."""

    pattern: Literal["poisson"]
    rate: Rate
    limit: Limit = None


class ConstantArrivals(_AtOneRate, Model):
    """Evenly spaced arrivals, the first one gap after opening."""

    pattern: Literal["constant"]
    rate: Rate
    limit: Limit = None


class BatchArrivals(_Pattern, Model):
    """A group of ``size`` customers every ``every``, the first group at opening."""

    pattern: Literal["batch"]
    every: PositiveDuration
    size: CountDistribution
    limit: Limit = None

    def expected(self, duration: float) -> float:
        """The mean number of arrivals in ``duration`` seconds from opening (a group at 0 too)."""
        return self.size.mean * (duration / self.every + 1)

    def stretches(self) -> list[Stretch]:
        """Each stretch of time with its mean arrival rate (per second), and the key that sets it."""
        return [Stretch("arrivals.size", self.size.mean / self.every)]

    def time_of(self, count: float) -> float | None:
        """When the mean number of arrivals reaches ``count`` (seconds from opening; a group at 0)."""
        return max(0.0, (count / self.size.mean - 1) * self.every) if self.size.mean > 0 else None

    @model_validator(mode="after")
    def _someone_comes(self) -> BatchArrivals:
        check_most(self.size, "size", MAX_GROUP)
        if not self.size.can_be_positive():
            raise rule_error("size", "is always 0: nobody would ever arrive")
        return self


class Phase(Model):
    """A stretch of a schedule: Poisson arrivals at ``rate`` until time ``until``."""

    until: PositivePointInTime
    rate: NonNegativeRate


class ScheduleArrivals(_Pattern, Model):
    """Poisson arrivals whose rate changes at fixed times (a morning peak)."""

    pattern: Literal["schedule"]
    phases: Annotated[list[Phase], Field(min_length=1)]
    limit: Limit = None

    @model_validator(mode="after")
    def _phases_in_order(self) -> ScheduleArrivals:
        problems = [
            rule_error(
                f"phases.{index}.until",
                "phases must be in order: each until must be later than the one before",
                also=[f"phases.{index - 1}.until"],
            )
            for index in range(1, len(self.phases))
            if self.phases[index].until <= self.phases[index - 1].until
        ]
        if not any(phase.rate > 0 for phase in self.phases):
            problems.append(rule_error("phases", "at least one phase must have a rate above 0"))
        raise_rules("ScheduleArrivals", problems)
        return self

    def steps(self) -> list[Stretch]:
        """The phases, each with its start (the previous phase's end) and end."""
        found, start = [], 0.0
        for index, phase in enumerate(self.phases):
            found.append(
                Stretch(f"arrivals.phases.{index}.rate", phase.rate, f"phase {index + 1}", start, phase.until)
            )
            start = phase.until
        return found

    def expected(self, duration: float) -> float:
        """The mean number of arrivals in ``duration`` seconds from opening."""
        return _expected(self.steps(), duration)

    def stretches(self) -> list[Stretch]:
        """Each phase with its arrival rate (per second), and the key that sets it."""
        return self.steps()

    def time_of(self, count: float) -> float | None:
        """When the mean number of arrivals reaches ``count`` (None: not within the phases)."""
        return _time_of(self.steps(), count)


def _expected(steps: Sequence[Stretch], duration: float) -> float:
    """The mean number of arrivals in ``duration`` seconds from opening, at a rate for each step."""
    expected = 0.0
    for step in steps:
        expected += step.rate * max(0.0, min(step.until, duration) - step.start)
    return expected


def _time_of(steps: Sequence[Stretch], count: float) -> float | None:
    """When the mean number of arrivals reaches ``count`` (None: not within the steps)."""
    expected = 0.0
    for step in steps:
        more = step.rate * (step.until - step.start)
        if step.rate > 0 and expected + more >= count:
            return step.start + (count - expected) / step.rate
        expected += more
    return None


#: A data file's name: relative to the scenario file (or absolute).
FileName = Annotated[str, Field(min_length=1, max_length=4096)]


class TraceArrivals(_Pattern, Model):
    """Arrivals replayed from a file: a customer for each row, at its time ``t``.

    The file is checked by the loader once the scenario is valid (it may need
    ``opens_at`` and the segments); until then the model knows only its name.
    """

    ends_by_itself: ClassVar[bool] = True
    pattern: Literal["trace"]
    file: FileName
    limit: Limit = None
    _trace: TraceFile | None = PrivateAttr(default=None)

    def read(self, trace: TraceFile) -> None:
        """Keep what checking the file found (its rows are read again as the run replays them)."""
        self._trace = trace

    @property
    def trace(self) -> TraceFile:
        """The checked file; a scenario not read by the loader has none."""
        if self._trace is None:
            raise RuntimeError(
                f"the trace {self.file!r} was not read: "
                "load the scenario with load_scenario or parse_scenario"
            )
        return self._trace

    def expected(self, duration: float) -> float:
        """The number of rows (all of them: a file is not cut at the closing time in advance)."""
        return float(self._trace.rows) if self._trace is not None else 0.0

    def stretches(self) -> list[Stretch]:
        """None: a trace's rate is what its rows say (no overload warning)."""
        return []

    def time_of(self, count: float) -> float | None:
        return None

    def logged(self, data: dict[str, Any]) -> dict[str, Any]:
        """The file as written, its row count and its SHA-256, never its rows."""
        if self._trace is not None:
            data.update(rows=self._trace.rows, sha256=self._trace.sha256)
        return data


class ProfileArrivals(_Pattern, Model):
    """Poisson arrivals at ``count / interval`` in each interval: the hourly footfall a till system exports.

    ``counts`` gives the intervals one after another from opening; ``file`` a CSV of
    ``from,count`` rows (in order, an interval apart or more: nobody arrives in a gap).
    After the last interval nobody arrives.
    """

    ends_by_itself: ClassVar[bool] = True
    pattern: Literal["profile"]
    interval: PositiveDuration
    counts: Annotated[list[Annotated[int, Field(ge=0, le=MAX_CUSTOMERS)]], Field(min_length=1)] | None = None
    file: FileName | None = None
    limit: Limit = None
    _rows: ProfileRows | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _counts_or_file(self) -> ProfileArrivals:
        if self.counts is not None and self.file is not None:
            raise rule_error("file", "give counts or file, not both", also=["counts"])
        if self.counts is None and self.file is None:
            raise rule_error(
                "counts", "required key is missing: give counts (one per interval) or file (from,count rows)"
            )
        if self.counts is not None:
            if not any(self.counts):
                raise rule_error("counts", "are all 0: nobody would arrive")
            starts = tuple(index * self.interval for index in range(len(self.counts)))
            self._rows = ProfileRows(starts, tuple(self.counts))
        return self

    def read(self, rows: ProfileRows) -> None:
        """Keep the rows read from the file."""
        self._rows = rows

    def steps(self) -> list[Stretch]:
        """Each interval (and each gap between them, at rate 0) with its rate, from opening."""
        rows = self._rows
        if rows is None:
            return []
        found, end = [], 0.0
        for index, (start, count) in enumerate(zip(rows.starts, rows.counts, strict=True)):
            if start > end:
                found.append(Stretch("", 0.0, "", end, start))
            key = f"arrivals.counts.{index}" if self.counts is not None else "arrivals.file"
            end = start + self.interval
            found.append(Stretch(key, count / self.interval, f"interval {index + 1}", start, end))
        return found

    def phases(self) -> list[tuple[float, float]]:
        """(until, rate) of each step, as a schedule's phases."""
        return [(step.until, step.rate) for step in self.steps()]

    def expected(self, duration: float) -> float:
        """The mean number of arrivals in ``duration`` seconds from opening."""
        return _expected(self.steps(), duration)

    def stretches(self) -> list[Stretch]:
        """Each interval with its arrival rate (per second), and the key that sets it."""
        return [step for step in self.steps() if step.key]

    def time_of(self, count: float) -> float | None:
        """When the mean number of arrivals reaches ``count`` (None: not within the profile)."""
        return _time_of(self.steps(), count)


def _pattern_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        pattern = value.get("pattern")
        return pattern if isinstance(pattern, str) else None
    return getattr(value, "pattern", None)


Arrivals = Annotated[
    Annotated[PoissonArrivals, Tag("poisson")]
    | Annotated[ConstantArrivals, Tag("constant")]
    | Annotated[BatchArrivals, Tag("batch")]
    | Annotated[ScheduleArrivals, Tag("schedule")]
    | Annotated[TraceArrivals, Tag("trace")]
    | Annotated[ProfileArrivals, Tag("profile")],
    tagged_union(
        _pattern_tag,
        "arrival_pattern",
        "expected a mapping whose pattern is poisson, constant, batch, schedule, trace or profile",
        tag="pattern",
        noun="pattern",
        choices=("poisson", "constant", "batch", "schedule", "trace", "profile"),
    ),
]


class QueueSpec(Model):
    """The waiting line: its order, its size and what happens when it is full."""

    kind: Literal["fifo", "lifo", "priority"] = "fifo"
    capacity: Annotated[int, Field(ge=1, le=MAX_WAITING)] | None = None
    when_full: Literal["wait", "balk"] = "wait"


class Scaling(Model):
    """A manager who opens extra lanes when the line grows and closes them when it shrinks."""

    max: Annotated[int, Field(ge=1, le=MAX_CASHIERS)]
    open_at: Annotated[int, Field(ge=1, le=MAX_WAITING)]
    close_at: Annotated[int, Field(ge=0)] = 0

    @model_validator(mode="after")
    def _hysteresis(self) -> Scaling:
        if self.close_at >= self.open_at:
            raise rule_error(
                "close_at", "must be below open_at, or lanes would open and close at once", also=["open_at"]
            )
        return self


class Cashiers(Model):
    """The tills: how many are open (a constant ``count``, or a ``roster``), payment time,
    optional scaling and breaks."""

    count: Annotated[int, Field(ge=1, le=MAX_CASHIERS)] | None = None
    roster: Annotated[list[Shift], Field(min_length=1)] | None = None
    payment_time: Distribution = Constant(value=0.0)
    scaling: Scaling | None = None
    breaks: Breaks | None = None
    plan: PlanBounds | None = None

    _features = ("roster", "breaks", "plan")

    @model_validator(mode="before")
    @classmethod
    def _counted(cls, data: Any) -> Any:
        require_count("Cashiers", data)
        return data

    @model_validator(mode="after")
    def _staffed(self) -> Cashiers:
        raise_rules(
            "Cashiers",
            staffing_problems(self.count, self.roster, None if self.scaling is None else self.scaling.max),
        )
        return self

    @property
    def most(self) -> int:
        """The most lanes that can ever be open."""
        return most_staffed(self.count, self.roster) if self.scaling is None else self.scaling.max

    @property
    def constant_count(self) -> int | None:
        """The tills staffed all day, if a roster or breaks never change it (else None)."""
        return constant_count(self.count, self.roster, self.breaks)


class Assist(Model):
    """Help at a self-checkout: how often a customer needs an attendant, and for how long."""

    probability: Annotated[float, Field(ge=0, le=1)]
    time: Distribution


class Lane(Model):
    """A group of identical tills: staffed tills, express lanes, kiosks.

    They share one line (``line: shared``, a snake line), or each has its own
    (``line: per_till``), its ``queue`` settings applying to every one of them.
    """

    name: Name
    count: Annotated[int, Field(ge=1, le=MAX_CASHIERS)] | None = None
    roster: Annotated[list[Shift], Field(min_length=1)] | None = None
    line: Literal["shared", "per_till"] = "shared"
    on_close: OnClose = "finish_line"
    payment_time: Distribution = Constant(value=0.0)
    queue: QueueSpec = QueueSpec()
    scaling: Scaling | None = None
    max_items: Annotated[int, Field(ge=0, le=MAX_ITEMS)] | None = None
    scan_factor: Annotated[float, Field(gt=0, le=1000)] = 1.0
    attendants: Annotated[int, Field(ge=0, le=MAX_CASHIERS)] = 0
    assist: Assist | None = None
    segments: Annotated[list[Name], Field(min_length=1)] | None = None
    breaks: Breaks | None = None
    #: With ``costs``: what a staffed till-hour of this group costs, where it differs from
    #: ``costs.staff_per_hour`` (a kiosk bank's till-hours may cost nothing: its attendants do).
    staff_per_hour: Money | None = None
    #: What ``run-scenario --plan`` may staff the group with (None: the defaults).
    plan: PlanBounds | None = None

    _features = ("line", "roster", "on_close", "breaks", "staff_per_hour", "plan")

    @model_validator(mode="before")
    @classmethod
    def _counted(cls, data: Any) -> Any:
        require_count("Lane", data)
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Lane:
        problems = staffing_problems(
            self.count, self.roster, None if self.scaling is None else self.scaling.max
        )
        if self.assist is not None and self.attendants == 0:
            problems.append(
                rule_error("assist", "needs attendants (at least 1) to give the help", also=["attendants"])
            )
        raise_rules("Lane", problems)
        return self

    @property
    def most(self) -> int:
        """The most tills of this group that can ever be open."""
        return most_staffed(self.count, self.roster) if self.scaling is None else self.scaling.max

    @property
    def opening(self) -> int:
        """How many tills are open at the opening: the count, or the roster's first entry."""
        if self.roster is not None:
            return self.roster[0].open
        assert self.count is not None, "validated: a count or a roster"
        return self.count

    @property
    def constant_count(self) -> int | None:
        """The tills staffed all day, if a roster or breaks never change it (else None)."""
        return constant_count(self.count, self.roster, self.breaks)

    def takes(self, segment: str, items: int) -> bool:
        """Whether a customer of ``segment`` with ``items`` items may use this group."""
        return (self.segments is None or segment in self.segments) and (
            self.max_items is None or items <= self.max_items
        )

    def open_to(self, segment: Segment) -> bool:
        """The segment's shoppers may use this group: it takes them, and their ``prefer`` list,
        if any, names it (as routing does, whatever their baskets)."""
        return self.takes(segment.name, 0) and (segment.prefer is None or self.name in segment.prefer)


def _unique(items: Sequence[Product | Segment | Lane], key: str) -> list[PydanticCustomError]:
    """One problem for each name used before, at the later use."""
    first: dict[str, int] = {}
    problems = []
    for index, item in enumerate(items):
        if item.name in first:
            problems.append(
                rule_error(
                    f"{key}.{index}.name",
                    f"duplicate name {item.name!r}",
                    also=[f"{key}.{first[item.name]}.name"],
                )
            )
        first.setdefault(item.name, index)
    return problems


#: What every overload warning says after the tills it counts: ``--plan`` leaves these out, since
#: the plan, not the scenario's count, staffs the day (and says so if even its most cannot).
OVERLOAD_MARK = " open at most: "


def expected_time(distribution: Distribution) -> float:
    """A time distribution's mean as drawn (a normal's after clipping at 0)."""
    clipped: float | None = getattr(distribution, "clipped_mean", None)
    return clipped if clipped is not None else distribution.mean


def _rate_text(rate: float) -> str:
    """A rate in the unit that shows it best: 40/s, 12/min, 30/h."""
    for per, unit in ((1.0, "s"), (60.0, "min"), (3600.0, "h")):
        if rate * per >= 1:
            return f"{rate * per:.4g}/{unit}"
    return f"{rate * 86400:.4g}/d"


def _people(count: float) -> str:
    """A number of people as a warning says it: 9.75, 975, 23,800."""
    return f"{count:.3g}" if count < 1000 else f"{float(f'{count:.3g}'):,.0f}"


def _duration_text(seconds: float) -> str:
    """A duration as written in a scenario: 2s, 1.5min, 2h30m."""
    if seconds < 60:
        return f"{seconds:.3g}s"
    if seconds < 3600:
        return f"{seconds / 60:.3g}min"
    hours, rest = divmod(round(seconds / 60), 60)
    return f"{hours}h{rest:02d}m" if rest else f"{hours}h"


class Scenario(Model):
    """A whole scenario file: who arrives, what they buy, how they queue, who serves."""

    name: Name
    description: str | None = None
    seed: Annotated[int, Field(ge=0, lt=2**63)] | None = None
    clock: Literal["virtual", "realtime"] = "virtual"
    speed: Annotated[float, Field(ge=MIN_SPEED, le=MAX_SPEED)] = 1.0
    opens_at: ClockTime | None = None
    duration: PositiveDuration | None = None
    closes_at: PositivePointInTime | None = None
    warmup: Duration = 0.0
    drain: bool = True
    products: Annotated[list[Product], Field(min_length=1)]
    basket: Basket = Basket()
    segments: Annotated[list[Segment], Field(min_length=1)] = Field(
        default_factory=lambda: [Segment(name="regular")]
    )
    arrivals: Arrivals
    queue: QueueSpec = QueueSpec()
    lanes: Annotated[list[Lane], Field(min_length=1)] | None = None
    cashiers: Cashiers | None
    service_level: ServiceLevel | None = None
    intervals: PositiveDuration | None = None
    costs: Costs | None = None

    _features = ("warmup", "lanes", "opens_at", "closes_at", "service_level", "intervals", "costs")

    @model_validator(mode="wrap")
    @classmethod
    def _times_of_day(cls, data: Any, handler: ModelWrapValidatorHandler[Scenario]) -> Scenario:
        """The keys inside read a time of day (``until: "12:00"``) against ``opens_at``, read first."""
        with opening(data.get("opens_at") if isinstance(data, dict) else None):
            return handler(data)

    @model_validator(mode="before")
    @classmethod
    def _lanes_stand_for_cashiers(cls, data: Any) -> Any:
        """With ``lanes`` (and no ``cashiers``), ``cashiers`` is not missing: the lanes are the tills."""
        if isinstance(data, dict) and "lanes" in data and "cashiers" not in data:
            return {**data, "cashiers": None}
        return data

    def _check_costs(self) -> list[PydanticCustomError]:
        """A lane's own rate needs ``costs``; a lost basket's value needs every product's price."""
        problems = []
        for index, lane in enumerate(self.lanes or ()):
            if lane.staff_per_hour is not None and self.costs is None:
                problems.append(
                    rule_error(
                        f"lanes.{index}.staff_per_hour",
                        "needs costs (costs: {staff_per_hour: ...}), which it overrides for this group",
                    )
                )
        if self.costs is not None and self.costs.lost_customer == "basket_value":
            problems.extend(
                rule_error(
                    f"products.{index}",
                    "needs a price: costs.lost_customer is basket_value",
                    ["costs.lost_customer"],
                )
                for index, product in enumerate(self.products)
                if product.price is None
            )
        return problems

    def _unused(self) -> list[str]:
        """With lanes, ``queue`` and ``cashiers`` do not apply (and may not be given): left out.

        With ``closes_at``, ``duration`` is the closing time it gives (the engine reads that),
        not a key the user wrote: left out too, so the logged scenario reads back as written.
        """
        unused = super()._unused()
        if self.closes_at is not None:
            unused.append("duration")
        return unused if self.lanes is None else [*unused, "queue", "cashiers"]

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        """Every rule across keys, each checked on its own, so that one try shows all that break.

        A check that needs another to hold (a segment's baskets against lanes whose
        segment names are wrong) is skipped when that one fails.
        """
        problems: list[PydanticCustomError] = []
        closing = "duration"
        if self.closes_at is not None:
            closing = "closes_at"
            if self.duration is not None:
                problems.append(
                    rule_error(
                        "closes_at",
                        "give closes_at or duration, not both (duration is the time from opening to closing)",
                        ["duration"],
                    )
                )
            else:
                # The closing time is the duration the engine reads (see _unused).
                object.__setattr__(self, "duration", self.closes_at)
        if self.duration is None and self.arrivals.limit is None and not self.arrivals.ends_by_itself:
            problems.append(
                rule_error(
                    "duration",
                    "is required unless closes_at or arrivals.limit is given",
                    ["closes_at", "arrivals.limit"],
                )
            )
        if self.duration is None and not self.drain:
            problems.append(
                rule_error(
                    "drain",
                    "false needs a duration or closes_at (the closing time)",
                    ["duration", "closes_at"],
                )
            )
        if self.duration is not None and self.warmup >= self.duration:
            problems.append(
                rule_error(
                    "warmup",
                    f"must end before the {'duration' if closing == 'duration' else 'closing time'} "
                    f"({self.moment_text(self.duration)}), or no customer would count",
                    [closing],
                )
            )
        if self.arrivals.pattern == "schedule" and self.duration is not None:
            last = self.arrivals.phases[-1].until
            if self.duration > last:
                problems.append(
                    rule_error(
                        closing,
                        f"is later than the last phase ({self.moment_text(last)}); "
                        "add a phase that covers it",
                        [f"arrivals.phases.{len(self.arrivals.phases) - 1}.until"],
                    )
                )
        if (
            self.intervals is not None
            and self.duration is not None
            and self.duration / self.intervals > MAX_INTERVALS
        ):
            problems.append(
                rule_error(
                    "intervals",
                    f"would cut the {self.duration:g}s into more than {MAX_INTERVALS:,} intervals; "
                    "make them longer",
                    ["duration"],
                )
            )
        problems += self._check_costs()
        problems += _unique(self.products, "products")
        problems += _unique(self.segments, "segments")
        problems += self._check_tills()
        if sum(product.popularity for product in self.products) <= 0:
            problems.append(
                rule_error(
                    "products",
                    "popularity must add up to more than 0",
                    [f"products.{index}.popularity" for index in range(len(self.products))],
                )
            )
        if sum(segment.share for segment in self.segments) <= 0:
            problems.append(
                rule_error(
                    "segments",
                    "shares must add up to more than 0",
                    [f"segments.{index}.share" for index in range(len(self.segments))],
                )
            )
        expected = self.expected_arrivals()
        if expected > MAX_CUSTOMERS and self.arrivals.limit is None:
            problems.append(
                rule_error(
                    closing,
                    f"about {expected:.3g} customers would arrive; the most a run takes is "
                    f"{MAX_CUSTOMERS:.0e} (shorten it or set arrivals.limit)",
                    [f"arrivals.{key}" for key in ("pattern", "rate", "phases", "every", "size", "limit")],
                )
            )
        raise_rules("Scenario", problems)
        return self

    def _check_tills(self) -> list[PydanticCustomError]:
        """``cashiers`` (with ``queue``) or ``lanes``, not both; and lanes every customer can use."""
        if self.lanes is None:
            return (
                []
                if self.cashiers is not None
                else [rule_error("cashiers", "required key is missing", ["lanes"])]
            )
        problems = []
        if self.cashiers is not None:
            problems.append(
                rule_error(
                    "cashiers", "give lanes or cashiers, not both (lanes have their own counts)", ["lanes"]
                )
            )
        if "queue" in self.model_fields_set:
            problems.append(
                rule_error("queue", "give lanes or queue, not both (each lane has its own queue)", ["lanes"])
            )
        problems += _unique(self.lanes, "lanes")
        if sum(lane.most for lane in self.lanes) > MAX_CASHIERS:
            problems.append(
                rule_error(
                    "lanes",
                    f"the groups have more than {MAX_CASHIERS:,} tills at most between them",
                    [
                        f"lanes.{index}.{key}"
                        for index in range(len(self.lanes))
                        for key in ("count", "scaling")
                    ],
                )
            )
        groups = {lane.name for lane in self.lanes}
        segments = {segment.name for segment in self.segments}
        segment_names = [f"segments.{index}.name" for index in range(len(self.segments))]
        lane_names = [f"lanes.{index}.name" for index in range(len(self.lanes))]
        named = len(problems)
        for index, lane in enumerate(self.lanes):
            for place, name in enumerate(lane.segments or ()):
                if name not in segments:
                    problems.append(
                        rule_error(
                            f"lanes.{index}.segments.{place}", f"no segment is called {name!r}", segment_names
                        )
                    )
        lanes_known = len(problems) == named
        for index, segment in enumerate(self.segments):
            unknown = [
                rule_error(f"segments.{index}.prefer.{place}", f"no lane is called {name!r}", lane_names)
                for place, name in enumerate(segment.prefer or ())
                if name not in groups
            ]
            problems += unknown
            if unknown or not lanes_known:
                continue  # which lanes take this segment is not known: fix the names first
            if segment.prefer is not None and not any(lane.open_to(segment) for lane in self.lanes):
                problems.append(
                    rule_error(
                        f"segments.{index}.prefer",
                        f"none of these lanes takes {segment.name!r}",
                        [*lane_names, *(f"lanes.{i}.segments" for i in range(len(self.lanes)))],
                    )
                )
                continue
            problems += self._check_a_lane_for_every_basket(index, segment)
        return problems

    def _check_a_lane_for_every_basket(self, index: int, segment: Segment) -> list[PydanticCustomError]:
        """Every basket a segment can draw fits some group open to it.

        The problem is at the basket when the file gives one; with the default basket
        (one item), at the roomiest lane's ``max_items``, the key the user wrote.
        """
        assert self.lanes is not None
        open_to = [(place, lane) for place, lane in enumerate(self.lanes) if lane.open_to(segment)]
        if not open_to:
            return [
                rule_error(
                    f"segments.{index}.name",
                    f"no lane takes {segment.name!r} (see each lane's segments)",
                    [
                        f"segments.{index}.prefer",
                        *(f"lanes.{place}.segments" for place in range(len(self.lanes))),
                    ],
                )
            ]
        limits = [lane.max_items for _, lane in open_to]
        if None in limits:
            return []
        roomiest = max(limit for limit in limits if limit is not None)
        items = (segment.basket or self.basket).items
        _, largest = items.largest()
        unbounded = getattr(items, "dist", None) == "poisson"
        if not unbounded and largest <= roomiest:
            return []
        place, biggest = next((place, lane) for place, lane in open_to if lane.max_items == roomiest)
        # Any of these, changed by a --set, can break the rule: the problem is then that flag's.
        involved = [
            f"segments.{index}.prefer",
            *(f"lanes.{other}.max_items" for other, _ in open_to),
            *(f"lanes.{other}.segments" for other in range(len(self.lanes))),
        ]
        if segment.basket is None and "basket" not in self.model_fields_set:
            return [
                rule_error(
                    f"lanes.{place}.max_items",
                    f"no lane takes the baskets of segment {segment.name!r} ({largest:g} item"
                    f"{'' if largest == 1 else 's'} each: basket.items is {largest:g} by default); "
                    f"{biggest.name} takes at most {roomiest}",
                    ["basket.items", *involved],
                )
            ]
        size = "of any size" if unbounded else f"of up to {largest:g} item{'' if largest == 1 else 's'}"
        whose = "" if segment.basket is not None else f" for segment {segment.name!r}"
        basket = f"segments.{index}.basket.items" if segment.basket is not None else "basket.items"
        return [
            rule_error(
                basket,
                f"baskets {size} have no lane ({biggest.name} takes at most {roomiest}){whose}",
                involved,
            )
        ]

    def opening_seconds(self) -> float | None:
        """``opens_at`` in seconds since midnight (None: the scenario gives no opening time)."""
        return None if self.opens_at is None else parse_clock_time(self.opens_at)

    def moment_text(self, seconds: float) -> str:
        """A moment (seconds since opening) as this scenario's messages say it: ``12:00`` with
        ``opens_at``, else seconds (``14400s``)."""
        start = self.opening_seconds()
        return f"{seconds:g}s" if start is None else clock_text(start + seconds)

    def tills(self) -> list[Lane]:
        """The groups of tills: the ``lanes``, or one group made of ``queue`` and ``cashiers``."""
        if self.lanes is not None:
            return list(self.lanes)
        assert self.cashiers is not None
        return [
            Lane(
                name="tills",
                count=self.cashiers.count,
                roster=self.cashiers.roster,
                payment_time=self.cashiers.payment_time,
                queue=self.queue,
                scaling=self.cashiers.scaling,
                breaks=self.cashiers.breaks,
                plan=self.cashiers.plan,
            )
        ]

    def switching_lines(self, segment: Segment) -> int:
        """How many lines at tills of their own (``line: per_till``, counting every till that may
        open) the segment's shoppers may use: the lines they could switch between.

        A segment's ``jockey`` has an effect only with two or more: shoppers switch only between
        lines at tills of their own, never into or out of a shared line. The run counts switches
        (``jockeyed``) exactly where this allows some (:meth:`may_switch`), and :meth:`warnings`
        says the ``jockey`` does nothing exactly where it allows none.
        """
        return sum(
            lane.most for lane in self.lanes or () if lane.line == "per_till" and lane.open_to(segment)
        )

    def may_switch(self, segment: Segment) -> bool:
        """The segment's shoppers may switch lines: it has ``jockey``, and two lines to switch between."""
        return segment.jockey is not None and self.switching_lines(segment) >= 2

    def logged(self) -> dict[str, Any]:
        """The validated scenario as plain data for ``run_started``'s ``config``.

        Keys of newer features are left out while at their defaults (see ``Model``), so
        that a scenario that does not use them logs exactly what it always did.
        """
        data: dict[str, Any] = self.model_dump(mode="json")
        data["arrivals"] = self.arrivals.logged(data["arrivals"])
        return data

    def expected_arrivals(self) -> float:
        """The mean number of arrivals until ``duration`` (ignoring limit and backpressure).

        Arrivals that end by themselves (a trace, a profile) are counted to their end.
        """
        if self.duration is None:
            if self.arrivals.ends_by_itself:
                return self.arrivals.expected(math.inf)
            return float(self.arrivals.limit or 0)
        return self.arrivals.expected(self.duration)

    def roomiest(self) -> list[tuple[int, str] | None]:
        """For each segment, the most items any lane open to it takes and that lane (None: no limit)."""
        found: list[tuple[int, str] | None] = []
        for segment in self.segments:
            limits = [(lane.max_items, lane.name) for lane in self.lanes or () if lane.open_to(segment)]
            if not limits or any(most is None for most, _ in limits):
                found.append(None)
            else:
                most, name = max((most, name) for most, name in limits if most is not None)
                found.append((most, name))
        return found

    def mean_service(self, lane: Lane | None = None) -> float:
        """The mean time a customer spends at a till: items × mean checkout time, plus payment.

        Segments weigh in by share, products by popularity; a normal time's mean is
        taken after clipping at 0, as the draws are. For ``lane``: its customers (the
        segments it takes), its scan factor and its payment time; without one, the
        first group of tills.
        """
        lane = lane or self.tills()[0]
        popularity = math.fsum(product.popularity for product in self.products)
        per_item = (
            math.fsum(product.popularity * expected_time(product.checkout_time) for product in self.products)
            / popularity
        )
        segments = [s for s in self.segments if lane.segments is None or s.name in lane.segments]
        shares = math.fsum(segment.share for segment in segments)
        items = (
            math.fsum(segment.share * (segment.basket or self.basket).items.mean for segment in segments)
            / shares
            if shares > 0
            else 0.0
        )
        return items * per_item * lane.scan_factor + expected_time(lane.payment_time)

    def overload(self, bare: Collection[str] = ()) -> list[tuple[str, str]]:
        """Stretches whose arrivals bring more work than every till open can do, with a warning each.

        The offered work is the arrival rate times the mean service time, in tills'
        worth; at or above the most tills that can be open, a line with no capacity
        grows as long as the stretch lasts (unless everyone gives up in the end). A
        bounded line or patience for all is a shop that turns the excess away by design.
        ``bare`` names the rates written as plain numbers (per second), which the loader
        knows: a large one is likely meant per hour, and the warning says how to write that.
        """
        lanes = self.tills()
        if any(lane.queue.capacity is not None for lane in lanes) or all(
            segment.patience is not None for segment in self.segments
        ):
            return []
        # With several groups, at best everyone goes to the quickest: warn only if even that overloads.
        service = min(self.mean_service(lane) for lane in lanes)
        tills = sum(lane.most for lane in lanes)
        # Arrivals stop at the closing time or after arrivals.limit customers, whichever comes first.
        last = None if self.arrivals.limit is None else self.arrivals.time_of(self.arrivals.limit)
        if last is not None and self.duration is not None and last >= self.duration:
            last = None  # the closing time comes first: the limit does not bound the line
        stop = min(self.duration or math.inf, math.inf if last is None else last)
        found = []
        for key, rate, name, start, until in self.arrivals.stretches():
            offered = rate * service
            if rate <= 0 or offered < tills:
                continue
            where = ""
            if name:
                if start >= stop:
                    continue  # arrivals stop before this stretch: it never comes
                until_text = _duration_text(until) if self.opens_at is None else self.moment_text(until)
                where = f"{name} (until {until_text}): "
            end = min(until, stop)
            people = (rate - tills / service) * (end - start)
            message = (
                f"{where}arrivals {_rate_text(rate)} need {offered:.3g} tills "
                f"({_duration_text(service)} each on average); "
                f"{tills} {'is' if tills == 1 else 'are'}{OVERLOAD_MARK}"
                + self._growth(people, end, until, last, name.split(" ")[0] or "phase")
            )
            if key in bare and rate >= 1:
                message += f" (a rate without a unit is per second: for {rate:g} an hour write {rate:g}/h)"
            found.append((key, message))
        return found

    def _growth(self, people: float, end: float, until: float, last: float | None, stretch: str) -> str:
        """How an overloaded line grows from a stretch's start until ``end``, by ``people``.

        ``stretch`` says what the stretch is (a schedule's ``phase``, a profile's ``interval``).

        ``end`` is the stretch's end (``until``: a phase's; infinite for one steady rate), or
        the closing time, or ``last``, when the last of ``arrivals.limit`` customers arrives
        on average, whichever comes first. With a limit, the line stops growing at ``last``.
        """
        phase = math.isfinite(until)
        if last is not None and last <= end:
            arrived = f"the last of the {self.arrivals.limit:,} customers has arrived"
            if people < 1:
                return f"the line will not settle until {arrived}"
            grows = f"the line will grow {'by' if phase else 'to'} about {_people(people)} people"
            return f"{grows} until {arrived} (after about {_duration_text(last)})"
        if not phase:
            return "the line will grow without limit"
        if end < until:
            return f"the line will grow by about {_people(people)} people until arrivals stop"
        return f"the line will grow all {stretch} long, by about {_people(people)} people"

    def warnings(self, bare: Collection[str] = ()) -> list[tuple[str, str]]:
        """Settings that are valid but do nothing, and arrivals the tills cannot keep up with.

        Returned as (dotted key, message) pairs; ``bare`` as for :meth:`overload`.
        """
        return [(key, message) for key, message, _ in self.warnings_involving(bare)]

    def warnings_involving(self, bare: Collection[str] = ()) -> list[tuple[str, str, tuple[str, ...]]]:
        """:meth:`warnings`, each with the other keys it involves (a ``--set`` of one is to blame)."""
        found = self._without_effect(bare)
        for key, tills in self._groups():
            if tills.scaling is not None and tills.queue.capacity is not None:
                capacity = tills.queue.capacity
                if tills.scaling.open_at > capacity:
                    line = "each till's line" if tills.line == "per_till" else "the line"
                    capacity_key = "queue.capacity" if key == "cashiers" else f"{key}.queue.capacity"
                    found.append(
                        (
                            f"{key}.scaling.open_at",
                            f"has no effect: {line} holds at most {capacity} ({capacity_key}), so it never "
                            f"reaches {tills.scaling.open_at} and no extra till ever opens; "
                            f"set open_at to at most {capacity}",
                            (capacity_key,),
                        )
                    )
        return found

    def _groups(self) -> list[tuple[str, Lane]]:
        """Each group of tills with the key its settings are under (``cashiers`` or ``lanes.N``)."""
        if self.lanes is None:
            return [("cashiers", self.tills()[0])]
        return [(f"lanes.{index}", lane) for index, lane in enumerate(self.lanes)]

    def _without_effect(self, bare: Collection[str]) -> list[tuple[str, str, tuple[str, ...]]]:
        """Overload, and settings that do nothing, each with the other keys that make it so."""
        found: list[tuple[str, str, tuple[str, ...]]] = [
            (key, message, ()) for key, message in self.overload(bare)
        ]
        groups = [key for key, _ in self._groups()]
        kinds = {lane.queue.kind for lane in self.tills()}
        if "priority" not in kinds:
            on = f"a {self.queue.kind} queue" if self.lanes is None else "lanes without a priority queue"
            kind_keys = (
                ("queue.kind",) if self.lanes is None else tuple(f"{key}.queue.kind" for key in groups)
            )
            found.extend(
                (f"segments.{index}.priority", f"has no effect on {on}", kind_keys)
                for index, segment in enumerate(self.segments)
                if segment.priority != 0
            )
        for index, segment in enumerate(self.segments):
            for key in ("choice", "prefer", "jockey"):
                if self.lanes is None and key in segment.model_fields_set:
                    found.append(
                        (f"segments.{index}.{key}", "has no effect without lanes (one line for all)", ())
                    )
            if self.lanes is not None and segment.jockey is not None:
                lines = self.switching_lines(segment)
                if lines < 2:
                    # Which lines exist and who may use them: a --set of any of these is to blame.
                    layout = (
                        f"{key}.{part}" for key in groups for part in ("line", "count", "scaling", "segments")
                    )
                    found.append(
                        (
                            f"segments.{index}.jockey",
                            "has no effect: customers switch between lines at tills of their own "
                            f"(line: per_till), and {'only one is' if lines else 'none is'} open to them",
                            (f"segments.{index}.prefer", *layout),
                        )
                    )
        for index, lane in enumerate(self.lanes or ()):
            if lane.line == "shared" and "on_close" in lane.model_fields_set:
                found.append(
                    (
                        f"lanes.{index}.on_close",
                        "has no effect on a shared line (when a till closes, the others carry on)",
                        (f"lanes.{index}.line",),
                    )
                )
            if lane.attendants and lane.assist is None:
                found.append(
                    (
                        f"lanes.{index}.attendants",
                        "have no effect without assist (nobody asks for help)",
                        (f"lanes.{index}.assist",),
                    )
                )
        if self.clock == "virtual" and self.speed != 1.0:
            found.append(("speed", "has no effect in the virtual clock", ("clock",)))
        return found
