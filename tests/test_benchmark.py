"""The benchmark runs end to end, and its peers simulate what they should."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from peers import PEERS, simpy_store  # type: ignore[import-not-found]  # noqa: E402  # benchmarks/ is no package


def test_the_benchmark_prints_every_implementation_with_a_rate_and_a_ratio() -> None:
    """A small run of benchmarks/run.py exits 0 and prints its cases with all nine rows."""
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run.py"), "--customers", "2000", "--repeat", "1"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    rows = [
        line for line in result.stdout.splitlines() if line.startswith("| ") and "customers/s" not in line
    ]
    names = [row.split("|")[1].strip() for row in rows]
    assert names == [
        "checkout-sim (no event log)",
        *PEERS,
        "checkout-sim (event log)",
        "SimPy Store + orjson, 3 events/customer",
        "checkout-sim (lanes, no event log)",
        "SimPy: a Resource per group, a process per customer",
        "checkout-sim (line: per_till, no event log)",
        "SimPy: six one-till Resources, a process per customer",
        "Ciw: LoadBalancing (join-the-shortest-queue) to six one-server nodes",
    ]
    for row in rows:
        rate, ratio = row.split("|")[2:4]
        assert float(rate.replace(",", "")) > 0 and ratio.strip().endswith("x"), row
    assert "Case 1: summary only" in result.stdout and "Case 2: full event log to a file" in result.stdout
    assert "Case 4: three lane groups" in result.stdout
    assert "Case 5: six tills, a line at each" in result.stdout


@pytest.mark.parametrize("name", list(PEERS))
def test_every_peer_serves_every_customer(name: str) -> None:
    """Each peer simulates exactly the requested number of customers, all served."""
    served, _ = PEERS[name](3000, 1)
    assert served == 3000


def test_peers_drawing_the_same_numbers_find_the_same_waits() -> None:
    """SimPy Store, SimPy Resource and the asyncio floor draw the same gaps and services: same mean wait."""
    waits = {name: PEERS[name](3000, 1)[1] for name in PEERS if name != "Ciw"}  # Ciw has its own stream
    first = next(iter(waits.values()))
    assert len(waits) == 3
    assert all(math.isclose(wait, first, rel_tol=1e-9) for wait in waits.values()), waits  # summation order


def test_the_simpy_log_peer_writes_three_events_per_customer(tmp_path: Path) -> None:
    """The logging SimPy peer writes one arrival and two checkout lines per customer."""
    path = tmp_path / "simpy.jsonl"
    with path.open("wb") as stream:
        served, _ = simpy_store(500, 1, stream)
    lines = path.read_bytes().splitlines()
    assert served == 500 and len(lines) == 3 * 500


def test_the_lanes_peers_model_the_same_shop() -> None:
    """SimPy's three-group peer and checkout-sim's scenario handle every customer, with mean waits alike.

    Their random streams differ, so the waits are compared loosely: each within 25 % of
    the other over 20,000 customers (the groups run at 90 % of capacity).
    """
    from peers import simpy_lanes
    from run import ours_lanes  # type: ignore[import-not-found]

    handled, simpy_wait = simpy_lanes(20_000, 1)
    ours, our_wait = ours_lanes(20_000, 1)
    assert handled == ours == 20_000
    assert our_wait == pytest.approx(simpy_wait, rel=0.25)


def test_the_own_lines_peers_model_the_same_shop() -> None:
    """Case 5 in checkout-sim, SimPy and Ciw: all served, mean waits alike and between theory's bounds.

    Join-the-shortest-queue waits longer than one pooled line (M/M/6) and less than
    random choice (six M/M/1 queues); the three streams differ, so the waits are compared
    with each other loosely (within 25 % over 20,000 customers at utilisation 0.9).
    """
    from peers import OWN_LAMBDA, OWN_SERVICE, OWN_TILLS, ciw_own_lines, simpy_own_lines
    from run import ours_own_lines

    from checkout_sim.analysis.theory import mg1_wait, mmc_wait

    waits = {}
    for name, model in (("ours", ours_own_lines), ("simpy", simpy_own_lines), ("ciw", ciw_own_lines)):
        served, waits[name] = model(20_000, 1)
        assert served == 20_000, name
    pooled = mmc_wait(OWN_LAMBDA, 1 / OWN_SERVICE, OWN_TILLS)
    scattered = mg1_wait(OWN_LAMBDA / OWN_TILLS, OWN_SERVICE, 2 * OWN_SERVICE**2)
    for name, wait in waits.items():
        assert pooled < wait < scattered, (name, wait, pooled, scattered)
    assert waits["ours"] == pytest.approx(waits["simpy"], rel=0.25)
    assert waits["ours"] == pytest.approx(waits["ciw"], rel=0.25)
