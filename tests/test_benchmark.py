"""The benchmark runs end to end, and its peers simulate what they should."""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from peers import PEERS, simpy_store  # type: ignore[import-not-found]  # noqa: E402  # benchmarks/ is no package
from run import ours, ours_cashiers, ours_shared  # type: ignore[import-not-found]  # noqa: E402

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
    "Case 6: six tills, one shared line (utilisation 0.9), as cashiers and as a lanes: group": [
        "checkout-sim: cashiers: {count: 6} + queue",
        "checkout-sim: lanes: [{name: tills, count: 6, line: shared}]",
    ],
}
#: Each table's case number, as the targets name them.
CASE_KEYS = dict(zip(CASES, ("1", "2", "4", "5", "6"), strict=True))


def cells(row: str) -> list[str]:
    """A printed table row's cells, stripped."""
    assert row.startswith("|") and row.endswith("|"), row
    return [cell.strip() for cell in row.split("|")[1:-1]]


def check_targets(section: str, rates: dict[str, dict[str, float]], processes: bool = False) -> None:
    """The targets table lists every target whose rows were measured, each ratio being the rates
    divided (to the printed 2 places) and ``met`` saying whether it reaches the bound asked."""
    from cases import TARGETS  # type: ignore[import-not-found]

    title, columns, rule, *rows = section.splitlines()
    assert title.startswith("Issue 20 targets, ") and set(rule) == {"|", "-"}
    assert cells(columns) == ["case", "figure", "speed", "asked", "met"]
    expected = [
        target
        for target in TARGETS
        if target.ours in rates.get(target.case, {})
        and target.peer in rates.get(target.case, {})
        and (target.processes if processes else target.at_least) is not None
    ]
    assert [cells(row)[:2] for row in rows] == [[target.case, target.name] for target in expected]
    for row, target in zip(rows, expected, strict=True):
        _, _, speed, asked, met = cells(row)
        ours, peer = rates[target.case][target.ours], rates[target.case][target.peer]
        ratio = ours / peer
        # The script divides the unrounded rates; these are printed whole (to 0.5 each way).
        slack = 0.005 + ratio * (0.5 / ours + 0.5 / peer) + 1e-9
        assert speed.endswith("x") and abs(float(speed[:-1]) - ratio) <= slack, (row, ratio)
        assert asked == target.text
        bound = target.processes if processes else target.at_least
        if abs(ratio - bound) > slack:  # else the printed rates cannot tell which side it is
            assert met == ("yes" if ratio >= bound else "no"), (row, ratio, bound)


def test_the_benchmark_prints_every_implementation_with_a_rate_and_a_ratio() -> None:
    """A small run of benchmarks/run.py prints every case and implementation, with consistent numbers.

    The header names the customers and repeats asked for; in each table every ratio is the
    row's printed rate over the first row's, to the printed precision; the runs that draw
    the same numbers print the same mean wait; checkout-sim's wait is the one a run of
    the asked number of customers gives; case 6's two forms are said to be the same shop;
    each issue-20 target is its two rates divided; and with ``--memory`` every case has
    its peak memory at N and 10 N.
    """
    customers = 1500
    result = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / "run.py"),
            "--customers",
            str(customers),
            "--repeat",
            "1",
            "--memory",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    header, *sections = result.stdout.strip().split("\n\n")
    assert header.startswith(f"M/M/3, lambda 2.7/min, mu 1/min, {customers:,} customers, best of 1; ")
    *case_sections, same_shop, targets, memory = sections
    tables: dict[str, dict[str, tuple[float, float, float]]] = {}
    for section in case_sections:
        title, columns, rule, *rows = section.splitlines()
        assert cells(columns) == ["implementation", "customers/s", "vs checkout-sim", "mean wait (min)"]
        assert set(rule) == {"|", "-"}
        table: dict[str, tuple[float, float, float]] = {}
        for row in rows:
            name, rate_text, ratio_text, wait_text = cells(row)
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

    served, shared_wait = ours_shared(customers, 1)
    assert same_shop == (
        f"Case 6, one shop two ways (seed 1): served {served:,} and {served:,}, "
        f"mean wait {shared_wait!r} s and {shared_wait!r} s: the same"
    )
    case6 = tables["Case 6: six tills, one shared line (utilisation 0.9), as cashiers and as a lanes: group"]
    assert [wait for _, _, wait in case6.values()] == [round(shared_wait / 60, 3)] * 2

    # The targets are computed from the unrounded rates; the printed ones are whole numbers.
    rates = {
        CASE_KEYS[title]: {name: rate for name, (rate, _, _) in table.items()}
        for title, table in tables.items()
    }
    check_targets(targets, rates)

    title, columns, rule, *rows = memory.splitlines()
    assert title.endswith(f"at {customers:,} and {10 * customers:,}")
    assert cells(columns) == ["case", "N (MiB)", "10 N (MiB)", "ratio"]
    assert [cells(row)[0] for row in rows] == ["1", "2", "4", "5", "6 (cashiers)", "6 (lanes)"]
    for row in rows:
        small, large, ratio = (float(cell) for cell in cells(row)[1:])
        assert small > 10 and abs(ratio - large / small) <= 0.001 + 0.05 * (1 / small + large / small**2)


def test_the_benchmark_runs_only_the_cases_asked_for() -> None:
    """``--cases 6`` prints case 6's table, its same-shop line and its one target, nothing else."""
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run.py"), "--customers", "500", "--repeat", "1", "--cases", "6"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    _, table, same_shop, targets = result.stdout.strip().split("\n\n")
    assert table.splitlines()[0].startswith("Case 6: ")
    assert same_shop.startswith("Case 6, one shop two ways (seed 1): served 500 and 500,")
    assert same_shop.endswith(": the same")
    assert [cells(row)[0] for row in targets.splitlines()[3:]] == ["6"]


def test_the_two_forms_of_case_6_agree_and_the_check_can_tell_customers_apart() -> None:
    """``cashiers`` and a ``lanes:`` group of one shared line serve the same customers alike; another
    seed gives another mean wait, so the benchmark's equality check is not vacuous."""
    assert ours_cashiers(2000, 1) == ours_shared(2000, 1)
    assert ours_shared(2000, 2)[1] != ours_shared(2000, 1)[1]


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


def test_every_whole_process_command_does_its_case_s_work(tmp_path: Path) -> None:
    """Each command that processes.py times and instructions.py counts runs its case: checkout-sim's,
    with its log sent to a file instead, ends the log with the in-process run's count and mean wait,
    and each peer prints what its function returns in this process."""
    import ast

    import orjson
    import peers
    from cases import CASES
    from run import ours_lanes, ours_logged, ours_own_lines

    customers = 300
    in_process = {
        "1": ours(customers, 1),
        "2": ours_logged(customers, 1, "/dev/null"),
        "4": ours_lanes(customers, 1),  # every arrival: some run out of patience
        "5": ours_own_lines(customers, 1),
        "6": ours_shared(customers, 1),
    }
    checked = 0
    for case in CASES:
        for contender in case.contenders:
            command = contender.command(customers, tmp_path)
            if contender.program == "checkout-sim" and "--log" in command:
                log = tmp_path / "log.jsonl"
                command[command.index("--log") + 1] = str(log)
                subprocess.run(command, capture_output=True, check=True, timeout=120)
                finished = orjson.loads(log.read_bytes().splitlines()[-1])
                assert finished["event"] == "run_finished" and finished["arrived"] == customers
                count = finished["arrived"] if case.key == "4" else finished["served"]
                assert (count, finished["wait_mean"]) == in_process[case.key], contender.label
            else:
                done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)
                function = command[-1].rsplit("print(", 1)[1].split("(", 1)[0]
                assert ast.literal_eval(done.stdout.strip()) == getattr(peers, function)(customers, 1)
            checked += 1
    assert checked == sum(len(case.contenders) for case in CASES) >= 13


def test_whole_processes_are_timed_in_turn_with_consistent_figures() -> None:
    """A small run of benchmarks/processes.py: start-up rows, then each case asked for without the
    peers left out, every median between its min and max, each rate the customers over the
    median wall time and each ratio the rates divided, and the targets from those rates (and
    the same targets on CPU time)."""
    customers = 400
    result = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / "processes.py"),
            *("--customers", str(customers), "--rounds", "2", "--warmup", "0", "--cases", "1,6"),
            *("--without", "Ciw", "--without", "Resource"),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    header, startup, *case_sections, targets, cpu_targets = result.stdout.strip().split("\n\n")
    assert header.startswith(
        f"Whole processes, {customers:,} customers, median of 2 after 0 warm-up, in turn; "
    )
    title, columns, _, *rows = startup.splitlines()
    assert cells(columns) == ["command", "wall s", "min", "max", "cpu s"]
    starts = {cells(row)[0]: [float(cell) for cell in cells(row)[1:]] for row in rows}
    assert list(starts) == [
        "python -c pass",
        "python -c 'import simpy'",
        "python -c 'import checkout_sim.cli' (the command's imports)",
        "checkout-sim: run-scenario, 1 customer",
        "SimPy: simpy_store, 1 customer",
    ]  # no Ciw row: Ciw was left out
    for median, low, high, cpu in starts.values():
        assert 0 < low <= median <= high and cpu > 0
    # The interpreter alone starts faster than it imports a package on top.
    assert starts["python -c pass"][0] < starts["python -c 'import simpy'"][0]
    rates: dict[str, dict[str, float]] = {}
    expected = {
        "1": ["checkout-sim (no event log)", "SimPy Store"],
        "6": [
            "checkout-sim: cashiers: {count: 6} + queue",
            "checkout-sim: lanes: [{name: tills, count: 6, line: shared}]",
        ],
    }
    for key, section in zip(expected, case_sections, strict=True):
        title, columns, rule, *rows = section.splitlines()
        assert title.startswith(f"Case {key}: ") and set(rule) == {"|", "-"}
        assert cells(columns) == [
            "implementation",
            *("wall s", "min", "max", "cpu s"),
            *("customers/s", "less start-up", "vs checkout-sim"),
        ]
        table = {cells(row)[0]: cells(row)[1:] for row in rows}
        assert list(table) == expected[key]
        rates[key] = {}
        for name, row in table.items():
            wall, fastest, slowest, own_cpu = (float(cell) for cell in row[:4])
            assert 0 < fastest <= wall <= slowest and own_cpu > 0
            rates[key][name] = float(row[4].replace(",", ""))
            # the wall time is printed to the millisecond, the rate whole
            assert abs(rates[key][name] - customers / wall) <= 0.5 + customers * 0.0005 / wall**2
        base = rates[key][expected[key][0]]
        for name, (*_, ratio) in table.items():
            slack = 0.005 + (rates[key][name] / base) * (0.5 / rates[key][name] + 0.5 / base) + 1e-9
            assert abs(float(ratio[:-1]) - rates[key][name] / base) <= slack
    check_targets(targets, rates, processes=True)
    assert targets.startswith("Issue 20 targets, whole processes, median wall time of 2: ")
    # The CPU times' targets: printed to the millisecond, so checked only for the rows and the bounds.
    assert cpu_targets.startswith("Issue 20 targets, whole processes, median CPU time of 2: ")
    assert [cells(row)[:2] + cells(row)[3:4] for row in cpu_targets.splitlines()[3:]] == [
        cells(row)[:2] + cells(row)[3:4] for row in targets.splitlines()[3:]
    ]


def test_a_process_is_timed_by_its_own_cpu_and_a_failure_is_said() -> None:
    """``timed`` gives a child's own CPU time (a sleeping child uses almost none, a busy one
    nearly its wall time) and raises with the child's error when it fails."""
    from processes import timed  # type: ignore[import-not-found]

    wall, cpu = timed([sys.executable, "-c", "import time; time.sleep(0.3)"])
    assert wall >= 0.3 and cpu < 0.2
    wall, cpu = timed(
        [
            sys.executable,
            "-c",
            "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass",
        ]
    )
    assert cpu >= 0.3 and wall >= 0.3
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        timed([sys.executable, "-c", "1 / 0"])


needs_valgrind = pytest.mark.skipif(shutil.which("valgrind") is None, reason="needs valgrind")


def test_instructions_per_customer_is_the_slope_and_the_rest_is_fixed() -> None:
    """Two runs' counts give the cost per customer and the fixed cost, exactly."""
    from instructions import per_customer  # type: ignore[import-not-found]

    assert per_customer(100, 300, (1_000_000 + 100 * 50, 1_000_000 + 300 * 50)) == (50.0, 1_000_000.0)


@needs_valgrind
def test_callgrind_counts_two_peers_and_tells_the_lean_one(capsys: pytest.CaptureFixture[str]) -> None:
    """benchmarks/instructions.py's counting on two quick SimPy peers of case 1: one table, each
    ratio the first's cost over the row's, and SimPy's Store needing fewer instructions per
    customer than its Resource idiom, a process per customer (the README's finding)."""
    from cases import Case, Contender, peer
    from instructions import measure

    case = Case(
        "1",
        "Case 1: two peers",
        (
            Contender("SimPy Resource", "SimPy", peer("simpy_resource")),
            Contender("SimPy Store", "SimPy", peer("simpy_store")),
        ),
    )
    speeds = measure([(case, list(case.contenders))], 200, 600, 2)
    title, columns, rule, *rows = capsys.readouterr().out.strip().splitlines()
    assert title == "Case 1: two peers" and set(rule) == {"|", "-"}
    assert cells(columns) == ["implementation", "per customer", "vs checkout-sim", "fixed (M)"]
    table = {cells(row)[0]: cells(row)[1:] for row in rows}
    assert list(table) == ["SimPy Resource", "SimPy Store"] == list(speeds["1"])
    for name, (cost, ratio, fixed) in table.items():
        assert float(cost.replace(",", "")) == pytest.approx(1 / speeds["1"][name], abs=0.5)
        assert float(ratio[:-1]) == pytest.approx(
            speeds["1"][name] / speeds["1"]["SimPy Resource"], abs=0.005
        )
        assert float(fixed.replace(",", "")) > 50  # millions: the interpreter and SimPy's import at least
    assert speeds["1"]["SimPy Store"] > speeds["1"]["SimPy Resource"]
