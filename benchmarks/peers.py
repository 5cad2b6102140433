"""The same M/M/3 model written for SimPy 4 (Store and Resource) and Ciw 3.

Each function simulates ``customers`` arrivals (lambda = 2.7/min, mu = 1/min per
cashier, 3 cashiers, FIFO, unbounded) and returns (served, mean wait in seconds), so
the benchmark can check that every implementation computes the same thing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import IO, Any

LAMBDA = 2.7 / 60
MU = 1 / 60
CASHIERS = 3


def simpy_store(customers: int, seed: int, log: IO[bytes] | None = None) -> tuple[int, float]:
    """SimPy with a Store as the line and three cashier processes: the producer-consumer shape."""
    import simpy

    env = simpy.Environment()
    rng = random.Random(seed)
    line = simpy.Store(env)
    served = 0
    total_wait = 0.0
    write = log.write if log is not None else None
    if write:  # imported only to log, so that a process running the peer without a log loads SimPy alone
        import orjson

        dumps = orjson.dumps

    def producer() -> Any:
        for number in range(1, customers + 1):
            yield env.timeout(rng.expovariate(LAMBDA))
            if write:  # the fields of checkout-sim's line, so both write the same log
                write(
                    dumps(
                        {
                            "t": env.now,
                            "event": "customer_arrived",
                            "customer": number,
                            "segment": "regular",
                            "items": 1,
                            "queue_length": len(line.items),
                        }
                    )
                    + b"\n"
                )
            line.put((number, env.now, rng.expovariate(MU)))

    def cashier(lane: int) -> Any:
        nonlocal served, total_wait
        while True:
            number, arrival, service = yield line.get()
            wait = env.now - arrival
            if write:
                write(
                    dumps(
                        {
                            "t": env.now,
                            "event": "checkout_started",
                            "customer": number,
                            "cashier": lane,
                            "wait": wait,
                        }
                    )
                    + b"\n"
                )
            yield env.timeout(service)
            served += 1
            total_wait += wait
            if write:
                write(
                    dumps(
                        {
                            "t": env.now,
                            "event": "checkout_finished",
                            "customer": number,
                            "cashier": lane,
                            "service": service,
                            "items": 1,
                        }
                    )
                    + b"\n"
                )

    env.process(producer())
    for lane in range(1, CASHIERS + 1):
        env.process(cashier(lane))
    env.run()
    return served, total_wait / served


def simpy_resource(customers: int, seed: int) -> tuple[int, float]:
    """SimPy with a Resource of capacity 3 and one process per customer (the SimPy idiom)."""
    import simpy

    env = simpy.Environment()
    rng = random.Random(seed)
    tills = simpy.Resource(env, capacity=CASHIERS)
    served = 0
    total_wait = 0.0

    def customer(service: float) -> Any:
        nonlocal served, total_wait
        arrival = env.now
        with tills.request() as request:
            yield request
            total_wait += env.now - arrival
            yield env.timeout(service)
        served += 1

    def producer() -> Any:
        for _ in range(customers):
            yield env.timeout(rng.expovariate(LAMBDA))
            env.process(customer(rng.expovariate(MU)))

    env.process(producer())
    env.run()
    return served, total_wait / served


def ciw(customers: int, seed: int) -> tuple[int, float]:
    """Ciw 3: one node, three servers, run until ``customers`` have arrived and left."""
    import ciw as ciw_module

    network = ciw_module.create_network(
        arrival_distributions=[ciw_module.dists.Exponential(rate=LAMBDA)],
        service_distributions=[ciw_module.dists.Exponential(rate=MU)],
        number_of_servers=[CASHIERS],
    )
    ciw_module.seed(seed)
    simulation = ciw_module.Simulation(network)
    simulation.simulate_until_max_customers(customers, method="Finish")
    records = simulation.get_all_records()
    waits = [record.waiting_time for record in records]
    return len(records), sum(waits) / len(waits)


def bare_asyncio(customers: int, seed: int) -> tuple[int, float]:
    """The floor: the same producer-consumer on checkout-sim's virtual loop, with no bookkeeping.

    Arrivals by ``call_at``, a plain ``asyncio.Queue``, three cashier tasks sleeping
    on a ``pauser`` each (as checkout-sim's cashiers do), tuples for customers, only
    the sum of waits kept: what the asyncio machinery costs before anything a
    simulation reports.
    """
    import asyncio

    from checkout_sim.engine.clock import VirtualClockLoop, pause_until, pauser

    rng = random.Random(seed)
    served = 0
    total_wait = 0.0

    async def main() -> None:
        loop = asyncio.get_running_loop()
        line: asyncio.Queue[tuple[float, float]] = asyncio.Queue()

        def arrive(number: int) -> None:
            line.put_nowait((loop.time(), rng.expovariate(MU)))
            if number < customers:
                loop.call_at(loop.time() + rng.expovariate(LAMBDA), arrive, number + 1)

        async def cashier() -> None:
            nonlocal served, total_wait
            pause = pauser(loop)
            while True:
                arrival, service = await line.get()
                total_wait += loop.time() - arrival
                await pause(loop.time() + service)
                served += 1
                line.task_done()

        loop.call_at(rng.expovariate(LAMBDA), arrive, 1)
        cashiers = [asyncio.create_task(cashier()) for _ in range(CASHIERS)]
        while served < customers:
            await pause_until(loop, loop.time() + 3600.0)
        for task in cashiers:
            task.cancel()

    with asyncio.Runner(loop_factory=VirtualClockLoop) as runner:
        runner.run(main())
    return served, total_wait / served


#: Case 4: three lane groups (tills, service scale), customers join the shortest, patience.
LANE_GROUPS = (("tills", 3, 1.0), ("express", 2, 0.5), ("kiosks", 4, 1.5))
LANES_SERVICE = 60.0  # mean of the base service (exponential), scaled by each group's factor
LANES_PATIENCE = 300.0  # mean patience (exponential): still waiting after it, a customer leaves
#: Arrivals at 90 % of the three groups' capacity.
LANES_LAMBDA = 0.9 * sum(count / (LANES_SERVICE * factor) for _, count, factor in LANE_GROUPS)


def simpy_lanes(customers: int, seed: int) -> tuple[int, float]:
    """SimPy: three Resources, a process per customer joining the one with the fewest people ahead
    per till (those in line and at the tills; ties to the first), leaving when patience runs out.

    Returns (customers, served or gone), mean wait of the served).
    """
    import simpy

    env = simpy.Environment()
    rng = random.Random(seed)
    groups = [(simpy.Resource(env, capacity=count), count, factor) for _, count, factor in LANE_GROUPS]
    served = gone = 0
    total_wait = 0.0

    def ahead(group: tuple[Any, int, float]) -> float:
        resource, count, _ = group
        return (len(resource.queue) + resource.count) / count

    def customer(service: float, patience: float) -> Any:
        nonlocal served, gone, total_wait
        arrival = env.now
        resource, _, factor = min(groups, key=ahead)
        with resource.request() as request:
            outcome = yield request | env.timeout(patience)
            if request not in outcome:
                gone += 1
                return
            total_wait += env.now - arrival
            yield env.timeout(service * factor)
        served += 1

    def producer() -> Any:
        for _ in range(customers):
            yield env.timeout(rng.expovariate(LANES_LAMBDA))
            env.process(customer(rng.expovariate(1 / LANES_SERVICE), rng.expovariate(1 / LANES_PATIENCE)))

    env.process(producer())
    env.run()
    return served + gone, total_wait / served


#: Case 5: six tills, each with its own line; each arrival joins the line with the fewest
#: people (in line and at the till), ties at random; exponential service; utilisation 0.9.
OWN_TILLS = 6
OWN_SERVICE = 60.0
OWN_LAMBDA = 0.9 * OWN_TILLS / OWN_SERVICE


def simpy_store_own_lines(customers: int, seed: int) -> tuple[int, float]:
    """SimPy, the lean way: a Store per till with one cashier process taking from it, each
    arrival put into the till with the fewest people (waiting plus in service; ties at
    random). Case 5's main peer. Returns (served, mean wait)."""
    import simpy

    env = simpy.Environment()
    rng = random.Random(seed)
    lines = [simpy.Store(env) for _ in range(OWN_TILLS)]
    busy = [0] * OWN_TILLS
    served = 0
    total_wait = 0.0

    def cashier(index: int) -> Any:
        nonlocal served, total_wait
        line = lines[index]
        while True:
            arrival, service = yield line.get()
            busy[index] = 1
            total_wait += env.now - arrival
            yield env.timeout(service)
            busy[index] = 0
            served += 1

    def producer() -> Any:
        # Draws in the Resource formulation's order (gap, service, next gap, then the pick),
        # so that both see the very same customers and picks.
        gap = rng.expovariate(OWN_LAMBDA)
        for number in range(customers):
            yield env.timeout(gap)
            service = rng.expovariate(1 / OWN_SERVICE)
            if number + 1 < customers:
                gap = rng.expovariate(OWN_LAMBDA)
            people = [len(line.items) + busy[index] for index, line in enumerate(lines)]
            fewest = min(people)
            shortest = [index for index, count in enumerate(people) if count == fewest]
            chosen = shortest[0] if len(shortest) == 1 else rng.choice(shortest)
            lines[chosen].put((env.now, service))

    for index in range(OWN_TILLS):
        env.process(cashier(index))
    env.process(producer())
    env.run()
    return served, total_wait / served


def simpy_own_lines(customers: int, seed: int) -> tuple[int, float]:
    """SimPy: six Resources of one till each, a process per customer joining the one with the
    fewest people (waiting and served; ties at random). Returns (served, mean wait)."""
    import simpy

    env = simpy.Environment()
    rng = random.Random(seed)
    tills = [simpy.Resource(env, capacity=1) for _ in range(OWN_TILLS)]
    served = 0
    total_wait = 0.0

    def customer(service: float) -> Any:
        nonlocal served, total_wait
        arrival = env.now
        people = [len(till.queue) + till.count for till in tills]
        fewest = min(people)
        shortest = [till for till, count in zip(tills, people, strict=True) if count == fewest]
        till = shortest[0] if len(shortest) == 1 else rng.choice(shortest)
        with till.request() as request:
            yield request
            total_wait += env.now - arrival
            yield env.timeout(service)
        served += 1

    def producer() -> Any:
        for _ in range(customers):
            yield env.timeout(rng.expovariate(OWN_LAMBDA))
            env.process(customer(rng.expovariate(1 / OWN_SERVICE)))

    env.process(producer())
    env.run()
    return served, total_wait / served


def ciw_own_lines(customers: int, seed: int) -> tuple[int, float]:
    """Ciw 3: a dispatching node with no service time routes each arrival by ``LoadBalancing``
    (Ciw's join-the-shortest-queue counting those in service, ties at random) to six
    one-server nodes. Returns (served, mean wait at the tills)."""
    import ciw as ciw_module

    tills = list(range(2, OWN_TILLS + 2))
    network = ciw_module.create_network(
        arrival_distributions=[ciw_module.dists.Exponential(rate=OWN_LAMBDA)] + [None] * OWN_TILLS,
        service_distributions=[ciw_module.dists.Deterministic(value=0.0)]
        + [ciw_module.dists.Exponential(rate=1 / OWN_SERVICE) for _ in tills],
        number_of_servers=[float("inf")] + [1] * OWN_TILLS,
        routing=ciw_module.routing.NetworkRouting(
            routers=[ciw_module.routing.LoadBalancing(destinations=tills, tie_break="random")]
            + [ciw_module.routing.Leave() for _ in tills]
        ),
    )
    ciw_module.seed(seed)
    simulation = ciw_module.Simulation(network)
    simulation.simulate_until_max_customers(customers, method="Finish")
    waits = [record.waiting_time for record in simulation.get_all_records() if record.node != 1]
    return len(waits), sum(waits) / len(waits)


PEERS: dict[str, Callable[[int, int], tuple[int, float]]] = {
    "SimPy Store": simpy_store,
    "SimPy Resource": simpy_resource,
    "Ciw": ciw,
    "asyncio floor: checkout-sim's loop, no bookkeeping": bare_asyncio,
}
