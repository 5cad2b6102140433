"""The shop: one run of a scenario, built from its plan and run in a TaskGroup.

This is the textbook asyncio producer-consumer pattern, with the parts a real shop
needs: a producer at the door (:mod:`.door`), groups of tills that share a line
(:mod:`.lanes`, :mod:`.till`), a manager who opens extra tills (:mod:`.manager`), and
the tally and event log that watch it all. Nothing here reads a clock but the running
loop's, so the same coroutines run on the virtual clock or the wall clock.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Mapping
from typing import IO, TYPE_CHECKING, Any

from structlog.typing import Processor

from ..config.scenario import Scenario
from ..observe.batches import Batches
from ..observe.eventlog import SCHEMA_VERSION, EventLog
from ..observe.money import CostRates
from ..observe.summary import Summary
from ..observe.watch import Watch
from .arrivals import make_arrivals
from .clock import RealtimeLoop, sleep_until
from .door import Door, Overloaded
from .jockeying import Jockeying
from .lanes import LaneGroup
from .manager import manage
from .plan import compile_plan
from .routing import Router
from .trace_customers import make_customers

if TYPE_CHECKING:
    from .roster import Staff

__all__ = ["Interrupted", "Overloaded", "Shop"]


class Interrupted(Exception):
    """A run stopped by a signal; ``summary`` holds the figures up to that moment."""

    def __init__(self, summary: Summary, signal_number: int) -> None:
        super().__init__(f"interrupted by signal {signal_number}")
        self.summary = summary
        self.signal_number = signal_number


class Shop:
    """One run of a scenario: door, lane groups, managers, tally and log on the running loop."""

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
        self.scenario = scenario
        self.plan = compile_plan(scenario)
        self._seed = seed
        self._stream = log
        self._processors = processors
        self._bind = bind
        self._progress = progress
        self._batch_means = batch_means
        self._item_events = item_events
        self._signal: int | None = None
        self._main: asyncio.Task[Summary] | None = None
        self._warmup_timer: asyncio.TimerHandle | None = None
        self._interval_timer: asyncio.TimerHandle | None = None
        self._door: Door | None = None

    async def run(self) -> Summary:
        """Open the shop, let customers in until arrivals end, serve them, close.

        After :meth:`interrupt`, raises :class:`Interrupted` carrying the partial summary.
        """
        scenario, plan, seed = self.scenario, self.plan, self._seed
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._main = asyncio.current_task()
        log = None
        if self._stream is not None:
            log = EventLog(
                self._stream,
                loop.time,
                processors=self._processors,
                flush_each=plan.realtime,
                bind=self._bind,
            )
        batches = None
        if self._batch_means and scenario.duration is not None:
            batches = Batches(scenario.warmup, scenario.duration, plan.segment_names)
        self._watch = watch = Watch(
            loop.time,
            groups=[group.name for group in plan.groups],
            segment_names=plan.segment_names,
            product_names=plan.product_names,
            lanes=plan.lanes,
            per_till=plan.per_till,
            warmup=plan.warmup > 0,
            staffing=plan.staffing,
            batches=batches,
            log=log,
            service_target=None if scenario.service_level is None else scenario.service_level.target,
            intervals=scenario.intervals,
            costs=CostRates.of(scenario),
        )
        self._recorder = recorder = watch.recorder
        self.groups = [
            LaneGroup(group, plan, loop, watch, item_events=self._item_events) for group in plan.groups
        ]
        router = Router(self.groups, plan, random.Random(f"checkout-sim/{seed}/routing"))
        self._door = door = Door(
            loop,
            plan,
            recorder,
            arrivals=make_arrivals(scenario, random.Random(f"checkout-sim/{seed}/arrivals")),
            customers=make_customers(scenario, random.Random(f"checkout-sim/{seed}/customers")),
            router=router,
            progress=self._progress,
        )
        self._staff: dict[int, Staff] = {}
        if plan.staffing or any(group.plan.move_on_close for group in self.groups):
            from .roster import Mover, Staff  # only where some group is staffed so (start-up)
        for group in self.groups:  # a roster, breaks, customers who move when their till closes
            if group.plan.roster or group.plan.breaks is not None:
                group.staff = self._staff[group.index] = Staff(group, group.plan, loop)
            if group.plan.move_on_close:
                group.move = Mover(router, door.join, recorder)
        self._jockeying: Jockeying | None = None
        if any(rule is not None for rule in plan.jockey):  # some segment may switch (see Scenario.may_switch)
            self._jockeying = door.jockeying = Jockeying(loop, plan, recorder, self.groups, door.join)
            for group in self.groups:
                if group.per_till:
                    group.shorter = self._jockeying.shorter
            watch.count_jockeying()
        if plan.warmup > 0:
            self._warmup_timer = loop.call_at(plan.warmup, self._end_warmup)
        if scenario.intervals is not None:
            self._interval_timer = loop.call_at(scenario.intervals, self._interval_over, 1)
        recorder.run_started(scenario.name, seed, scenario.clock, SCHEMA_VERSION, scenario.logged())
        try:
            await self._serve_everyone(self._door)
        except asyncio.CancelledError:
            if self._signal is None:
                raise
            self._send_everyone_home()
            raise Interrupted(self._finish(interrupted=True), self._signal) from None
        return self._finish(interrupted=False)

    def interrupt(self, signal_number: int) -> None:
        """Stop the run now (a signal arrived): the log ends with a partial summary."""
        if self._signal is None and self._main is not None and not self._main.done():
            self._signal = signal_number
            if self._door is not None:
                self._door.stop()
            self._main.cancel()

    async def _serve_everyone(self, door: Door) -> None:
        # A TaskGroup: if any cashier, a manager or the producer fails, the others are
        # cancelled and the failure surfaces here instead of a line that never drains.
        async with asyncio.TaskGroup() as tasks:
            for group in self.groups:
                group.tasks = tasks
                for _ in range(group.plan.count):
                    group.open_till()
                staff = self._staff.get(group.index)
                if staff is not None:
                    staff.start()
                if group.help is not None:
                    group.start_attendants()
            managers = [
                tasks.create_task(manage(group), name="manager")
                for group in self.groups
                if group.plan.scaling is not None
            ]
            producer = tasks.create_task(door.produce(), name="producer")
            if self.plan.closing is not None:
                await sleep_until(self.plan.closing)
                self._close_doors()
            await producer
            await self._everyone_served()
            for manager in managers:
                manager.cancel()
            for group in self.groups:
                group.stop()  # idle cashiers wait in line.get(); nobody is coming

    async def _everyone_served(self) -> None:
        """Wait until everyone who got in has been served or has left.

        Where shoppers switch lines, one may move into a line already waited for:
        then every line is waited for again, until a whole pass finds nothing to wait for.
        """
        jockeying = self._jockeying
        while True:
            waited = False
            for line in [line for group in self.groups for line in group.lines]:
                if not line.finished():
                    await line.join()
                    waited = True
            walked = jockeying is not None and await jockeying.settled()
            if not (waited or walked):
                return

    def _close_doors(self) -> None:
        """Everyone still in a line or on the way to one goes home unserved."""
        for group in self.groups:
            group.close_doors()
        if self._jockeying is not None:
            self._jockeying.send_home()

    def _end_warmup(self) -> None:
        """The warm-up is over: figures count only the customers who arrive from now on.

        The observers are told which customers came before (the ``warmup_ended`` event's
        ``last_customer``) and which checkouts are under way; the log marks the boundary.
        """
        self._warmup_timer = None
        assert self._door is not None
        self._recorder.warmup_ended(
            tuple(tuple(customer.start for customer in group.at_till.values()) for group in self.groups),
            self._door.made,
            sum(group.waiting() for group in self.groups),
        )

    def _interval_over(self, number: int) -> None:
        """Interval ``number`` (from 1) has ended: tell the observers, and wait for the next end.

        Each end is ``number`` × the length, not a sum of lengths, so that no error builds up.
        """
        length = self.scenario.intervals
        assert length is not None
        self._watch.interval_over()
        self._interval_timer = self._loop.call_at((number + 1) * length, self._interval_over, number + 1)

    def _send_everyone_home(self) -> None:
        """After an interruption: whoever is still in line, at the door or at a till is unserved."""
        self._close_doors()
        if self._door is not None:
            for customer in list(self._door.held):
                self._recorder.gave_up(customer, reneged=False)
        for group in self.groups:
            group.send_tills_home()

    def _finish(self, *, interrupted: bool) -> Summary:
        if self._warmup_timer is not None:
            self._warmup_timer.cancel()  # the run ended first: the figures cover all of it
            self._warmup_timer = None
        if self._interval_timer is not None:
            self._interval_timer.cancel()
            self._interval_timer = None
        for group in self.groups:
            group.close_all()
        self._staff.clear()  # each refers to its group
        self._jockeying = None  # it refers to the door and the groups
        if self._door is not None:
            self._door.jockeying = None
        summary = self._watch.summary(
            seed=self._seed,
            interrupted=interrupted,
            # how far the wall clock let the run fall behind
            realtime_lag_max=self._loop.lag_max if isinstance(self._loop, RealtimeLoop) else None,
        )
        self._recorder.run_finished(summary.to_dict())
        return summary  # the runner flushes the log, on every way out
