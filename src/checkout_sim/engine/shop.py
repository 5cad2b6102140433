"""The shop: a producer puts customers into an asyncio queue, cashier tasks take them out.

This is the textbook asyncio producer-consumer pattern, with the parts a real shop
needs: a bounded line that holds arrivals at the door (``await queue.put()``) or turns
them away, impatient customers who leave, and a manager who opens extra lanes.
Nothing here reads a clock but the running loop's, so the same coroutines run on
the virtual clock or the wall clock.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import IO, Any

from structlog.typing import Processor

from ..config.scenario import MAX_WAITING, Scenario
from ..observe.batches import Batches
from ..observe.eventlog import SCHEMA_VERSION, EventLog
from ..observe.summary import BatchTally, Summary, Tally
from .arrivals import make_arrivals
from .clock import RealtimeLoop, VirtualClockLoop, pauser, sleep_until, waker
from .customers import Customer, CustomerFactory
from .line import Line, make_line

__all__ = ["Interrupted", "Overloaded", "Shop"]


class Overloaded(RuntimeError):
    """An unbounded line grew without limit: the scenario cannot reach a steady state."""


class Interrupted(Exception):
    """A run stopped by a signal; ``summary`` holds the figures up to that moment."""

    def __init__(self, summary: Summary, signal_number: int) -> None:
        super().__init__(f"interrupted by signal {signal_number}")
        self.summary = summary
        self.signal_number = signal_number


def _settle(future: asyncio.Future[Customer | None], result: Customer | None) -> None:
    """Hand the producer task a held customer, or None when arrivals are over."""
    if not future.done():
        future.set_result(result)


def _ignore(*args: Any, **fields: Any) -> None:
    """Stands in for the event log when none is written."""


class Shop:
    """One run of a scenario: line, producer, cashiers and manager on the running loop."""

    def __init__(
        self,
        scenario: Scenario,
        seed: int,
        log: IO[bytes] | None = None,
        *,
        item_events: bool = False,
        processors: tuple[Processor, ...] = (),
        bind: Mapping[str, Any] | None = None,
        progress: Callable[[float], None] | None = None,
        batch_means: bool = False,
    ) -> None:
        self._scenario = scenario
        self._batch_means = batch_means
        self._seed = seed
        self._stream = log
        self._item_events = item_events
        self._processors = processors
        self._bind = bind
        self._progress = progress
        self._arrivals = make_arrivals(scenario, random.Random(f"checkout-sim/{seed}/arrivals"))
        self._gap = self._arrivals.gap
        self._customers = CustomerFactory(scenario, random.Random(f"checkout-sim/{seed}/customers"))
        self._segment_names = [segment.name for segment in scenario.segments]
        self._product_names = [product.name for product in scenario.products]
        self._lanes: dict[int, asyncio.Task[None]] = {}
        self._at_till: dict[int, Customer] = {}
        self._held: Customer | None = None
        self._signal: int | None = None
        self._main: asyncio.Task[Summary] | None = None
        self._emit: Any = _ignore  # emit(event, **fields), stamped with the time
        self._record: Any = _ignore  # record({"t": …, "event": …, **fields}): the hot events
        self._logging = log is not None
        self._pending: asyncio.Handle | None = None

    async def run(self) -> Summary:
        """Open the shop, let customers in until arrivals end, serve them, close.

        After :meth:`interrupt`, raises :class:`Interrupted` carrying the partial summary.
        """
        loop = asyncio.get_running_loop()
        self._main = asyncio.current_task()
        scenario = self._scenario
        self._loop = loop
        self._arrival = waker(loop, self._next_member)
        self._wake_at = self._arrival.at
        self._tally = tally = self._make_tally(loop.time)
        # An unbounded line is given MAX_WAITING places, so put_nowait itself says when it
        # has grown out of hand (see _arrive); it never holds anyone at the door.
        self._unbounded = scenario.queue.capacity is None
        patient = any(segment.patience is not None for segment in scenario.segments)
        self._line: Line[Customer] = make_line(
            scenario.queue.kind, scenario.queue.capacity or MAX_WAITING, loop.time, leaving=patient
        )
        tally.line = self._line
        self._grew = asyncio.Event()
        # Only patience timers and the manager care that someone joined the line.
        self._watch_joins = scenario.cashiers.scaling is not None or patient
        if self._stream is not None:
            log = EventLog(
                self._stream,
                loop.time,
                processors=self._processors,
                flush_each=scenario.clock == "realtime",
                bind=self._bind,
            )
            self._emit, self._record = log.emit, log.record
        if scenario.warmup > 0:
            self._warmup_timer: asyncio.TimerHandle | None = loop.call_at(scenario.warmup, self._end_warmup)
        self._emit(
            "run_started",
            scenario=scenario.name,
            seed=self._seed,
            clock=scenario.clock,
            schema_version=SCHEMA_VERSION,
            config=scenario.logged(),
        )
        try:
            await self._serve_everyone()
        except asyncio.CancelledError:
            if self._signal is None:
                raise
            self._send_everyone_home()
            raise Interrupted(self._finish(interrupted=True), self._signal) from None
        return self._finish(interrupted=False)

    def _make_tally(self, clock: Callable[[], float]) -> Tally:
        """The run's tally; with batch means asked for and a duration, one that batches too."""
        scenario = self._scenario
        warmup = scenario.warmup > 0
        if self._batch_means and scenario.duration is not None:
            batches = Batches(scenario.warmup, scenario.duration, self._segment_names)
            return BatchTally(self._segment_names, clock, batches, warmup=warmup)
        return Tally(self._segment_names, clock, warmup=warmup)

    def _end_warmup(self) -> None:
        """The warm-up is over: figures count only the customers who arrive from now on.

        Whoever is already in line, at the door or at a till is moved to the tally's
        hidden group; the log keeps them and marks the boundary.
        """
        self._warmup_timer = None
        in_shop = [*self._line.waiting(), *self._at_till.values()]
        if self._held is not None:
            in_shop.append(self._held)
        hidden = self._tally.begin_window(customer.start for customer in self._at_till.values())
        for customer in in_shop:
            customer.segment = hidden
        self._emit("warmup_ended", last_customer=self._made, queue_length=self._line.qsize())

    def interrupt(self, signal_number: int) -> None:
        """Stop the run now (a signal arrived): the log ends with a partial summary."""
        if self._signal is None and self._main is not None and not self._main.done():
            self._signal = signal_number
            self._stop_arrivals()
            self._main.cancel()

    async def _serve_everyone(self) -> None:
        scenario = self._scenario
        # A TaskGroup: if any cashier, the manager or the producer fails, the others are
        # cancelled and the failure surfaces here instead of a line that never drains.
        async with asyncio.TaskGroup() as group:
            self._group = group
            for _ in range(scenario.cashiers.count):
                self._open_lane()
            manager = group.create_task(self._manage(), name="manager") if scenario.cashiers.scaling else None
            producer = group.create_task(self._produce(), name="producer")
            if not scenario.drain:
                assert scenario.duration is not None
                await sleep_until(scenario.duration)
                self._close_doors()
            await producer
            await self._line.join()  # everyone who got in has been served or has left
            for task in (manager, *self._lanes.values()):
                if task is not None:
                    task.cancel()  # idle cashiers wait in line.get(); nobody is coming

    def _send_everyone_home(self) -> None:
        """After an interruption: whoever is still in line, at the door or at a till is unserved."""
        self._close_doors()
        if self._held is not None:
            self._give_up(self._held, reneged=False)
        for lane in sorted(self._at_till):
            self._give_up(self._at_till.pop(lane), reneged=False)

    def _finish(self, *, interrupted: bool) -> Summary:
        if self._scenario.warmup > 0 and self._warmup_timer is not None:
            self._warmup_timer.cancel()  # the run ended first: the figures cover all of it
            self._warmup_timer = None
        for lane in sorted(self._lanes):
            self._close_lane(lane)
        summary = self._tally.summary(seed=self._seed, interrupted=interrupted)
        if isinstance(self._loop, RealtimeLoop):  # how far the wall clock let the run fall behind
            summary = replace(summary, realtime_lag_max=self._loop.lag_max)
        self._emit("run_finished", **summary.to_dict())
        return summary  # the runner flushes the log, on every way out

    # --- the producer --------------------------------------------------------

    async def _produce(self) -> None:
        """The producer. Arrivals come on loop callbacks; this task waits at the door.

        The arrival stream is a chain of timer callbacks (:func:`~._clock.waker`: no Future and no
        task step per arrival, yet each runs where this task would if a timer woke it).
        When the line is full and arrivals must wait, the chain hands the customer to
        this task, which blocks on ``await line.put()`` (backpressure) and then restarts
        the chain: the arrival process itself is held up meanwhile.
        """
        loop = self._loop
        arrivals = self._scenario.arrivals
        self._end = self._scenario.duration if self._scenario.duration is not None else math.inf
        self._limit = arrivals.limit if arrivals.limit is not None else math.inf
        self._made = 0
        self._group_left = 0
        self._door: asyncio.Future[Customer | None] = loop.create_future()
        try:
            self._time_next_arrival(0.0)
            while (customer := await self._door) is not None:
                self._door = loop.create_future()
                if await self._wait_at_door(customer):
                    self._joined(customer)
                # The next arrival is timed from when this one got in: the arrival
                # process was blocked. (Otherwise from the last one's scheduled time,
                # not from loop.time(): on the wall clock that is always a bit late.)
                self._reference = loop.time()
                self._report_progress()
                self._after_arrival()
        finally:
            self._stop_arrivals()

    def _time_next_arrival(self, reference: float) -> None:
        """Schedule the next arrival after ``reference``; when there is none, the end of arrivals.

        Past the limit, arrivals are over at once; otherwise the doors stay open until
        the end of the scenario's duration.
        """
        if self._made >= self._limit:
            _settle(self._door, None)
            return
        gap = self._gap
        if gap is not None:  # one at a time, a gap after the reference: no (time, size) pair
            when, size = reference + gap(), 1
        else:
            upcoming = self._arrivals.next(reference)
            when, size = upcoming if upcoming is not None else (math.inf, 0)
        if when >= self._end:  # or the process has no more (math.inf)
            if self._end < math.inf:  # the doors stay open until then
                self._pending = self._loop.call_at(self._end, _settle, self._door, None)
            else:
                _settle(self._door, None)
            return
        self._reference = when
        left = self._limit - self._made
        self._group_left = size if size <= left else int(left)
        # Each arrival runs where the producer task would if a timer woke it: after
        # whatever else is due at that instant and was scheduled first.
        self._wake_at(when)

    def _next_member(self) -> None:
        """The next member of the arriving group comes in (or, for an empty group, nobody)."""
        try:
            if self._group_left > 0:
                self._group_left -= 1
                self._made += 1
                customer = self._customers.make(self._made, self._loop.time())
                if self._arrive(customer):  # the line is full: the producer waits at the door
                    _settle(self._door, customer)
                    return
                if self._progress is not None:
                    self._report_progress()
            if self._group_left > 0:
                self._after_arrival()
            else:  # _after_arrival's commoner case, a call fewer per arrival
                self._time_next_arrival(self._reference)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as error:  # surfaces from the producer task, as it did from its body
            if not self._door.done():
                self._door.set_exception(error)

    def _report_progress(self) -> None:
        """Every 1,000 arrivals, tell the progress callback how far the run is."""
        if self._progress is not None and self._made % 1000 == 0:
            self._progress(min(1.0, max(self._loop.time() / self._end, self._made / self._limit)))

    def _after_arrival(self) -> None:
        """Let the group's next member in, or time the next arrival."""
        if self._group_left > 0:
            # A group arrives at one instant: let idle cashiers take whoever just joined
            # before the next one looks at the line, or a free till would look like a
            # full line.
            self._pending = self._loop.call_soon(self._next_member)
        else:
            self._time_next_arrival(self._reference)

    def _stop_arrivals(self) -> None:
        """No more arrivals: the run is over or was interrupted."""
        self._arrival.cancel()  # which also drops its reference to this shop
        if self._pending is not None:
            self._pending.cancel()

    def _arrive(self, customer: Customer) -> bool:
        """Join the line, or balk; True if the line is full and they must wait at the door.

        A plain function, not a coroutine: most arrivals never wait, and the producer
        only awaits (:meth:`_wait_at_door`) when one has to.
        """
        line, tally = self._line, self._tally.segments[customer.segment]
        tally.arrived += 1
        if self._logging:  # the hot path skips building fields nobody will read
            self._record(
                {
                    "t": customer.arrival,  # that is now
                    "event": "customer_arrived",
                    "customer": customer.id,
                    "segment": self._segment_names[customer.segment],
                    "items": len(customer.scans),
                    "queue_length": len(line.customers),
                }
            )
        if not self._unbounded and line.full():
            if self._scenario.queue.when_full == "wait":
                return True
            self._tally.balk(customer.segment)
            self._emit("customer_balked", customer=customer.id, queue_length=line.qsize())
            return False
        try:
            line.put_nowait(customer)
        except asyncio.QueueFull:  # only an unbounded line, at MAX_WAITING (a full bounded one is above)
            raise Overloaded(
                f"the line grew past {MAX_WAITING:,} waiting customers at t={self._loop.time():g}s: "
                "the tills cannot keep up; set queue.capacity or add cashiers"
            ) from None
        if self._watch_joins:
            self._joined(customer)
        return False

    def _joined(self, customer: Customer) -> None:
        """In line: start the patience clock and tell the manager the line grew."""
        if customer.patience is not None:
            customer.leave_timer = self._loop.call_at(
                customer.arrival + customer.patience, self._renege, customer
            )
        if self._scenario.cashiers.scaling is not None:
            self._grew.set()

    async def _wait_at_door(self, customer: Customer) -> bool:
        """Backpressure: block on ``await line.put()``; False if they never got in.

        Patience runs from arrival, so a customer held at the door may give up there;
        with ``drain: false`` anyone still at the door at closing time is unserved.
        """
        patience = customer.arrival + customer.patience if customer.patience is not None else math.inf
        closing = math.inf if self._scenario.drain else (self._scenario.duration or math.inf)
        deadline = min(patience, closing)
        self._held = customer
        try:
            async with asyncio.timeout_at(deadline if deadline < math.inf else None):
                await self._line.put(customer)
        except TimeoutError:
            self._held = None
            self._give_up(customer, reneged=patience <= closing)
            return False
        self._held = None
        return True

    def _renege(self, customer: Customer) -> None:
        """Patience ran out: leave the line, if still in it."""
        customer.leave_timer = None  # it has fired; it refers to the customer, so drop it
        if self._line.leave(customer):
            self._give_up(customer, reneged=True)

    def _close_doors(self) -> None:
        """Closing time without draining: everyone still in line goes home unserved."""
        for customer in self._line.waiting():
            self._line.leave(customer)
            if customer.leave_timer is not None:
                customer.leave_timer.cancel()
            self._give_up(customer, reneged=False)

    def _give_up(self, customer: Customer, *, reneged: bool) -> None:
        """Record a customer who leaves without being served: reneged, or unserved at closing."""
        wait = self._loop.time() - customer.arrival
        self._tally.gave_up(customer.segment, wait, reneged=reneged)
        event = "customer_reneged" if reneged else "customer_unserved"
        self._emit(event, customer=customer.id, wait=wait)

    # --- the cashiers ---------------------------------------------------------

    def _open_lane(self, extra: bool = False) -> None:
        lane = next(number for number in range(1, len(self._lanes) + 2) if number not in self._lanes)
        self._tally.lanes_changed(+1)
        self._emit("cashier_opened", cashier=lane, queue_length=self._line.qsize())
        self._lanes[lane] = self._group.create_task(self._serve(lane, extra), name=f"cashier-{lane}")

    def _close_lane(self, lane: int) -> None:
        del self._lanes[lane]
        self._tally.lanes_changed(-1)
        self._emit("cashier_closed", cashier=lane, queue_length=self._line.qsize())

    async def _serve(self, lane: int, extra: bool) -> None:
        """A cashier: take the next customer, scan each item, take payment, repeat."""
        line = self._line
        loop, emit, record, tally = self._loop, self._emit, self._record, self._tally
        scaling = self._scenario.cashiers.scaling
        close_at = scaling.close_at if extra and scaling is not None else -1
        item_events, logging = self._item_events, self._logging
        waiting = line.customers
        pause_until = pauser(loop)
        exact = isinstance(loop, VirtualClockLoop)
        now = loop.time()
        try:
            while True:
                # Take whoever is waiting; only wait (await get) when nobody is. Without
                # an await the time is still ``now``, when the last checkout ended.
                if waiting:
                    customer = line.get_nowait()
                else:
                    customer = await line.get()
                    now = loop.time()
                self._at_till[lane] = customer
                if customer.leave_timer is not None:
                    customer.leave_timer.cancel()
                start = when = customer.start = now
                wait = start - customer.arrival
                if logging:
                    record(
                        {
                            "t": start,
                            "event": "checkout_started",
                            "customer": customer.id,
                            "cashier": lane,
                            "wait": wait,
                        }
                    )
                # Each pause ends at ``when``, on the virtual clock exactly: the next is timed from it.
                if item_events:  # otherwise no zip over the products and no check per item (~4%)
                    for product, scan in zip(customer.products, customer.scans, strict=True):
                        if scan > 0:
                            when += scan
                            await pause_until(when)
                        emit(
                            "item_scanned",
                            customer=customer.id,
                            cashier=lane,
                            product=self._product_names[product],
                            scan=scan,
                        )
                else:
                    for scan in customer.scans:
                        if scan > 0:
                            when += scan
                            await pause_until(when)
                if customer.payment > 0:
                    when += customer.payment
                    await pause_until(when)
                now = when if exact else loop.time()  # the virtual clock wakes at ``when`` exactly
                service = now - start
                del self._at_till[lane]
                tally.served(customer.segment, wait, service)
                if logging:
                    record(
                        {
                            "t": now,
                            "event": "checkout_finished",
                            "customer": customer.id,
                            "cashier": lane,
                            "service": service,
                            "items": len(customer.scans),
                        }
                    )
                line.task_done()
                if extra and line.qsize() <= close_at:
                    self._close_lane(lane)
                    return
        finally:
            # The pause refers to this task's wake-up: drop it with the frame that a
            # cancelled task's traceback keeps, or task and pause make a cycle.
            del pause_until

    async def _manage(self) -> None:
        """The manager: each time someone joins a line of ``open_at`` or more, open a lane."""
        scaling = self._scenario.cashiers.scaling
        assert scaling is not None
        while True:
            await self._grew.wait()
            self._grew.clear()
            if self._line.qsize() >= scaling.open_at and len(self._lanes) < scaling.max:
                self._open_lane(extra=True)
