"""A till: the consumer task that takes the next customer from its group's line and serves them.

Each checkout is a run of pauses, one per item scanned and one for payment, each ending
at its planned time (the next is timed from it, never from a late wake-up). This is
the hot path of the simulation: what it needs is read into locals once.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from .clock import VirtualClockLoop, pauser
from .customers import Customer

if TYPE_CHECKING:
    from .lanes import LaneGroup, Place

__all__ = ["HelpRequest", "serve"]


class HelpRequest:
    """A kiosk asks for an attendant: who, at which till, since when; answered with the time help ends."""

    __slots__ = ("answer", "asked", "customer", "till")

    def __init__(self, customer: Customer, till: int, asked: float, answer: asyncio.Future[float]) -> None:
        self.customer, self.till, self.asked, self.answer = customer, till, asked, answer


async def serve(group: LaneGroup, number: int, place: Place, extra: bool) -> None:
    """A cashier at till ``number``: take the next customer from ``place``'s line, scan each item,
    take payment, repeat.

    An ``extra`` till (opened by the manager) closes when it finishes a customer and at
    most ``close_at`` are waiting (with a line of its own: none in it). A till with its
    own line tells the shoppers who switch lines when it has got shorter.
    """
    context = group.context
    line = place.line
    jockeying = context.jockeying if place.till is not None else None
    loop, emit, record, tally = context.loop, context.emit, context.record, context.tally
    scaling = group.plan.scaling
    close_at = scaling.close_at if extra and scaling is not None else -1
    item_events, logging = context.item_events, context.logging
    product_names = context.plan.product_names
    at_till = group.at_till
    lane, group_tally, help_queue = group.name, group.tally, group.help
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
            at_till[number] = customer
            if customer.leave_timer is not None:
                customer.leave_timer.cancel()
            start = when = customer.start = now
            wait = start - customer.arrival
            if logging:
                if lane is None:
                    record(
                        {
                            "t": start,
                            "event": "checkout_started",
                            "customer": customer.id,
                            "cashier": number,
                            "wait": wait,
                        }
                    )
                else:
                    record(
                        {
                            "t": start,
                            "event": "checkout_started",
                            "customer": customer.id,
                            "lane": lane,
                            "cashier": number,
                            "wait": wait,
                        }
                    )
            # Each pause ends at ``when``, on the virtual clock exactly: the next is timed from it.
            if item_events:  # otherwise no zip over the products and no check per item (~4%)
                for product, scan in zip(customer.products, customer.scans, strict=True):
                    if scan > 0:
                        when += scan
                        await pause_until(when)
                    if lane is None:
                        emit(
                            "item_scanned",
                            customer=customer.id,
                            cashier=number,
                            product=product_names[product],
                            scan=scan,
                        )
                    else:
                        emit(
                            "item_scanned",
                            customer=customer.id,
                            lane=lane,
                            cashier=number,
                            product=product_names[product],
                            scan=scan,
                        )
            else:
                for scan in customer.scans:
                    if scan > 0:
                        when += scan
                        await pause_until(when)
            if help_queue is not None and customer.assist > 0:  # a kiosk: wait for an attendant's help
                emit("assist_requested", customer=customer.id, lane=lane, cashier=number)
                answer: asyncio.Future[float] = loop.create_future()
                help_queue.put_nowait(HelpRequest(customer, number, when, answer))
                when = await answer
            if customer.payment > 0:
                when += customer.payment
                await pause_until(when)
            now = when if exact else loop.time()  # the virtual clock wakes at ``when`` exactly
            service = now - start
            del at_till[number]
            tally.served(customer.segment, wait, service)
            if group_tally is not None:
                group_tally.served(wait, service, customer.arrival)
            if logging:
                if lane is None:
                    record(
                        {
                            "t": now,
                            "event": "checkout_finished",
                            "customer": customer.id,
                            "cashier": number,
                            "service": service,
                            "items": len(customer.scans),
                        }
                    )
                else:
                    record(
                        {
                            "t": now,
                            "event": "checkout_finished",
                            "customer": customer.id,
                            "lane": lane,
                            "cashier": number,
                            "service": service,
                            "items": len(customer.scans),
                        }
                    )
            line.task_done()
            if jockeying is not None:
                jockeying.shorter(place)
            if extra and group.quiet(place, close_at):
                group.close_till(number)
                return
    finally:
        # The pause refers to this task's wake-up: drop it with the frame that a
        # cancelled task's traceback keeps, or task and pause make a cycle.
        del pause_until
