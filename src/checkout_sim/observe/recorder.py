"""The recorder: the one channel through which the engine says what happened.

The engine calls one method per event (a customer arrived, a checkout finished, a till
opened); the recorder tells the tally and each group's tally, and writes the log line.
So the engine holds no tally and builds no log line itself, and the shape of the shop
is settled here, once: a scenario without ``lanes`` is one group of tills whose events
leave out ``lane``; ``till`` appears only where some group has a line at each till (see
the ``only_with`` marks of :data:`.events.EVENTS`).

The lines written once or more per customer are dict literals in the order of
:data:`.events.EVENTS` (a call per field would cost about 3 % of a logged run); the
rest go through ``emit``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .summary import Summary
from .tally import GroupTally, LineMeasure, Lines, Tally

if TYPE_CHECKING:
    from ..engine.customers import Customer

__all__ = ["Recorder"]


def _ignore(*args: Any, **fields: Any) -> None:
    """Stands in for the event log when none is written."""


class Recorder:
    """Tells the tallies and the event log what happened in a run, one method per event.

    ``groups`` are the names of the groups of tills, in plan order (the engine names a
    group by its index); ``lanes``: the scenario has lanes (events name the group);
    ``per_till``: some group has a line at each till (arrivals name the till).
    """

    def __init__(
        self,
        tally: Tally,
        clock: Callable[[], float],
        groups: Sequence[str],
        segment_names: Sequence[str],
        product_names: Sequence[str],
        *,
        lanes: bool,
        per_till: bool,
    ) -> None:
        self.tally = tally
        self._clock = clock
        self._names: list[str | None] = list(groups) if lanes else [None] * len(groups)
        self._segments = segment_names
        self._products = product_names
        self._lanes = lanes
        self._per_till = per_till
        #: Each group's own tally (None: a scenario without lanes keeps none), by index.
        self.group_tallies: list[GroupTally | None] = [None] * len(groups)
        #: ``emit(event, **fields)`` stamped with the time, and the hot events given whole.
        self.emit: Callable[..., None] = _ignore
        self._record: Callable[[dict[str, Any]], None] = _ignore
        self.logging = False

    def log_to(self, emit: Callable[..., None], record: Callable[[dict[str, Any]], None]) -> None:
        """Write the events to an event log."""
        self.emit, self._record, self.logging = emit, record, True

    # The shop's shape, told once before the run

    def add_group(self, group: int, measure: LineMeasure, attendants: int, *, switching: bool) -> None:
        """Group ``group``'s lines (measured as one) and attendants; with lanes it keeps its own figures.

        ``switching``: shoppers may switch into its lines (its summary counts them).
        """
        if self._lanes:
            name = self._names[group]
            assert name is not None
            tally = GroupTally(self._clock, measure, attendants, switching=switching)
            self.tally.groups[name] = self.group_tallies[group] = tally

    def lines_are(self, measures: Sequence[LineMeasure]) -> None:
        """The shop's lines, one measure per group (the shop's line figures add them up)."""
        self.tally.line = measures[0] if len(measures) == 1 else Lines(list(measures))

    def count_jockeying(self) -> None:
        """Some segment may switch lines: the summary counts those who did."""
        self.tally.jockeyed = 0

    def begin_window(self, in_service: Sequence[Iterable[float]]) -> int:
        """The warm-up is over: every figure starts afresh now.

        ``in_service``: for each group, the start times of its checkouts under way. Returns
        the segment number to give the customers already in the shop (see
        :meth:`.tally.Tally.begin_window`).
        """
        starts = [list(group) for group in in_service]
        hidden = self.tally.begin_window(start for group in starts for start in group)
        for tally, group_starts in zip(self.group_tallies, starts, strict=True):
            if tally is not None:
                tally.begin_window(group_starts)
        return hidden

    def summary(self, *, seed: int, interrupted: bool) -> Summary:
        """The run's figures so far."""
        return self.tally.summary(seed=seed, interrupted=interrupted)

    def lane(self, group: int | None) -> str | None:
        """The ``lane`` of a group's events (None without lanes, or for no group)."""
        return None if group is None else self._names[group]

    # Customers

    def arrived(self, customer: Customer, group: int | None, till: int | None, queue_length: int) -> None:
        """A customer came in; ``group`` and ``till``: the line they joined (None: none had room)."""
        self.tally.segments[customer.segment].arrived += 1
        if self.logging:
            event = {
                "t": customer.arrival,  # that is now
                "event": "customer_arrived",
                "customer": customer.id,
                "segment": self._segments[customer.segment],
                "items": len(customer.scans),
                "lane": None if group is None else self._names[group],
                "till": till,
                "queue_length": queue_length,
            }
            if not self._per_till:
                del event["till"]
            if not self._lanes:
                del event["lane"]
            self._record(event)

    def balked(self, customer: Customer, queue_length: int) -> None:
        """Every line open to the customer was full: they left at once."""
        self.tally.balk(customer.segment)
        self.emit("customer_balked", customer=customer.id, queue_length=queue_length)

    def admitted(self, customer: Customer, group: int, till: int | None, queue_length: int) -> None:
        """A customer held at the door got a place in a line (written with lanes only)."""
        if not self._lanes:
            return
        if self._per_till:
            self.emit(
                "customer_admitted",
                customer=customer.id,
                lane=self._names[group],
                till=till,
                queue_length=queue_length,
            )
        else:
            self.emit(
                "customer_admitted", customer=customer.id, lane=self._names[group], queue_length=queue_length
            )

    def jockeyed(
        self, customer: Customer, source: int | None, target: int | None, group: int, queue_length: int
    ) -> None:
        """The customer moved from the line at till ``source`` to the one at ``target`` (in ``group``)."""
        tally = self.tally
        tally.jockeyed = (tally.jockeyed or 0) + 1
        group_tally = self.group_tallies[group]
        if group_tally is not None:
            group_tally.jockeyed += 1
        self.emit(
            "customer_jockeyed",
            customer=customer.id,
            **{"from": source, "to": target},
            lane=self._names[group],
            queue_length=queue_length,
        )

    def gave_up(self, customer: Customer, *, reneged: bool, group: int | None = None) -> None:
        """A customer left unserved: reneged, or sent home at closing (``group``: the line they
        left; None: from the door, or in a scenario without lanes)."""
        wait = self._clock() - customer.arrival
        self.tally.gave_up(customer.segment, wait, reneged=reneged)
        lane = None if group is None else self._names[group]
        if not self._lanes:
            if reneged:
                self.emit("customer_reneged", customer=customer.id, wait=wait)
            else:
                self.emit("customer_unserved", customer=customer.id, wait=wait)
        elif reneged:
            self.emit("customer_reneged", customer=customer.id, lane=lane, wait=wait)
        else:
            self.emit("customer_unserved", customer=customer.id, lane=lane, wait=wait)

    # Tills

    def checkout_started(self, customer: Customer, group: int, cashier: int) -> None:
        """A customer reached till ``cashier`` (at ``customer.start``)."""
        if self.logging:
            event = {
                "t": customer.start,
                "event": "checkout_started",
                "customer": customer.id,
                "lane": self._names[group],
                "cashier": cashier,
                "wait": customer.start - customer.arrival,
            }
            if not self._lanes:
                del event["lane"]
            self._record(event)

    def item_scanned(self, customer: Customer, group: int, cashier: int, product: int, scan: float) -> None:
        """One item scanned (only with ``--items``)."""
        if self._lanes:
            self.emit(
                "item_scanned",
                customer=customer.id,
                lane=self._names[group],
                cashier=cashier,
                product=self._products[product],
                scan=scan,
            )
        else:
            self.emit(
                "item_scanned",
                customer=customer.id,
                cashier=cashier,
                product=self._products[product],
                scan=scan,
            )

    def checkout_finished(self, customer: Customer, group: int, cashier: int, now: float) -> None:
        """Till ``cashier`` finished serving the customer now."""
        start = customer.start
        wait, service = start - customer.arrival, now - start
        self.tally.served(customer.segment, wait, service)
        group_tally = self.group_tallies[group]
        if group_tally is not None:
            group_tally.served(wait, service, customer.arrival)
        if self.logging:
            event = {
                "t": now,
                "event": "checkout_finished",
                "customer": customer.id,
                "lane": self._names[group],
                "cashier": cashier,
                "service": service,
                "items": len(customer.scans),
            }
            if not self._lanes:
                del event["lane"]
            self._record(event)

    def till_opened(self, group: int, cashier: int, queue_length: int) -> None:
        """Till ``cashier`` of ``group`` opened, with ``queue_length`` waiting in the group's lines."""
        self._tills_changed(group, +1)
        if self._lanes:
            self.emit("cashier_opened", lane=self._names[group], cashier=cashier, queue_length=queue_length)
        else:
            self.emit("cashier_opened", cashier=cashier, queue_length=queue_length)

    def till_closed(self, group: int, cashier: int, queue_length: int) -> None:
        """Till ``cashier`` of ``group`` closed."""
        self._tills_changed(group, -1)
        if self._lanes:
            self.emit("cashier_closed", lane=self._names[group], cashier=cashier, queue_length=queue_length)
        else:
            self.emit("cashier_closed", cashier=cashier, queue_length=queue_length)

    def _tills_changed(self, group: int, delta: int) -> None:
        self.tally.lanes_changed(delta)
        group_tally = self.group_tallies[group]
        if group_tally is not None:
            group_tally.tills_changed(delta)

    # Attendants (lanes only: kiosks are a group's)

    def assist_requested(self, customer: Customer, group: int, cashier: int) -> None:
        self.emit("assist_requested", customer=customer.id, lane=self._names[group], cashier=cashier)

    def assist_started(
        self, customer: Customer, group: int, cashier: int, attendant: int, wait: float
    ) -> None:
        self.emit(
            "assist_started",
            customer=customer.id,
            lane=self._names[group],
            cashier=cashier,
            attendant=attendant,
            wait=wait,
        )

    def assist_finished(
        self, customer: Customer, group: int, cashier: int, attendant: int, wait: float
    ) -> None:
        """The attendant helped for ``customer.assist`` seconds after ``wait``."""
        group_tally = self.group_tallies[group]
        if group_tally is not None:
            group_tally.assisted(wait, customer.assist)
        self.emit(
            "assist_finished",
            customer=customer.id,
            lane=self._names[group],
            cashier=cashier,
            attendant=attendant,
            assist=customer.assist,
        )
