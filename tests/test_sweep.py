"""Sweeps, goals and parallel runs: the grid, the verdicts, and the same numbers however run."""

from __future__ import annotations

import errno
import math
import re
import socket
from pathlib import Path
from typing import Any

import orjson
import pytest

from checkout_sim.analysis.confidence import mean_interval
from checkout_sim.analysis.goals import GoalError, parse_goal
from checkout_sim.analysis.sweep import SweepError, goal_names, parse_sweep, run_sweep
from checkout_sim.cli import main
from conftest import DASK_ANY_PORT, DASK_DASHBOARD_PORT, SCENARIOS, make_scenario

SHOP = """
name: sweep-shop
seed: 11
duration: 2h
products: [{name: x, checkout_time: {dist: exponential, mean: 50s}}]
arrivals: {pattern: poisson, rate: 150/h}
queue: {capacity: 20, when_full: balk}
cashiers: {count: 1}
"""


def test_sweep_values_lists_and_ranges() -> None:
    """KEY=a,b,c lists; KEY=A..B and A..B:STEP are whole-number ranges, both ends included."""
    assert parse_sweep("queue.kind=fifo, lifo,priority") == ("queue.kind", ["fifo", "lifo", "priority"])
    assert parse_sweep("cashiers.count=2..5") == ("cashiers.count", ["2", "3", "4", "5"])
    assert parse_sweep("cashiers.count=2..8:3") == ("cashiers.count", ["2", "5", "8"])
    for bad in ("cashiers.count", "=1,2", "cashiers.count=5..2", "x=1,,2"):
        with pytest.raises(SweepError):
            parse_sweep(bad)


def test_grid_is_every_combination_in_order() -> None:
    """Two sweeps give the full grid, the first key varying slowest, each variant run N times."""
    result = run_sweep(
        SHOP, "shop.yaml", sweeps=["cashiers.count=1..3", "queue.capacity=5,20"], replications=2, jobs=1
    )
    settings = [r.variant.settings for r in result.results]
    assert settings == [{"cashiers.count": c, "queue.capacity": k} for c in (1, 2, 3) for k in (5, 20)]
    assert result.results[1].variant.written == {"cashiers.count": "1", "queue.capacity": "20"}
    assert all(len(r.summaries) == 2 for r in result.results)
    assert [s.seed for s in result.results[0].summaries] == [11, 12]
    assert [r.variant.scenario.tills()[0].count for r in result.results] == [1, 1, 2, 2, 3, 3]


def test_goals_parse_units_arithmetic_and_reject_nonsense() -> None:
    """Goals read durations with units and arithmetic over figures; bad goals say why."""
    goal = parse_goal("wait_p90 <= 5m", goal_names())
    assert goal.margins({"wait_p90": 240.0}) == (240.0, -60.0)
    ratio = parse_goal("(balked + reneged) / arrived < 0.05", goal_names())
    assert ratio.margins({"balked": 2.0, "reneged": 3.0, "arrived": 200.0}) == (0.025, 0.025 - 0.05)
    assert ratio.margins({"balked": 0.0, "reneged": 0.0, "arrived": 0.0}) == (None, None)
    with pytest.raises(GoalError, match="unknown figure 'wait_p100'"):
        parse_goal("wait_p100 <= 5m", goal_names())
    with pytest.raises(GoalError, match="exactly once"):
        parse_goal("wait_p90 5m", goal_names())
    with pytest.raises(GoalError, match="unexpected 'parsecs'"):
        parse_goal("wait_p90 <= 5 parsecs", goal_names())


def test_a_goal_with_an_unknown_comparison_lists_the_comparisons() -> None:
    """`wait_p90 = 5m` (or `==`, `!=`) says which comparisons a goal may use."""
    with pytest.raises(GoalError) as caught:
        parse_goal("wait_p90 = 5m", goal_names())
    assert (
        str(caught.value) == "goal 'wait_p90 = 5m': cannot read '= 5m' (the comparisons are <=, <, >= and >)"
    )
    with pytest.raises(GoalError) as caught:
        parse_goal("served != 0", goal_names())
    assert str(caught.value) == "goal 'served != 0': cannot read '!= 0' (the comparisons are <=, <, >= and >)"


def test_minimize_of_an_unknown_name_lists_the_swept_keys_and_figures() -> None:
    """`--minimize cost` names what it may be: the swept keys and the figures."""
    with pytest.raises(SweepError) as caught:
        run_sweep(SHOP, "shop.yaml", sweeps=["cashiers.count=1,2"], minimize="cost", jobs=1)
    assert str(caught.value) == (
        "--minimize 'cost': not a swept key, a figure or an expression over them "
        "(swept: cashiers.count; figures: " + ", ".join(goal_names(make_scenario())) + ")"
    )
    assert "wait_p90, " in str(caught.value)


def test_a_bad_swept_value_names_the_sweep_and_the_value(capfd: pytest.CaptureFixture[str]) -> None:
    """`--sweep cashier.count=2..4` names the --sweep option and the value, not a line of the file."""
    bank = str(SCENARIOS / "bank.yaml")
    assert main([bank, "--sweep", "cashier.count=2..4", "--jobs", "1"]) == 2
    assert capfd.readouterr().err == (
        "--sweep cashier.count=2..4: cashier: unknown key (did you mean 'cashiers'?) (value 2)\n"
    )
    assert (
        main([bank, "--sweep", "cashiers.count=1,2", "--sweep", "queue.kind=fifo,stack", "--jobs", "1"]) == 2
    )
    assert capfd.readouterr().err == (
        "--sweep queue.kind=fifo,stack: queue.kind: unknown value 'stack'; expected fifo, lifo or priority"
        " (value stack)\n"
    )


def test_a_goal_is_met_only_if_the_whole_interval_meets_it() -> None:
    """Mean below the bound is not enough: the upper end of the 95 % interval must be too."""
    goal = parse_goal("wait_mean <= 100", goal_names())
    tight = [{"wait_mean": v} for v in (90.0, 91.0, 89.0, 90.5, 89.5)]
    loose = [{"wait_mean": v} for v in (40.0, 160.0, 60.0, 140.0, 95.0)]  # mean 99, wide interval
    assert goal.judge(tight).meets is True
    verdict = goal.judge(loose)
    assert verdict.mean == pytest.approx(99.0) and verdict.meets is False
    assert parse_goal("utilisation >= 0.5", goal_names()).judge([{"utilisation": None}]).meets is False


def test_cheapest_is_fewest_lane_hours_or_minimized_and_none_when_impossible() -> None:
    """Of the variants meeting all goals: the fewest lane-hours, or the smallest --minimize; or none."""
    sweeps = ["cashiers.count=1..4"]
    result = run_sweep(SHOP, "s.yaml", sweeps=sweeps, replications=5, goals=["wait_mean <= 60"], jobs=1)
    verdicts = [r.verdicts[0].meets for r in result.results]
    assert verdicts[0] is False and verdicts[-1] is True
    assert result.cheapest is not None
    assert result.cheapest.variant.number == verdicts.index(True) + 1  # more tills, more lane-hours
    reverse = run_sweep(
        SHOP,
        "s.yaml",
        sweeps=["cashiers.count=4,3,2,1"],
        replications=5,
        goals=["wait_mean <= 60"],
        minimize="cashiers.count",
        jobs=1,
    )
    assert reverse.cheapest is not None
    assert reverse.cheapest.variant.settings == result.cheapest.variant.settings
    impossible = run_sweep(SHOP, "s.yaml", sweeps=sweeps, replications=3, goals=["served > 1000000"], jobs=1)
    assert impossible.cheapest is None


def test_cheapest_is_not_first_in_sweep_order_but_fewest_lane_hours() -> None:
    """Swept from most tills to fewest, every variant meets the goal: the answer is the fewest tills."""
    result = run_sweep(
        SHOP, "s.yaml", sweeps=["cashiers.count=3,2,1"], replications=3, goals=["served >= 0"], jobs=1
    )
    assert [r.meets_all for r in result.results] == [True, True, True]
    hours = [r.interval("lane_hours") for r in result.results]
    assert all(h is not None for h in hours)
    assert hours[0].mean > hours[1].mean > hours[2].mean  # type: ignore[union-attr]
    assert result.cheapest is not None and result.cheapest.variant.number == 3


def test_equal_lane_hours_go_to_the_first_variant() -> None:
    """A price changes nothing in the run: equal lane-hours, and the first in sweep order is the answer."""
    result = run_sweep(
        SHOP, "s.yaml", sweeps=["products.0.price=2,1"], replications=2, goals=["served >= 0"], jobs=1
    )
    first, second = (r.interval("lane_hours") for r in result.results)
    assert first is not None and second is not None and first.mean == second.mean
    assert result.cheapest is not None and result.cheapest.variant.settings == {"products.0.price": 2}


def test_goals_may_name_numeric_swept_keys() -> None:
    """A goal may use a swept number (cashiers.count) but not a swept word (queue.kind)."""
    result = run_sweep(
        SHOP, "s.yaml", sweeps=["cashiers.count=1,2"], replications=2, goals=["cashiers.count >= 2"], jobs=1
    )
    assert [r.meets_all for r in result.results] == [False, True]
    with pytest.raises(GoalError, match=r"unknown figure 'queue\.kind'"):
        run_sweep(SHOP, "s.yaml", sweeps=["queue.kind=fifo,lifo"], goals=["queue.kind >= 1"])


def test_parallel_processes_give_identical_results() -> None:
    """--jobs 2 (spawned processes) and --jobs 1 give the same summaries, seed for seed."""
    kwargs = {"sweeps": ["cashiers.count=1..3"], "replications": 3}
    serial = run_sweep(SHOP, "s.yaml", jobs=1, **kwargs)  # type: ignore[arg-type]
    parallel = run_sweep(SHOP, "s.yaml", jobs=2, **kwargs)  # type: ignore[arg-type]
    assert [r.summaries for r in serial.results] == [r.summaries for r in parallel.results]


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0"])
def test_the_dask_dashboard_port_is_taken_while_the_suite_runs(host: str) -> None:
    """Port 8787 is held (by conftest, or by someone else), so a Dask test on it would fail here."""
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe,
        pytest.raises(OSError, match="in use") as raised,
    ):
        probe.bind((host, DASK_DASHBOARD_PORT))
    assert raised.value.errno == errno.EADDRINUSE


def test_dask_cluster_gives_identical_results() -> None:
    """Runs sent to a Dask LocalCluster come back equal to local runs, sketches included."""
    distributed = pytest.importorskip("distributed")
    kwargs = {"sweeps": ["cashiers.count=1,2"], "replications": 2}
    local = run_sweep(SHOP, "s.yaml", jobs=1, **kwargs)  # type: ignore[arg-type]
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, **DASK_ANY_PORT
    ) as cluster:
        remote = run_sweep(SHOP, "s.yaml", dask=cluster.scheduler_address, **kwargs)  # type: ignore[arg-type]
    assert [r.summaries for r in local.results] == [r.summaries for r in remote.results]
    for mine, theirs in zip(local.results, remote.results, strict=True):
        for a, b in zip(mine.summaries, theirs.summaries, strict=True):
            assert a.sketch is not None and b.sketch is not None
            assert a.sketch.quantile(0.9) == b.sketch.quantile(0.9)


def test_command_prints_table_answer_and_one_json_line_per_run(
    capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The README's sweep: a table and the answer on stderr, one run summary per line on stdout."""
    path = tmp_path / "shop.yaml"
    path.write_text(SHOP)
    code = main(
        [
            str(path),
            "--sweep",
            "cashiers.count=1..3",
            "--replications",
            "4",
            "--goal",
            "wait_p90 <= 5m",
            "--jobs",
            "1",
        ]
    )
    out, err = capfd.readouterr()
    assert code == 0
    records = [orjson.loads(line) for line in out.splitlines()]
    assert len(records) == 12
    assert [(r["variant"], r["run"], r["seed"]) for r in records[:5]] == [
        (1, 1, 11),
        (1, 2, 12),
        (1, 3, 13),
        (1, 4, 14),
        (2, 1, 11),
    ]
    assert records[4]["settings"] == {"cashiers.count": 2}
    assert all(list(r)[:2] == ["t", "event"] for r in records)
    assert err.startswith(
        "sweep-shop: 3 variants x 4 replications (seeds 11..14); figures are means ±95% CI\n"
    )
    header, *rows = err.splitlines()[1:5]
    assert "wait_p90 <= 5m" in header
    columns = header.split()
    assert columns[:8] == [
        "#",
        "cashiers.count",
        "served",
        "wait_mean*",
        "wait_p90*",
        "lost",
        "utilisation",
        "lane_hours",
    ]
    for row in rows:  # shares are percentages, lane-hours hours: one unit per column
        cells = row.split()
        lost, utilisation = cells[8], cells[10]
        assert re.fullmatch(r"\d+\.\d%", lost) and re.fullmatch(r"\d+\.\d%", utilisation), row
        assert re.fullmatch(r"\d+\.\d\d", cells[12]), row
    assert (
        err.rstrip()
        .splitlines()[-1]
        .startswith(("cheapest variant meeting every goal (fewest lane_hours, ", "no variant meets"))
    )


def test_no_variant_meets_says_so(capfd: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A goal nobody meets is answered plainly."""
    path = tmp_path / "shop.yaml"
    path.write_text(SHOP)
    assert (
        main(
            [
                str(path),
                "--sweep",
                "cashiers.count=1,2",
                "--replications",
                "3",
                "--goal",
                "loss < 0",
                "--jobs",
                "1",
                "--log",
                "none",
            ]
        )
        == 0
    )
    assert (
        capfd.readouterr()
        .err.rstrip()
        .endswith("no variant meets every goal (met only if the whole 95% interval meets it)")
    )


def test_sweep_usage_errors_exit_2(capfd: pytest.CaptureFixture[str]) -> None:
    """A bad goal, a variant that is not a valid scenario, or --goal without --sweep: exit 2."""
    bank = str(SCENARIOS / "bank.yaml")
    assert main([bank, "--sweep", "cashiers.count=1,2", "--goal", "wait_p100 < 1"]) == 2
    assert "unknown figure 'wait_p100'" in capfd.readouterr().err
    assert main([bank, "--sweep", "cashiers.count=0,1"]) == 2
    assert (
        capfd.readouterr().err == "--sweep cashiers.count=0,1: cashiers.count: must be at least 1 (value 0)\n"
    )
    assert main([bank, "--goal", "wait_p90 < 1"]) == 2
    assert (
        capfd.readouterr().err == "run-scenario: --goal goes only with --sweep or --plan\n"
    )  # the flag given alone


@pytest.mark.slow
def test_the_readme_black_friday_sweep_answers_with_the_fewest_lane_hours(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """The README's sweep of the manager's lane limit: the answer meets both goals at fewest lane-hours."""
    goals = ["wait_p90 <= 5m", "lost_share <= 0.05"]
    code = main(
        [
            str(SCENARIOS / "black_friday.yaml"),
            *("--sweep", "cashiers.scaling.max=10..16", "--replications", "10"),
            *(option for goal in goals for option in ("--goal", goal)),
        ]
    )
    out, err = capfd.readouterr()
    assert code == 0
    assert err.startswith("black-friday: 7 variants x 10 replications")
    assert len(err.splitlines()) == 1 + 1 + 7 + 1 + 1
    runs: dict[int, list[dict[str, Any]]] = {}
    for line in out.splitlines():
        record = orjson.loads(line)
        runs.setdefault(record["variant"], []).append(record)
    meeting = {}
    for number, records in runs.items():
        p90_mean, p90_half = mean_interval([r["wait_p90"] for r in records])
        lost = [(r["balked"] + r["reneged"] + r["unserved"]) / r["arrived"] for r in records]
        lost_mean, lost_half = mean_interval(lost)
        if p90_mean + p90_half <= 300 and lost_mean + lost_half <= 0.05:
            meeting[number] = math.fsum(r["lane_hours"] for r in records) / len(records)
    assert meeting, err
    cheapest = min(meeting, key=meeting.__getitem__)
    limit = runs[cheapest][0]["settings"]["cashiers.scaling.max"]
    assert err.rstrip().splitlines()[-1] == (
        f"cheapest variant meeting every goal (fewest lane_hours, {meeting[cheapest]:.2f}): "
        f"#{cheapest} (cashiers.scaling.max={limit})"
    )


def test_progress_bar_only_on_a_terminal(
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without a terminal stderr has no progress bar; with one, the bar counts the runs."""
    import sys

    path = tmp_path / "shop.yaml"
    path.write_text(SHOP)
    args = [str(path), "--sweep", "cashiers.count=1,2", "--replications", "2", "--jobs", "1", "--log", "none"]
    assert main(args) == 0
    assert "[" not in capfd.readouterr().err.splitlines()[0]
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(args) == 0
    err = capfd.readouterr().err
    assert "] 1/4 runs" in err and "] 4/4 runs" in err


def test_long_single_runs_report_progress_without_reading_a_clock() -> None:
    """run(progress=…) hears the fraction of arrivals done every 1,000 arrivals, ending at 1."""
    from checkout_sim import parse_scenario, run

    heard: list[float] = []
    scenario = parse_scenario(SHOP.replace("duration: 2h", "duration: 40h"))
    run(scenario, progress=heard.append)
    assert len(heard) >= 5
    assert heard == sorted(heard) and heard[0] > 0 and heard[-1] <= 1.0


def test_goals_may_name_a_segments_wait() -> None:
    """`wait_mean[vip] <= 2m` works for a scenario with a vip segment, and only there."""
    vip = (SCENARIOS / "vip_priority.yaml").read_text()
    result = run_sweep(
        vip, "vip.yaml", sweeps=["cashiers.count=1,2"], replications=3, goals=["wait_mean[vip] <= 2m"], jobs=1
    )
    assert [r.variant.settings["cashiers.count"] for r in result.results] == [1, 2]
    assert result.results[1].verdicts[0].meets is True
    with pytest.raises(GoalError, match=r"unknown figure 'wait_mean\[vip\]'"):
        run_sweep(SHOP, "s.yaml", sweeps=["cashiers.count=1"], goals=["wait_mean[vip] <= 2m"], jobs=1)


def test_progress_is_heard_once_per_thousand_arrivals_even_with_empty_groups() -> None:
    """Groups of size 0 bring nobody, so they never repeat a progress report."""
    from checkout_sim import run

    scenario = make_scenario(
        duration=None,
        arrivals={
            "pattern": "batch",
            "every": "1s",
            "size": {"dist": "uniform_int", "low": 0, "high": 1},
            "limit": 3000,
        },
        products=[{"name": "x", "checkout_time": "0.1s"}],
        cashiers={"count": 2},
    )
    heard: list[float] = []
    run(scenario, progress=heard.append)
    assert heard == [1 / 3, 2 / 3, 1.0]


def test_a_dask_address_that_cannot_be_one_is_a_usage_error() -> None:
    """--dask 'not an address': one line and exit 2 at once (no wait for a connection, no Client noise)."""
    import subprocess
    import sys
    import time

    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "checkout_sim",
            str(SCENARIOS / "bank.yaml"),
            "--sweep",
            "cashiers.count=3,4",
            "--dask",
            "not an address",
        ],
        capture_output=True,
        check=False,
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr.decode() == (
        "run-scenario: --dask 'not an address': not a scheduler address (write HOST:PORT or tcp://HOST:PORT)\n"
    )
    assert result.stdout == b""
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    ("address", "valid"),
    [
        ("tcp://127.0.0.1:8786", True),
        ("scheduler.example.com:8786", True),
        ("tls://[::1]:8786", True),
        (":8786", True),
        ("inproc://10.0.0.1/4242/1", True),
        ("not an address", False),
        ("localhost", False),
        ("tcp://", False),
        ("ftp://host:21", False),
        ("localhost:0", False),
        ("localhost:65536", False),
    ],
)
def test_dask_addresses_are_checked_before_connecting(address: str, valid: bool) -> None:
    """Scheduler addresses are [tcp|tls|ws|wss://]HOST:PORT or inproc://…; anything else is refused."""
    from checkout_sim.analysis.sweep import check_dask_address

    if valid:
        check_dask_address(address)
    else:
        with pytest.raises(SweepError, match="not a scheduler address"):
            check_dask_address(address)
