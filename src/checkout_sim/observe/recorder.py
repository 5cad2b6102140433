"""The recorder: the one channel through which the engine says what happened.

The engine calls one method per event (a customer arrived, a checkout finished, a till
opened); the recorder makes the event's typed record (:mod:`.events`) and sends it to
every observer that handles that event: the warm-up (:class:`.warmup.Warmup`), the tally
(:class:`.tally.Tally`, which keeps each group's figures too), the batch means
(:class:`.tally.BatchObserver`) and the log writer (:class:`.writer.EventWriter`), in that
order. An observer handles an event by having a method of the event's name; which
observers handle which events is settled once, when the run starts, so an event nobody
handles (``checkout_started`` without a log) costs no record at all.

So the engine keeps no figures and builds no log line, and an observer added for a new
figure (per interval, say) needs no change in the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .events import (
    RECORDS,
    AssistFinished,
    AssistRequested,
    AssistStarted,
    CashierClosed,
    CashierOpened,
    CheckoutStarted,
    CustomerAdmitted,
    CustomerBalked,
    CustomerJockeyed,
    CustomerReneged,
    CustomerUnserved,
    IntervalFinished,
    ItemScanned,
    RunFinished,
    RunStarted,
    WarmupEnded,
    event_name,
)

if TYPE_CHECKING:
    from ..engine.customers import Customer

__all__ = ["Recorder", "make"]

Send = Callable[[Any], None]

#: Makes a record from a tuple of its fields at C speed: a NamedTuple's own ``__new__`` is
#: a Python function, and the records made once or more per customer would spend twice
#: as long in it (measured: 0.92 s against 0.39 s a million).
_make = tuple.__new__
#: The same, for the engine's hottest spots (see :meth:`Recorder.sender`).
make = _make


def _sender(handlers: list[Send]) -> Send | None:
    """One call that reaches every handler, in order (None: nobody handles the event).

    Two handlers (the tally and the log writer, say) are called without a loop: this call is
    made once or more per customer.
    """
    if not handlers:
        return None
    if len(handlers) == 1:
        return handlers[0]
    if len(handlers) == 2:
        first, second = handlers

        def send_both(record: Any) -> None:
            first(record)
            second(record)

        return send_both
    every = tuple(handlers)

    def send(record: Any) -> None:
        for handler in every:
            handler(record)

    return send


class Recorder:
    """Makes each event's record and sends it to the observers that handle it.

    ``groups`` are the names of the groups of tills, in plan order (the engine names a
    group by its index); ``lanes``: the scenario has lanes (records carry the group's name
    as ``lane``; without, the writer leaves it out). ``clock``: the loop's time.
    """

    def __init__(
        self,
        clock: Callable[[], float],
        groups: Sequence[str],
        segment_names: Sequence[str],
        product_names: Sequence[str],
        observers: Sequence[object],
    ) -> None:
        self._clock = clock
        self._names = list(groups)
        self._segments = segment_names
        self._products = product_names
        sends: dict[str, Send | None] = {
            event_name(record): _sender(
                [
                    handler
                    for observer in observers
                    if (handler := getattr(observer, event_name(record), None))
                ]
            )
            for record in RECORDS
        }
        self._run_started = sends["run_started"]
        self._cashier_opened = sends["cashier_opened"]
        self._cashier_closed = sends["cashier_closed"]
        self._customer_arrived = sends["customer_arrived"]
        self._customer_admitted = sends["customer_admitted"]
        self._customer_jockeyed = sends["customer_jockeyed"]
        self._customer_balked = sends["customer_balked"]
        self._checkout_started = sends["checkout_started"]
        self._item_scanned = sends["item_scanned"]
        self._assist_requested = sends["assist_requested"]
        self._assist_started = sends["assist_started"]
        self._assist_finished = sends["assist_finished"]
        self._checkout_finished = sends["checkout_finished"]
        self._customer_reneged = sends["customer_reneged"]
        self._customer_unserved = sends["customer_unserved"]
        self._warmup_ended = sends["warmup_ended"]
        self._interval_finished = sends["interval_finished"]
        self._run_finished = sends["run_finished"]

    def sender(self, record: type[Any]) -> Send | None:
        """The call that sends a record of this class to its observers (None: nobody handles it).

        For the engine's hottest spots (an arrival, a checkout's end), which make the record
        themselves (with :data:`make`) and save a call per customer; everywhere else the
        engine calls the methods below.
        """
        send: Send | None = getattr(self, f"_{event_name(record)}")
        return send

    def _lane(self, group: int | None) -> str | None:
        return None if group is None else self._names[group]

    # The run

    def run_started(
        self, scenario: str, seed: int, clock: str, schema_version: int, config: dict[str, Any]
    ) -> None:
        if self._run_started is not None:
            self._run_started(RunStarted(self._clock(), scenario, seed, clock, schema_version, config))

    def warmup_ended(
        self, in_service: tuple[tuple[float, ...], ...], last_customer: int, queue_length: int
    ) -> None:
        """The warm-up is over; ``in_service``: each group's checkouts under way (their start times)."""
        if self._warmup_ended is not None:
            self._warmup_ended(WarmupEnded(in_service, self._clock(), last_customer, queue_length))

    def interval_finished(self, figures: dict[str, Any]) -> None:
        """An interval is finished (see :mod:`.intervals`): its figures."""
        if self._interval_finished is not None:
            self._interval_finished(IntervalFinished(self._clock(), figures))

    def run_finished(self, summary: dict[str, Any]) -> None:
        if self._run_finished is not None:
            self._run_finished(RunFinished(self._clock(), summary))

    # Customers

    def balked(self, customer: Customer, queue_length: int) -> None:
        """Every line open to the customer was full: they left at once."""
        if self._customer_balked is not None:
            self._customer_balked(CustomerBalked(customer, self._clock(), customer.id, queue_length))

    def admitted(self, customer: Customer, group: int, till: int | None, queue_length: int) -> None:
        """A customer held at the door got a place in a line."""
        if self._customer_admitted is not None:
            self._customer_admitted(
                CustomerAdmitted(
                    customer, group, self._clock(), customer.id, self._names[group], till, queue_length
                )
            )

    def jockeyed(
        self, customer: Customer, source: int | None, target: int | None, group: int, queue_length: int
    ) -> None:
        """The customer moved from the line at till ``source`` to the one at ``target`` (in ``group``)."""
        if self._customer_jockeyed is not None:
            self._customer_jockeyed(
                CustomerJockeyed(
                    customer,
                    group,
                    self._clock(),
                    customer.id,
                    source,
                    target,
                    self._names[group],
                    queue_length,
                )
            )

    def gave_up(self, customer: Customer, *, reneged: bool, group: int | None = None) -> None:
        """A customer left unserved: reneged, or sent home at closing (``group``: the line they
        left; None: from the door)."""
        now = self._clock()
        wait = now - customer.arrival
        if reneged:
            if self._customer_reneged is not None:
                self._customer_reneged(
                    CustomerReneged(customer, group, now, customer.id, self._lane(group), wait)
                )
        elif self._customer_unserved is not None:
            self._customer_unserved(
                CustomerUnserved(customer, group, now, customer.id, self._lane(group), wait)
            )

    # Tills

    def checkout_started(self, customer: Customer, group: int, cashier: int) -> None:
        """A customer reached till ``cashier`` (at ``customer.start``)."""
        send = self._checkout_started
        if send is not None:
            start = customer.start
            send(
                _make(
                    CheckoutStarted,
                    (
                        customer,
                        group,
                        start,
                        customer.id,
                        self._names[group],
                        cashier,
                        start - customer.arrival,
                    ),
                )
            )

    def item_scanned(self, customer: Customer, group: int, cashier: int, product: int, scan: float) -> None:
        """One item scanned (only with ``--items``)."""
        if self._item_scanned is not None:
            self._item_scanned(
                ItemScanned(
                    customer,
                    group,
                    self._clock(),
                    customer.id,
                    self._names[group],
                    cashier,
                    self._products[product],
                    scan,
                )
            )

    def till_opened(self, group: int, cashier: int, queue_length: int) -> None:
        """Till ``cashier`` of ``group`` opened, with ``queue_length`` waiting in the group's lines."""
        if self._cashier_opened is not None:
            self._cashier_opened(
                CashierOpened(group, self._clock(), self._names[group], cashier, queue_length)
            )

    def till_closed(self, group: int, cashier: int, queue_length: int) -> None:
        """Till ``cashier`` of ``group`` closed."""
        if self._cashier_closed is not None:
            self._cashier_closed(
                CashierClosed(group, self._clock(), self._names[group], cashier, queue_length)
            )

    # Attendants (kiosks are a lane group's)

    def assist_requested(self, customer: Customer, group: int, cashier: int) -> None:
        if self._assist_requested is not None:
            self._assist_requested(
                AssistRequested(customer, group, self._clock(), customer.id, self._names[group], cashier)
            )

    def assist_started(
        self, customer: Customer, group: int, cashier: int, attendant: int, wait: float
    ) -> None:
        if self._assist_started is not None:
            self._assist_started(
                AssistStarted(
                    customer, group, self._clock(), customer.id, self._names[group], cashier, attendant, wait
                )
            )

    def assist_finished(
        self, customer: Customer, group: int, cashier: int, attendant: int, wait: float
    ) -> None:
        """The attendant helped for ``customer.assist`` seconds after ``wait``."""
        if self._assist_finished is not None:
            self._assist_finished(
                AssistFinished(
                    customer,
                    group,
                    self._clock(),
                    customer.id,
                    self._names[group],
                    cashier,
                    attendant,
                    customer.assist,
                    wait,
                )
            )
