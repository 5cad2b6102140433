"""Shared fixtures: a clean structlog, small scenarios, a way to run the CLI, and Dask without fixed ports."""

from __future__ import annotations

import copy
import errno
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from checkout_sim import Scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"

#: Two lane groups, each fed only by its own segment: M/M/2 and M/M/1 at utilisation 2/3,
#: each with a closed form (the batch-means and theory tests of lane groups).
TWO_GROUPS = """
name: two groups
seed: 3
duration: 100h
warmup: 5h
products: [{name: x, checkout_time: {dist: exponential, mean: 1min}}]
segments:
  - {name: big, share: 2}
  - {name: small, share: 1}
arrivals: {pattern: poisson, rate: 2/min}
lanes:
  - {name: tills, count: 2, segments: [big]}
  - {name: express, count: 1, segments: [small]}
"""


MINIMAL: dict[str, Any] = {
    "name": "test-shop",
    "seed": 1,
    "duration": "1h",
    "products": [{"name": "bread", "checkout_time": "5s"}],
    "arrivals": {"pattern": "poisson", "rate": "30/h"},
    "cashiers": {"count": 1},
}


# Dask's default dashboard port. The scheduler always serves HTTP (health, metrics); with
# `dashboard_address=None` it still binds this port, and when another process holds it Dask's
# "port in use" warning is an error under warnings-as-errors. So the suite holds it itself.
DASK_DASHBOARD_PORT = 8787

# LocalCluster options that bind only ports the system picks: the scheduler on 0, and its HTTP
# server on 127.0.0.1:0 (`None` would mean 8787 in the installed distributed; see
# Node.start_http_server, `dashboard_address or default_port`). Workers default to port 0.
DASK_ANY_PORT: dict[str, Any] = {
    "scheduler_port": 0,
    "dashboard_address": "127.0.0.1:0",
    "protocol": "tcp",
    "host": "127.0.0.1",
}


@pytest.fixture(scope="session", autouse=True)
def dask_dashboard_port_taken() -> Iterator[bool]:
    """Hold port 8787 on every IPv4 address for the whole session, so no test can depend on it.

    A test that starts Dask (or anything else) on the fixed port then fails every time, not
    only on a machine where something happens to use it. SO_REUSEPORT lets each xdist
    worker hold it for as long as it runs (one worker ending cannot free it under another),
    while a socket without it, as Dask's, still cannot bind. When the port is already
    taken by someone else the condition holds anyway; the value says whether this
    session holds it itself.
    """
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if hasattr(socket, "SO_REUSEPORT"):
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        holder.bind(("0.0.0.0", DASK_DASHBOARD_PORT))
        holder.listen()
    except OSError as error:
        holder.close()
        if error.errno != errno.EADDRINUSE:
            raise
        yield False
        return
    with holder:
        yield True


@pytest.fixture(autouse=True)
def _clean_structlog() -> Iterator[None]:
    """Every test starts and ends with structlog's default global configuration."""
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


def make_scenario(**changes: Any) -> Scenario:
    """The minimal scenario with top-level keys replaced (None removes a key)."""
    data = copy.deepcopy(MINIMAL)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return Scenario.model_validate(data)
