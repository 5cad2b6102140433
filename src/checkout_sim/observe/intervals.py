"""Figures per interval: the day cut into equal stretches (``intervals: 15m``), each judged on its own.

An observer beside the tally, built only for a scenario with ``intervals``. Two kinds of
figure make up an interval, and they are counted differently:

- **Customers** (arrived, served, balked, reneged, unserved, waits, service level) are
  counted in the interval in which the customer *arrived*, whenever they leave, so the
  intervals' counts add up to the run's and a rush is charged to the interval that
  brought it, not to the one that had to clear it.
- **Time** (tills staffed, lane-hours, busy time, the longest line) is counted in the
  interval in which it passed: a till open across a boundary counts in both. A till
  closed for its cashier's break is paid (in ``lane_hours``) but not staffed (in
  ``tills`` and ``utilisation``), as in the run's figures.

An interval is finished, and its ``interval_finished`` line written, once its end has
passed and every customer who arrived in it (and in every interval before it) has left;
the lines come in order. A checkout that started before an interval's end served a
customer who arrived before it, so by then every busy second of the interval is known.
What is still open when the run ends is finished then, the last interval cut at the
run's end. Memory: the intervals not yet finished, whatever the number of customers.

Intervals run from opening until the run ends (the drain after closing included), and
cover every customer, those of a warm-up too: they describe the whole day, hour by
hour, where the run's summary may leave a warm-up out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .money import CostRates
from .sketch import QuantileSketch

if TYPE_CHECKING:
    from .events import (
        CashierClosed,
        CashierOpened,
        CheckoutFinished,
        CustomerAdmitted,
        CustomerArrived,
        CustomerBalked,
        CustomerReneged,
        CustomerUnserved,
    )
    from .tally import LineMeasure

__all__ = ["IntervalObserver"]


class _Part:
    """The figures of the shop, or of one lane group, in one interval."""

    __slots__ = (
        "arrived",
        "balked",
        "busy",
        "ended",
        "longest",
        "lost_sales",
        "open_area",
        "paid_area",
        "reneged",
        "revenue",
        "served",
        "unserved",
        "wait_sum",
        "waits",
        "within",
    )

    def __init__(self) -> None:
        self.arrived = self.served = self.balked = self.reneged = self.unserved = 0
        self.within = 0  # reached a till within the service-level target
        self.ended = 0  # a group's: served or lost from its lines (its service level's whole)
        self.wait_sum = 0.0
        self.waits = QuantileSketch()
        self.open_area = 0.0  # till-seconds open (staffed)
        self.paid_area = 0.0  # till-seconds open or closed for a break (paid)
        self.busy = 0.0  # till-seconds serving
        self.longest = 0
        self.revenue = self.lost_sales = 0.0  # the value of the baskets served, and lost

    def figures(self, span: float, target: float | None, *, group: bool) -> dict[str, Any]:
        """This part's line (or a group's entry in it), in the order the README lists."""
        served = self.served
        found: dict[str, Any] = {"arrived": self.arrived, "served": served}
        if not group:
            found["balked"] = self.balked
        found["reneged"] = self.reneged
        found["unserved"] = self.unserved
        found["wait_mean"] = self.wait_sum / served if served else None
        found["wait_p90"] = self.waits.quantile(0.90)
        if target is not None:
            whole = self.ended if group else self.arrived
            found["service_level"] = self.within / whole if whole else None
        found["tills"] = self.open_area / span if span > 0 else 0.0
        found["lane_hours"] = self.paid_area / 3600.0
        found["utilisation"] = self.busy / self.open_area if self.open_area > 0 else None
        found["queue_length_max"] = self.longest
        return found


class _Interval:
    """One interval: its bounds, the shop's figures and each group's, and who has not left yet."""

    __slots__ = ("end", "groups", "outstanding", "passed", "shop", "start")

    def __init__(self, start: float, end: float, groups: int) -> None:
        self.start, self.end = start, end
        self.shop = _Part()
        self.groups = [_Part() for _ in range(groups)]
        #: Customers who arrived in it and are still in the shop.
        self.outstanding = 0
        #: Its end has passed: its time figures are complete.
        self.passed = False


class IntervalObserver:
    """Keeps the figures of every interval not yet finished; hands each finished one to ``finished``.

    ``length``: the intervals' length in seconds; ``groups``: the groups' names in plan
    order; ``lanes``: the scenario has lanes (each line gives every group's figures);
    ``target``: the service-level target (None: none); ``costs``: the money figures'
    rates (None: no costs). :meth:`add_group` gives each
    group's lines, :meth:`boundary` is called at every interval's end and :meth:`finish`
    when the run ends. ``finished(start, figures)`` receives each finished interval.
    """

    def __init__(
        self,
        length: float,
        groups: Sequence[str],
        *,
        lanes: bool,
        target: float | None,
        costs: CostRates | None = None,
        finished: Callable[[dict[str, Any]], None],
    ) -> None:
        self.length = length
        self._costs = costs
        self._names = list(groups)
        self._lanes = lanes
        self._target = target
        #: Receives each finished interval's figures.
        self.finished = finished
        self._lines: list[LineMeasure | None] = [None] * len(self._names)
        #: The intervals not yet finished, by number (0 from opening), oldest first.
        self._open: dict[int, _Interval] = {}
        self._next = 0  # the number of the next interval to finish
        self._open_tills = [0] * len(self._names)
        self._away = [0] * len(self._names)  # tills closed for a break
        self._since = 0.0  # open till-time is counted up to here
        #: Every finished interval's figures, in order (the summary's ``intervals``).
        self.done: list[dict[str, Any]] = []

    def add_group(self, index: int, lines: LineMeasure) -> None:
        """Group ``index``'s lines, measured as one (for its longest line per interval)."""
        self._lines[index] = lines

    def _interval(self, number: int) -> _Interval:
        found = self._open.get(number)
        if found is None:
            start = number * self.length
            found = self._open[number] = _Interval(start, start + self.length, len(self._names))
        return found

    def _of(self, arrival: float) -> _Interval:
        """The interval a customer who arrived at ``arrival`` is counted in."""
        return self._interval(max(int(arrival // self.length), self._next))

    # Customers, in the interval of their arrival

    def customer_arrived(self, record: CustomerArrived) -> None:
        interval = self._of(record.who.arrival)
        interval.outstanding += 1
        interval.shop.arrived += 1
        if record.group is not None:
            interval.groups[record.group].arrived += 1

    def customer_admitted(self, record: CustomerAdmitted) -> None:
        """Held at the door, they get a place in a group's line: that group's arrival."""
        self._of(record.who.arrival).groups[record.group].arrived += 1

    def customer_balked(self, record: CustomerBalked) -> None:
        interval = self._of(record.who.arrival)
        interval.shop.balked += 1
        if self._costs is not None:
            interval.shop.lost_sales += self._costs.value(record.who)
        self._left(interval)

    def customer_reneged(self, record: CustomerReneged) -> None:
        self._lost(record, reneged=True)

    def customer_unserved(self, record: CustomerUnserved) -> None:
        self._lost(record, reneged=False)

    def _lost(self, record: CustomerReneged, *, reneged: bool) -> None:
        interval = self._of(record.who.arrival)
        value = self._costs.value(record.who) if self._costs is not None else 0.0
        parts = [interval.shop]
        if record.group is not None:
            parts.append(interval.groups[record.group])
            interval.groups[record.group].ended += 1
        for part in parts:
            if reneged:
                part.reneged += 1
            else:
                part.unserved += 1
            part.lost_sales += value
        self._left(interval)

    def checkout_finished(self, record: CheckoutFinished) -> None:
        who, now = record.who, record.t
        wait = who.start - who.arrival
        interval = self._of(who.arrival)
        hit = self._target is not None and wait <= self._target
        value = self._costs.value(who) if self._costs is not None else 0.0
        for part in (interval.shop, interval.groups[record.group]):
            part.revenue += value
            part.served += 1
            part.ended += 1
            part.wait_sum += wait
            part.waits.add(wait)
            part.within += hit
        self._busy(record.group, now - record.service, now)
        self._left(interval)

    def _busy(self, group: int, start: float, end: float) -> None:
        """A till of ``group`` served from ``start`` to ``end``: its busy time, spread over the intervals."""
        first = max(int(start // self.length), self._next)
        for number in range(first, int(end // self.length) + 1):
            interval = self._interval(number)
            overlap = min(end, interval.end) - max(start, interval.start)
            if overlap > 0:
                interval.shop.busy += overlap
                interval.groups[group].busy += overlap

    def _left(self, interval: _Interval) -> None:
        interval.outstanding -= 1
        if interval.passed and interval.outstanding == 0:
            self._finish_ready()

    # Time, in the interval in which it passed

    def cashier_opened(self, record: CashierOpened) -> None:
        self._advance(record.t)
        self._open_tills[record.group] += 1
        if record.reason == "break":  # back from it
            self._away[record.group] -= 1

    def cashier_closed(self, record: CashierClosed) -> None:
        self._advance(record.t)
        self._open_tills[record.group] -= 1
        if record.reason == "break":  # a break is paid, but not staffed
            self._away[record.group] += 1

    def _advance(self, now: float) -> None:
        """Count the open tills' time up to ``now``, into the intervals it passed in."""
        since = self._since
        if now <= since:
            return
        open_tills, away = self._open_tills, self._away
        total, paid = sum(open_tills), sum(open_tills) + sum(away)
        if paid:
            first = max(int(since // self.length), self._next)
            for number in range(first, int(now // self.length) + 1):
                interval = self._interval(number)
                overlap = min(now, interval.end) - max(since, interval.start)
                if overlap > 0:
                    interval.shop.open_area += total * overlap
                    interval.shop.paid_area += paid * overlap
                    for part, tills, gone in zip(interval.groups, open_tills, away, strict=True):
                        part.open_area += tills * overlap
                        part.paid_area += (tills + gone) * overlap
        self._since = now

    def boundary(self, now: float) -> None:
        """Interval number ``now / length - 1`` has ended: its time figures are complete."""
        self._advance(now)
        number = round(now / self.length) - 1
        if number >= self._next:
            self._pass(self._interval(number))
            self._finish_ready()

    def _pass(self, interval: _Interval) -> None:
        """``interval``'s end has passed: take each line's longest since the last boundary."""
        longest = 0
        for index, lines in enumerate(self._lines):
            recent = lines.take_recent() if lines is not None else 0
            interval.groups[index].longest = recent
            longest = max(longest, recent)
        interval.shop.longest = longest
        interval.passed = True

    def _finish_ready(self) -> None:
        """Finish, in order, every interval whose end has passed and whose customers have all left."""
        while True:
            interval = self._open.get(self._next)
            if interval is None or not interval.passed or interval.outstanding:
                return
            self._emit(self._next, interval, interval.end)

    def _emit(self, number: int, interval: _Interval, end: float) -> None:
        del self._open[number]
        self._next = number + 1
        span = end - interval.start
        figures: dict[str, Any] = {"start": interval.start, "end": end}
        figures |= interval.shop.figures(span, self._target, group=False)
        costs = self._costs
        if costs is not None:
            shop = interval.shop
            lane_hours = [part.paid_area / 3600.0 for part in interval.groups]
            lost = shop.balked + shop.reneged + shop.unserved
            figures |= costs.figures(
                lane_hours, span, lost=lost, lost_sales=shop.lost_sales, revenue=shop.revenue
            )
        if self._lanes:
            groups = figures["lanes"] = {}
            for index, (name, part) in enumerate(zip(self._names, interval.groups, strict=True)):
                groups[name] = part.figures(span, self._target, group=True)
                if costs is not None:
                    groups[name] |= costs.figures(
                        [part.paid_area / 3600.0],
                        span,
                        lost=part.reneged + part.unserved,
                        lost_sales=part.lost_sales,
                        revenue=part.revenue,
                        groups=[index],
                    )
        self.done.append(figures)
        self.finished(figures)

    def finish(self, now: float) -> None:
        """The run is over at ``now``: finish every interval left, the last one cut at ``now``.

        An interval that has not begun by ``now`` (nobody is left to count in it) is
        not written; with an interrupted run, whoever is still counted as in the shop has
        been sent home unserved by then.
        """
        self._advance(now)
        while self._open:
            number = min(self._open)
            interval = self._open[number]
            if interval.start >= now and number > 0 and not interval.outstanding:
                del self._open[number]
                continue
            if not interval.passed:
                self._pass(interval)
            self._emit(number, interval, min(interval.end, now))
        if not self.done:  # a run without time: one empty interval from 0
            self._emit(0, self._interval(0), now)
