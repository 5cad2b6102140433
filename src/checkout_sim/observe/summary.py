"""What a run found: counts, waits, line length, utilisation (tallied in :mod:`.tally`).

Wait figures cover served customers: the time from arrival to reaching a cashier.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from .batches import Batches
from .sketch import RELATIVE_ACCURACY, QuantileSketch

__all__ = [
    "PERCENTILE_RELATIVE_ERROR",
    "SHARES",
    "LaneSummary",
    "SegmentSummary",
    "Summary",
    "figure_range",
    "figures",
    "pooled_quantile",
]

#: Relative error of wait_p50, wait_p90 and wait_p99 (mean and max are exact).
PERCENTILE_RELATIVE_ERROR = RELATIVE_ACCURACY


@dataclass(frozen=True)
class SegmentSummary:
    """The counts and wait figures of one customer segment."""

    arrived: int
    served: int
    balked: int
    reneged: int
    unserved: int
    waited: int
    wait_mean: float | None
    wait_sd: float | None
    wait_p50: float | None
    wait_p90: float | None
    wait_p99: float | None
    wait_max: float | None
    #: With ``service_level`` in the scenario: the share of arrivals who reached a till
    #: within its target (see :mod:`.service`); keyword-only, so that it may follow the
    #: figures of :class:`Summary`, which have no default.
    service_level: float | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class LaneSummary:
    """One lane group's figures (``lanes`` in the summary): its customers, tills and line.

    Waits are of the customers it served. ``tills_max`` is the most of its tills open
    at once; ``assists``, ``assist_wait_mean`` (from asking for help to an attendant
    arriving) and ``attendant_utilisation`` are for groups with attendants, else null.
    """

    served: int
    wait_mean: float | None
    wait_p50: float | None
    wait_p90: float | None
    wait_p99: float | None
    wait_max: float | None
    utilisation: float | None
    tills_max: int
    queue_length_mean: float
    queue_length_max: int
    lane_hours: float
    assists: int | None
    assist_wait_mean: float | None
    attendant_utilisation: float | None
    #: Switches into its lines: only for a group with a line per till open to a segment that
    #: may switch (its ``jockey`` and two or more such lines; see Scenario.may_switch).
    jockeyed: int | None = None
    #: With ``service_level``: the share of the customers who ended in its lines (served
    #: or lost from them) who reached a till within the target.
    service_level: float | None = None
    #: With ``costs`` (see :mod:`.money`): its till-hours and attendants at its rates, the
    #: customers lost from its lines and their baskets, the baskets it served.
    staff_cost: float | None = None
    lost_cost: float | None = None
    lost_sales: float | None = None
    revenue: float | None = None
    total_cost: float | None = None


@dataclass(frozen=True)
class Summary(SegmentSummary):
    """The whole run: :class:`SegmentSummary` figures for everyone, plus the shop's.

    ``waiting_mean`` is the time-average number waiting anywhere (in line or held at
    the door) and ``wait_mean_all`` the mean wait over every arrival (0 for a balk,
    the time until leaving for those who gave up), so that Little's law
    ``waiting_mean = arrived / elapsed × wait_mean_all`` holds for every run.
    ``lane_hours`` is the staffed till time: hours each lane was open, added up (the
    manager's extra lanes included), the cost a staffing plan is judged on.
    """

    queue_length_mean: float
    queue_length_max: int
    waiting_mean: float
    wait_mean_all: float | None
    utilisation: float | None
    throughput_per_hour: float | None
    lanes_max: int
    lane_hours: float
    elapsed: float
    seed: int
    interrupted: bool
    segments: dict[str, SegmentSummary] = field(default_factory=dict)
    #: With a warm-up: the simulated time from which the figures count (None: the whole run).
    warmup: float | None = None
    #: On the wall clock: the most simulated seconds the run fell behind it (None: virtual clock).
    realtime_lag_max: float | None = None
    #: With lanes: each group's figures, by name.
    lanes: dict[str, LaneSummary] | None = None
    #: Where shoppers may switch lines (a segment with ``jockey`` and two or more lines at
    #: tills of their own open to it; see Scenario.may_switch): how many did (None: nowhere).
    jockeyed: int | None = None
    #: With ``intervals``: each interval's figures, in order (as its ``interval_finished`` line).
    intervals: list[dict[str, Any]] | None = None
    #: With ``costs`` (see :mod:`.money`): staff (till-hours and attendants at their rates),
    #: lost customers, the value of their baskets and of those served, staff + lost.
    staff_cost: float | None = None
    lost_cost: float | None = None
    lost_sales: float | None = None
    revenue: float | None = None
    total_cost: float | None = None
    #: Every served customer's wait, sketched; merge across runs for pooled percentiles.
    sketch: QuantileSketch | None = field(default=None, compare=False, repr=False)
    #: One run cut into batches of time, for intervals by batch means, when asked for.
    batches: Batches | None = field(default=None, compare=False, repr=False)
    #: The scenario's service-level target in seconds (None: it has none, and the
    #: ``service_level`` figures are not logged).
    service_target: float | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Plain data, in field order, as written in the ``run_finished`` event.

        A field of a feature the run did not use (``warmup``) is left out, so a run
        without it logs what it always did.
        """
        graded = self.service_target is not None
        data = {
            name: getattr(self, name)
            for name in self.__dataclass_fields__
            if name not in _NOT_LOGGED and (name not in _FEATURES or self._used(name))
        }
        data["segments"] = {name: _graded(asdict(segment), graded) for name, segment in self.segments.items()}
        if self.lanes is not None:
            data["lanes"] = {name: _lane_fields(lane, graded) for name, lane in self.lanes.items()}
        return data

    def _used(self, feature: str) -> bool:
        """The run used the feature of this field: a service-level target (its figure may be
        null: nobody arrived), or any other whose field is set."""
        if feature == "service_level":
            return self.service_target is not None
        if feature in _MONEY:
            return self.staff_cost is not None
        return getattr(self, feature) is not None


#: Summary fields that are not in the log: the sketch and the batch means are working data.
_NOT_LOGGED = frozenset({"sketch", "batches", "service_target"})
#: Summary fields written only when the run used the feature they belong to.
#: The money figures, written (null where unknown) only with ``costs``.
_MONEY = ("staff_cost", "lost_cost", "lost_sales", "revenue", "total_cost")
_FEATURES = frozenset(
    {"warmup", "realtime_lag_max", "lanes", "jockeyed", "service_level", "intervals", *_MONEY}
)


def _graded(data: dict[str, Any], graded: bool) -> dict[str, Any]:
    """``service_level`` is logged (null where nobody counted) only when the scenario has a target."""
    if not graded:
        del data["service_level"]
    return data


def _lane_fields(lane: LaneSummary, graded: bool) -> dict[str, Any]:
    """A lane group's figures as logged: ``jockeyed`` only where shoppers may switch lines."""
    data = _graded(asdict(lane), graded)
    if data["jockeyed"] is None:
        del data["jockeyed"]
    if data["staff_cost"] is None:  # no costs in the scenario
        for name in _MONEY:
            del data[name]
    return data


def pooled_quantile(summaries: Sequence[Summary], q: float) -> float | None:
    """The q-quantile of the waits of every served customer of all these runs (merged sketches)."""
    pooled = QuantileSketch()
    for summary in summaries:
        if summary.sketch is not None:
            pooled.merge(summary.sketch)
    return pooled.quantile(q)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


#: The figures that are shares of something, so lie between 0 and 1.
SHARES = frozenset({"wait_probability", "loss", "abandonment", "lost_share", "utilisation", "service_level"})


def figure_range(name: str) -> tuple[float, float]:
    """The values a figure can take: every figure is a count, a time, a mean or a share."""
    return (0.0, 1.0) if name.split("[", 1)[0].removeprefix("lane_") in SHARES else (0.0, math.inf)


def figures(summary: Summary) -> dict[str, float | None]:
    """The figures people compare across runs and with theory, by name.

    ``wait_probability`` is the share of served customers who waited at all, ``loss``
    the share of arrivals who balked, ``abandonment`` the share who reneged,
    ``lost_share`` the share not served (balked, reneged or unserved at closing);
    ``wait_mean[segment]`` is one segment's mean wait.
    """
    found: dict[str, float | None] = {
        "wait_mean": summary.wait_mean,
        "wait_p50": summary.wait_p50,
        "wait_p90": summary.wait_p90,
        "wait_p99": summary.wait_p99,
        "wait_max": summary.wait_max,
        "wait_probability": _ratio(summary.waited, summary.served),
        "loss": _ratio(summary.balked, summary.arrived),
        "abandonment": _ratio(summary.reneged, summary.arrived),
        "lost_share": _ratio(summary.balked + summary.reneged + summary.unserved, summary.arrived),
        "queue_length_mean": summary.queue_length_mean,
        "utilisation": summary.utilisation,
        "throughput_per_hour": summary.throughput_per_hour,
    }
    if len(summary.segments) > 1:
        for name, segment in summary.segments.items():
            found[f"wait_mean[{name}]"] = segment.wait_mean
    graded = summary.service_target is not None
    if graded:
        found["service_level"] = summary.service_level
        if len(summary.segments) > 1:
            for name, segment in summary.segments.items():
                found[f"service_level[{name}]"] = segment.service_level
    for name, lane in (summary.lanes or {}).items():
        found[f"lane_wait_mean[{name}]"] = lane.wait_mean
        found[f"lane_wait_p90[{name}]"] = lane.wait_p90
        found[f"lane_utilisation[{name}]"] = lane.utilisation
        if graded:
            found[f"lane_service_level[{name}]"] = lane.service_level
    return found
