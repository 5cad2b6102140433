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
from run import ours  # type: ignore[import-not-found]  # noqa: E402

CASES = {
    "Case 1: summary only": ["checkout-sim (no event log)", *PEERS],
    "Case 2: full event log to a file": [
        "checkout-sim (event log)",
        "SimPy Store + orjson, 3 events/customer",
    ],
    "Case 4: three lane groups, shortest line, patience (customers/s counts every arrival)": [
        "checkout-sim (lanes, no event log)",
        "SimPy: a Resource per group, a process per customer",
    ],
    "Case 5: six tills, a line at each, every arrival joins the shortest (utilisation 0.9)": [
        "checkout-sim (line: per_till, no event log)",
        "SimPy: a Store per till, one cashier process each",
        "SimPy: six one-till Resources, a process per customer",
        "Ciw: LoadBalancing (join-the-shortest-queue) to six one-server nodes",
    ],
}


def test_the_benchmark_prints_every_implementation_with_a_rate_and_a_ratio() -> None:
    """A small run of benchmarks/run.py prints every case and implementation, with consistent numbers.

    The header names the customers and repeats asked for; in each table every ratio is the
    row's printed rate over the first row's, to the printed precision; the runs that draw
    the same numbers print the same mean wait; and checkout-sim's wait is the one a run of
    the asked number of customers gives.
    """
    customers = 1500
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run.py"), "--customers", str(customers), "--repeat", "1"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    header, *sections = result.stdout.strip().split("\n\n")
    assert header.startswith(f"M/M/3, lambda 2.7/min, mu 1/min, {customers:,} customers, best of 1; ")
    tables: dict[str, dict[str, tuple[float, float, float]]] = {}
    for section in sections:
        title, columns, rule, *rows = section.splitlines()
        assert [c.strip() for c in columns.split("|")[1:-1]] == [
            "implementation",
            "customers/s",
            "vs checkout-sim",
            "mean wait (min)",
        ]
        assert set(rule) == {"|", "-"}
        table: dict[str, tuple[float, float, float]] = {}
        for row in rows:
            name, rate_text, ratio_text, wait_text = (cell.strip() for cell in row.split("|")[1:-1])
            assert ratio_text.endswith("x") and name not in table, row
            table[name] = (float(rate_text.replace(",", "")), float(ratio_text[:-1]), float(wait_text))
        tables[title] = table
    assert {title: list(table) for title, table in tables.items()} == CASES
    for title, table in tables.items():
        base, *_ = table.values()
        assert base[1] == 1.0, title
        for name, (rate, ratio, wait) in table.items():
            assert rate > 0 and wait >= 0, (title, name)
            # rates are printed whole, ratios to 2 places: allow both roundings, nothing more
            slack = 0.005 + (rate / base[0]) * (0.5 / rate + 0.5 / base[0]) + 1e-9
            assert abs(ratio - rate / base[0]) <= slack, (title, name, rate, base[0], ratio)
    case1, case2 = tables["Case 1: summary only"], tables["Case 2: full event log to a file"]
    same_draws = [case1[name][2] for name in PEERS if name != "Ciw"]
    assert same_draws == [case2["SimPy Store + orjson, 3 events/customer"][2]] * 3
    _, wait = ours(customers, 1)
    assert (
        case1["checkout-sim (no event log)"][2] == case2["checkout-sim (event log)"][2] == round(wait / 60, 3)
    )
    _, wait_of_others = ours(customers + 500, 1)
    assert round(wait_of_others / 60, 3) != round(wait / 60, 3)  # so the wait pins the count


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
    from run import ours_lanes

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
    from peers import (
        OWN_LAMBDA,
        OWN_SERVICE,
        OWN_TILLS,
        ciw_own_lines,
        simpy_own_lines,
        simpy_store_own_lines,
    )
    from run import ours_own_lines

    from checkout_sim.analysis.theory import mg1_wait, mmc_wait

    waits = {}
    models = {
        "ours": ours_own_lines,
        "simpy": simpy_own_lines,
        "simpy store": simpy_store_own_lines,
        "ciw": ciw_own_lines,
    }
    for name, model in models.items():
        served, waits[name] = model(20_000, 1)
        assert served == 20_000, name
    pooled = mmc_wait(OWN_LAMBDA, 1 / OWN_SERVICE, OWN_TILLS)
    scattered = mg1_wait(OWN_LAMBDA / OWN_TILLS, OWN_SERVICE, 2 * OWN_SERVICE**2)
    for name, wait in waits.items():
        assert pooled < wait < scattered, (name, wait, pooled, scattered)
    assert waits["ours"] == pytest.approx(waits["simpy"], rel=0.25)
    assert waits["ours"] == pytest.approx(waits["ciw"], rel=0.25)
    # The Store formulation draws exactly as the Resource one does: the very same customers.
    assert waits["simpy store"] == pytest.approx(waits["simpy"], rel=1e-9)
