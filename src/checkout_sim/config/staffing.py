"""Who staffs a group of tills over the day: a roster of how many from when, and breaks.

Kept apart from :mod:`.scenario` (which imports it) because staffing is a concern of its
own: the ``roster`` and ``breaks`` of a group (``cashiers`` or one of the ``lanes``),
what happens to a line when its till closes (``on_close``), and the rules that tie them
to the group's ``count`` and ``scaling``. The engine runs them in :mod:`checkout_sim.engine.roster`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from .base import Model, raise_rules, rule_error
from .times import PointInTime
from .units import PositiveDuration

__all__ = [
    "MAX_CASHIERS",
    "Breaks",
    "OnClose",
    "PlanBounds",
    "Shift",
    "TimePoint",
    "constant_count",
    "most_staffed",
    "staffing_problems",
]

#: The most lanes a scenario may have open at once; each is an asyncio task.
MAX_CASHIERS = 10_000

#: A point in time of the day, in seconds since opening: a duration since opening or, with
#: ``opens_at``, a time of day (``"12:00"``), read as every moment of a scenario is.
TimePoint = PointInTime

#: What happens to the customers waiting in a till's own line when it closes (roster or
#: break): ``finish_line`` (the till serves them first, taking nobody new) or ``move``
#: (they go to other lines by their choice rule). A shared line carries on either way.
OnClose = Literal["finish_line", "move"]


class Shift(Model):
    """One entry of a roster: from ``from`` on, ``open`` tills of the group are staffed."""

    # ``from`` is a Python keyword: the field is ``start``, read and written as ``from``.
    model_config = ConfigDict(serialize_by_alias=True, validate_by_alias=True, validate_by_name=False)

    start: TimePoint = Field(alias="from")
    open: Annotated[int, Field(ge=1, le=MAX_CASHIERS)]


class Breaks(Model):
    """Every cashier's breaks: after ``every`` of work, ``length`` away, at most ``at_once`` of the
    group away together; optionally begun only ``between`` two points of the day."""

    every: PositiveDuration
    length: PositiveDuration
    at_once: Annotated[int, Field(ge=1, le=MAX_CASHIERS)] = 1
    between: Annotated[list[TimePoint], Field(min_length=2, max_length=2)] | None = None

    @model_validator(mode="after")
    def _window_in_order(self) -> Breaks:
        if self.between is not None and self.between[1] <= self.between[0]:
            raise rule_error(
                "between.1", f"must be later than the window's start ({self.between[0]:g}s)", ["between.0"]
            )
        return self


class PlanBounds(Model):
    """``plan:`` of a group: what ``run-scenario --plan`` may staff it with, and the shifts it makes.

    ``min`` and ``max``: the fewest and most tills of the group open in any interval.
    ``min_shift`` and ``max_shift``: the shortest and longest shift a person works; given,
    the plan's tills become shifts (:mod:`checkout_sim.analysis.shifts`) starting on the
    hour or at any interval (``shift_starts``), their lengths in the same steps.
    ``people``: at most this many people work the group's shifts in the day.
    A group without ``plan`` is planned with the defaults, unless its tills cost nothing
    an hour (kiosks whose attendants are the cost): those keep their count or roster.
    """

    min: Annotated[int, Field(ge=1, le=MAX_CASHIERS)] = 1
    max: Annotated[int, Field(ge=1, le=MAX_CASHIERS)] = 20
    min_shift: PositiveDuration | None = None
    max_shift: PositiveDuration | None = None
    shift_starts: Literal["hour", "interval"] = "hour"
    people: Annotated[int, Field(ge=1, le=MAX_CASHIERS)] | None = None

    @model_validator(mode="after")
    def _in_order(self) -> PlanBounds:
        problems = []
        if self.max < self.min:
            problems.append(rule_error("max", f"must not be below min ({self.min})", ["min"]))
        if (self.min_shift is None) != (self.max_shift is None):
            given, missing = (
                ("min_shift", "max_shift") if self.max_shift is None else ("max_shift", "min_shift")
            )
            problems.append(
                rule_error(given, f"needs {missing} too: shifts last from min_shift to max_shift", [missing])
            )
        elif self.min_shift is not None and self.max_shift is not None and self.max_shift < self.min_shift:
            problems.append(
                rule_error("max_shift", f"must not be below min_shift ({self.min_shift:g}s)", ["min_shift"])
            )
        raise_rules("PlanBounds", problems)
        return self


def staffing_problems(
    count: int | None, roster: list[Shift] | None, scaling_max: int | None
) -> list[PydanticCustomError]:
    """What is wrong with a group's ``count``, ``roster`` and ``scaling.max`` (None: no scaling) together.

    A roster replaces ``count`` (both at once is an error: which one would hold?); its
    entries are in order of ``from``, the first at the opening (0), and none asks for
    more tills than the manager's ``scaling.max``.
    """
    problems = []
    if roster is None:
        if count is not None and scaling_max is not None and scaling_max < count:
            problems.append(rule_error("scaling.max", "must not be below count", also=["count"]))
        return problems
    if count is not None:
        problems.append(
            rule_error(
                "roster", "replaces count: give one or the other (count is a roster of one)", ["count"]
            )
        )
    if roster[0].start != 0:
        problems.append(
            rule_error("roster.0.from", "must be 0: a roster says how many tills are open from the opening")
        )
    for index in range(1, len(roster)):
        if roster[index].start <= roster[index - 1].start:
            problems.append(
                rule_error(
                    f"roster.{index}.from",
                    f"must be later than the entry before ({roster[index - 1].start:g}s)",
                    [f"roster.{index - 1}.from"],
                )
            )
    if scaling_max is not None:
        for index, shift in enumerate(roster):
            if shift.open > scaling_max:
                problems.append(
                    rule_error(
                        f"roster.{index}.open",
                        f"must not be above scaling.max ({scaling_max}), the most tills the group has",
                        ["scaling.max"],
                    )
                )
    return problems


def most_staffed(count: int | None, roster: list[Shift] | None) -> int:
    """The most tills the roster (or the constant count) ever staffs."""
    if roster is not None:
        return max(shift.open for shift in roster)
    return count or 0


def constant_count(count: int | None, roster: list[Shift] | None, breaks: Breaks | None) -> int | None:
    """How many tills are staffed all day, if that never changes (a count, or a roster of one
    entry, and no breaks); None if a roster or breaks change it (theory has no closed form then)."""
    if breaks is not None or (roster is not None and len(roster) > 1):
        return None
    return roster[0].open if roster is not None else count


def require_count(title: str, data: object) -> None:
    """A group that gives neither ``count`` nor ``roster`` lacks its count, as it always did.

    Raised before the fields are read, as pydantic's own "missing" error at ``count``: the
    loader then treats it as a missing value (tries a stand-in, and still checks every rule
    across keys), not as a rule that would hide the scenario's others.
    """
    if isinstance(data, dict) and data.get("count") is None and data.get("roster") is None:
        raise ValidationError.from_exception_data(
            title, [InitErrorDetails(type="missing", loc=("count",), input=data)]
        )
