"""The benchmark's checkout-sim scenarios as YAML text, to run in-process or as a file for ``run-scenario``.

Written once so that ``run.py`` (in-process) and the whole-process and instruction
counts (``cases.py``) run the very same shops. Each matches its peers in ``peers.py``.
"""

from __future__ import annotations

from peers import (
    CASHIERS,
    LAMBDA,
    LANE_GROUPS,
    LANES_LAMBDA,
    LANES_PATIENCE,
    LANES_SERVICE,
    MU,
    OWN_LAMBDA,
    OWN_SERVICE,
    OWN_TILLS,
)

MODEL = """
name: mm3-benchmark
arrivals: {{pattern: poisson, rate: {rate}/s, limit: {customers}}}
products: [{{name: service, checkout_time: {{dist: exponential, mean: {mean}s}}}}]
cashiers: {{count: {cashiers}}}
"""


def mm3_yaml(customers: int) -> str:
    """Cases 1 and 2: M/M/3."""
    return MODEL.format(rate=LAMBDA, customers=customers, mean=1 / MU, cashiers=CASHIERS)


LANES_MODEL = """
name: three-groups-benchmark
arrivals: {{pattern: poisson, rate: {rate}/s, limit: {customers}}}
products: [{{name: service, checkout_time: {{dist: exponential, mean: {mean}s}}}}]
segments: [{{name: regular, patience: {{dist: exponential, mean: {patience}s}}, choice: shortest}}]
lanes:
{lanes}
"""


def lanes_yaml(customers: int) -> str:
    """Case 4: three lane groups, the shortest per till, patience."""
    lanes = "\n".join(
        f"  - {{name: {name}, count: {count}, scan_factor: {factor}}}" for name, count, factor in LANE_GROUPS
    )
    return LANES_MODEL.format(
        rate=LANES_LAMBDA, customers=customers, mean=LANES_SERVICE, patience=LANES_PATIENCE, lanes=lanes
    )


OWN_LINES_MODEL = """
name: own-lines-benchmark
arrivals: {{pattern: poisson, rate: {rate}/s, limit: {customers}}}
products: [{{name: service, checkout_time: {{dist: exponential, mean: {mean}s}}}}]
segments: [{{name: regular, choice: shortest}}]
lanes: [{{name: tills, count: {tills}, line: per_till}}]
"""


def own_lines_yaml(customers: int) -> str:
    """Case 5: six tills each with its own line, every arrival to the shortest."""
    return OWN_LINES_MODEL.format(rate=OWN_LAMBDA, customers=customers, mean=OWN_SERVICE, tills=OWN_TILLS)


SHARED_MODEL = """
name: shared-line-benchmark
arrivals: {{pattern: poisson, rate: {rate}/s, limit: {customers}}}
products: [{{name: service, checkout_time: {{dist: exponential, mean: {mean}s}}}}]
{tills}
"""

#: Case 6's two ways of writing one shop: six tills serving one first-come line.
SHARED_FORMS = {
    "cashiers": "queue: {{kind: fifo}}\ncashiers: {{count: {tills}}}",
    "lanes": "lanes: [{{name: tills, count: {tills}, line: shared, queue: {{kind: fifo}}}}]",
}


def shared_yaml(customers: int, form: str) -> str:
    """Case 6: case 5's tills and customers with one shared line, as ``cashiers`` or as a ``lanes:`` group."""
    tills = SHARED_FORMS[form].format(tills=OWN_TILLS)
    return SHARED_MODEL.format(rate=OWN_LAMBDA, customers=customers, mean=OWN_SERVICE, tills=tills)
