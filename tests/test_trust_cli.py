"""Issue 19, the command line and sweeps: an interrupted sweep shows what finished, messages name only
the flags given, hints for common slips, --check says every warning a run would say and counts them,
and a sweep warns about each overloaded variant by name."""

from __future__ import annotations

import contextlib
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest

from checkout_sim import cli, parse_scenario
from checkout_sim.analysis import GoalError, parse_goal
from checkout_sim.cli import main
from conftest import SCENARIOS

#: One till's worth of work every 30 s: 1 till is overloaded (2 needed), so are 2 (exactly 2), 3 are not.
SHOP = """name: tiny
seed: 11
duration: 30min
products: [{name: x, checkout_time: {dist: exponential, mean: 1min}}]
basket: {items: 1}
arrivals: {pattern: poisson, rate: 2/min}
cashiers: {count: 3}
"""


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    path = tmp_path / "shop.yaml"
    path.write_text(SHOP)
    return path


def cli_run(capfd: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """main() in-process: (exit code, stdout, stderr)."""
    code = main([str(arg) for arg in args])
    out, err = capfd.readouterr()
    return code, out, err


def overload_message(count: int) -> str:
    """The library's own overload warning for SHOP with ``count`` tills (None when there is none)."""
    found = parse_scenario(SHOP, overrides=[f"cashiers.count={count}"]).overload()
    assert [key for key, _ in found] == ["arrivals.rate"]
    return found[0][1]


def warnings_of(err: str) -> list[str]:
    return [line for line in err.splitlines() if ": warning: " in line]


# --- item 5: an interrupted sweep shows the table of what finished ------------------------------


def signal_after(
    runs: int, number: int = signal.SIGINT
) -> Callable[[str], contextlib.AbstractContextManager[object]]:
    """A stand-in for the progress bar: sends ``number`` to this process as run ``runs`` is told finished."""

    @contextlib.contextmanager
    def progress_bar(unit: str) -> Iterator[Callable[[int, int], None]]:
        def tick(done: int, total: int) -> None:
            if done == runs:
                signal.raise_signal(number)

        yield tick

    return progress_bar


def served_cell(err: str, variant: int) -> float:
    """The mean of ``served`` in the table row of a variant (the number before any ±)."""
    row = next(line for line in err.splitlines() if re.match(rf"^  {variant}  ", line))
    return float(row.split()[2])


def test_an_interrupted_sweep_shows_the_finished_runs_and_names_the_partial_variants(
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, shop: Path, tmp_path: Path
) -> None:
    """3 variants x 3 replications, SIGINT as run 5 ends: #1 whole, #2 with 2 runs, #3 none; then the line."""
    monkeypatch.setattr(cli, "_progress_bar", signal_after(5))
    log = tmp_path / "log.jsonl"
    code, out, err = cli_run(
        capfd, shop, "--sweep", "cashiers.count=3..5", "--replications", "3", "--jobs", "1", "--log", log
    )
    assert code == 130 and out == ""
    records = [orjson.loads(line) for line in log.read_bytes().splitlines()]
    assert [(r["variant"], r["run"]) for r in records] == [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2)]
    lines = err.splitlines()
    assert lines[0].startswith("tiny: 2 variants x 3 replications")
    rows = [line for line in lines if re.match(r"^  \d+  ", line)]
    assert [row.split()[:2] for row in rows] == [["1", "3"], ["2", "4"]]
    for variant in (1, 2):  # each row is the mean of exactly the runs that finished
        served = [r["served"] for r in records if r["variant"] == variant]
        assert served_cell(err, variant) == pytest.approx(sum(served) / len(served), abs=0.05)
    assert lines[-3:] == [
        "  partial (fewer runs than asked for): #2 2 of 3 runs",
        "  not shown (no run finished): #3",
        "run-scenario: interrupted by SIGINT; 5 of 9 runs finished, the log holds their summaries",
    ]


def test_an_interrupted_sweep_with_goals_does_not_judge_them(
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, shop: Path
) -> None:
    """Judged on fewer runs than asked for, with variants missing, an answer would look surer than it is."""
    monkeypatch.setattr(cli, "_progress_bar", signal_after(2, signal.SIGTERM))
    code, _, err = cli_run(
        capfd, shop, "--sweep", "cashiers.count=3,4", "--replications", "2", "--jobs", "1", "--log", "none",
        "--goal", "wait_p90 <= 5min",
    )  # fmt: skip
    assert code == 143
    assert "wait_p90 <= 5min" not in err.splitlines()[1]  # no goal column
    assert "cheapest" not in err and "no variant meets" not in err
    assert err.splitlines()[-3:] == [
        "  not shown (no run finished): #2",
        "  goals are not judged: the sweep did not finish",
        "run-scenario: interrupted by SIGTERM; 2 of 4 runs finished",
    ]


def test_a_signal_after_the_last_run_of_a_sweep_shows_the_whole_answer(
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, shop: Path
) -> None:
    """Every run finished before the signal: the table is the whole sweep's, goals and answer included."""
    monkeypatch.setattr(cli, "_progress_bar", signal_after(2))
    args: list[str | Path] = [shop, "--sweep", "cashiers.count=3,4", "--jobs", "1", "--log", "none"]
    args += ["--goal", "wait_mean <= 1h"]
    code, _, err = cli_run(capfd, *args)
    assert code == 130
    monkeypatch.undo()
    code, _, whole = cli_run(capfd, *args)
    assert code == 0 and "cheapest variant meeting every goal" in whole
    assert err == whole + "run-scenario: interrupted by SIGINT; 2 of 2 runs finished\n"


def test_an_interrupted_sweep_with_quiet_says_one_line(
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, shop: Path
) -> None:
    monkeypatch.setattr(cli, "_progress_bar", signal_after(1))
    code, _, err = cli_run(
        capfd, shop, "--sweep", "cashiers.count=3,4", "--jobs", "1", "--log", "none", "--quiet"
    )
    assert (code, err) == (130, "run-scenario: interrupted by SIGINT; 1 of 2 runs finished\n")


HOOK = """
import contextlib, os, signal, sys
from checkout_sim import cli

@contextlib.contextmanager
def progress_bar(unit):
    def tick(done, total):
        if done == 3:
            os.kill(os.getpid(), signal.SIGINT)
    yield tick

cli._progress_bar = progress_bar
raise SystemExit(cli.main(sys.argv[1:]))
"""


def test_an_interrupted_sweep_on_worker_processes_shows_what_its_log_holds(
    shop: Path, tmp_path: Path
) -> None:
    """--jobs 2, SIGINT as the third run is heard of: whichever runs finished, the table shows those."""
    log = tmp_path / "log.jsonl"
    args = ["--sweep", "cashiers.count=3..6", "--replications", "2", "--jobs", "2", "--log", str(log)]
    result = subprocess.run(
        [sys.executable, "-c", HOOK, str(shop), *args], capture_output=True, check=False, timeout=60
    )
    assert result.returncode == 130, result.stderr
    err = result.stderr.decode()
    records = [orjson.loads(line) for line in log.read_bytes().splitlines()]
    assert len(records) == 3  # the signal is looked for before the next result is taken
    runs: dict[int, int] = {}
    for record in records:
        runs[record["variant"]] = runs.get(record["variant"], 0) + 1
    shown = [int(line.split()[0]) for line in err.splitlines() if re.match(r"^  \d+  ", line)]
    assert shown == sorted(runs)
    partial = [f"#{v} 1 of 2 runs" for v in sorted(runs) if runs[v] == 1]
    missing = [f"#{v}" for v in range(1, 5) if v not in runs]
    notes = [line for line in err.splitlines() if line.startswith(("  partial", "  not shown"))]
    assert notes == (
        ([f"  partial (fewer runs than asked for): {', '.join(partial)}"] if partial else [])
        + ([f"  not shown (no run finished): {', '.join(missing)}"] if missing else [])
    )
    assert err.endswith(
        f"interrupted by SIGINT; {len(records)} of 8 runs finished, the log holds their summaries\n"
    )


# --- item 10: messages name only the flags given -------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--sweep", "cashiers.count=3,4", "--compare-theory"], "--compare-theory does not go with --sweep"),
        (["--sweep", "cashiers.count=3,4", "--items"], "--items does not go with --sweep"),
        (
            ["--sweep", "cashiers.count=3,4", "--items", "--compare-theory"],
            "--items and --compare-theory do not go with --sweep",
        ),
        (["--goal", "wait_p90 <= 5min"], "--goal goes only with --sweep or --plan"),
        (["--minimize", "lane_hours"], "--minimize goes only with --sweep"),
        (["--jobs", "2", "--dask", "localhost:8786"], "--jobs and --dask go only with --sweep or --plan"),
        (
            ["--goal", "served > 1", "--minimize", "served", "--jobs", "1", "--dask", "h:1"],
            "--goal, --minimize, --jobs and --dask go only with --sweep",
        ),
    ],
)
def test_a_flag_that_does_not_fit_is_named_alone(
    capfd: pytest.CaptureFixture[str], shop: Path, flags: list[str], message: str
) -> None:
    """Only the flags the user gave are named, in a one-line usage error (exit 2), also under --check."""
    assert cli_run(capfd, shop, *flags, "--log", "none") == (2, "", f"run-scenario: {message}\n")
    assert cli_run(capfd, shop, *flags, "--check") == (2, "", f"run-scenario: {message}\n")


# --- item 11: hints for common slips -------------------------------------------------------------


def test_a_range_written_with_a_dash_says_how_ranges_are_written(
    capfd: pytest.CaptureFixture[str], shop: Path
) -> None:
    code, out, err = cli_run(capfd, shop, "--sweep", "cashiers.count=3-6", "--log", "none")
    assert (code, out) == (2, "")
    assert err == (
        "--sweep cashiers.count=3-6: cashiers.count: expected a whole number "
        "(value 3-6; ranges are written 3..6)\n"
    )


def test_a_value_with_a_dash_that_is_valid_is_swept_as_it_is(
    capfd: pytest.CaptureFixture[str], shop: Path
) -> None:
    """The hint is only part of an error: ``name=3-6`` is a name like any other."""
    code, _, err = cli_run(
        capfd, shop, "--sweep", "name=3-6,x", "--jobs", "1", "--log", "none", "--set", "duration=5min"
    )
    assert code == 0 and "ranges" not in err


@pytest.mark.parametrize(
    ("goal", "message"),
    [
        ("wait_p90 <= 2 min", "cannot read '2 min' (write 2min, without a space)"),
        ("wait_p90 <= 1.5 h", "cannot read '1.5 h' (write 1.5h, without a space)"),
        ("wait_p90 <= 2 minutes", "cannot read '2 minutes' (write 2min)"),
        ("wait_p90 <= 2minutes", "cannot read '2minutes' (write 2min)"),
        ("wait_p90 <= 30 seconds + 1", "cannot read '30 seconds' (write 30s)"),
        ("wait_p90 <= 2fortnights", "cannot read '2fortnights' (units: ms, s, sec, m, min, h, hr, d)"),
    ],
)
def test_a_goal_with_a_loose_or_long_unit_says_how_to_write_it(goal: str, message: str) -> None:
    with pytest.raises(GoalError) as caught:
        parse_goal(goal, ["wait_p90"])
    assert str(caught.value) == f"goal {goal!r}: {message}"


def test_a_goal_with_units_written_together_is_read_as_before() -> None:
    """2min is 120 s: met by a p90 of 119 s, not by 121 s."""
    goal = parse_goal("wait_p90 <= 2min", ["wait_p90"])
    assert goal.judge([{"wait_p90": 119.0}]).meets and not goal.judge([{"wait_p90": 121.0}]).meets


# --- item 12: --check says every warning a run would say, and counts them ------------------------


def test_check_counts_its_warnings(capfd: pytest.CaptureFixture[str], shop: Path) -> None:
    """An M/M/1 at 2/min with 1-minute service is overloaded: the warning, then 'ok (1 warning)'."""
    code, _, err = cli_run(capfd, shop, "--set", "cashiers.count=1", "--check")
    assert code == 0
    assert err.splitlines() == [
        f"{shop}:6:36: arrivals.rate: warning: {overload_message(1)}",
        f"{shop}: ok (1 warning)",
    ]
    code, _, err = cli_run(capfd, shop, "--set", "cashiers.count=1", "--set", "speed=10", "--check")
    assert code == 0 and err.splitlines()[-1] == f"{shop}: ok (2 warnings)"
    assert cli_run(capfd, shop, "--check") == (0, "", f"{shop}: ok\n")


LANES = """name: lanes
seed: 3
duration: 20min
products: [{name: x, checkout_time: {dist: exponential, mean: 1min}}]
segments: [{name: s, choice: shortest}]
arrivals: {pattern: poisson, rate: 3/min}
lanes:
  - {name: tills, count: 2, line: per_till}
"""


@pytest.mark.parametrize(
    "args",
    [
        ["SHOP", "--set", "cashiers.count=1"],
        ["SHOP", "--set", "cashiers.count=2", "--set", "speed=60"],
        ["LANES"],
        ["LANES", "--set", "lanes.0.count=4", "--set", "segments.0.priority=2"],
        ["SHOP", "--sweep", "cashiers.count=1..3"],
        ["LANES", "--sweep", "lanes.0.count=2..4", "--set", "speed=2"],
        *(
            ["SCENARIO", path.name]
            for path in sorted(SCENARIOS.glob("*.yaml"))
            if path.name != "black_friday.yaml"
        ),
    ],
    ids="-".join,
)
def test_check_says_the_warnings_a_run_says(
    capfd: pytest.CaptureFixture[str], tmp_path: Path, args: list[str]
) -> None:
    """The warning lines of --check are those of the run, word for word, and the count says how many."""
    if args[0] == "SCENARIO":
        path = SCENARIOS / args[1]
        rest = ["--set", "duration=10min", "--set", "warmup=0"] if "duration:" in path.read_text() else []
    else:
        path = tmp_path / "s.yaml"
        path.write_text(SHOP if args[0] == "SHOP" else LANES)
        rest = args[1:]
    checked = cli_run(capfd, path, *rest, "--check")
    ran = (
        cli_run(capfd, path, *rest, "--log", "none", "--quiet", "--jobs", "1") if "--sweep" in rest else None
    )
    ran = ran or cli_run(capfd, path, *rest, "--log", "none", "--quiet")
    assert checked[0] == 0 and ran[0] == 0, (checked, ran)
    said = warnings_of(checked[2])
    assert said == warnings_of(ran[2])
    assert checked[2].splitlines()[-1] == f"{path}: ok" + (
        f" ({len(said)} warning{'s' if len(said) > 1 else ''})" if said else ""
    )


def test_check_of_a_sweep_checks_every_variant_and_goal(
    capfd: pytest.CaptureFixture[str], shop: Path
) -> None:
    """A variant that cannot be, or a goal that cannot be read, fails --check as it fails the run."""
    assert cli_run(capfd, shop, "--sweep", "cashiers.count=0..2", "--check") == (
        2,
        "",
        "--sweep cashiers.count=0..2: cashiers.count: must be at least 1 (value 0)\n",
    )
    code, _, err = cli_run(capfd, shop, "--sweep", "cashiers.count=3,4", "--goal", "wait_p100 < 1", "--check")
    assert code == 2 and "unknown figure 'wait_p100'" in err


# --- item 15: a sweep warns about each overloaded variant ----------------------------------------


def test_each_overloaded_variant_is_warned_about_by_name(
    capfd: pytest.CaptureFixture[str], shop: Path
) -> None:
    """1 and 2 tills are overloaded, 3 are not: one warning each for #1 and #2, before the table."""
    code, _, err = cli_run(capfd, shop, "--sweep", "cashiers.count=1..3", "--log", "none", "--jobs", "1")
    assert code == 0
    assert warnings_of(err) == [
        f"--sweep cashiers.count={count}: arrivals.rate: warning: {overload_message(count)}"
        for count in (1, 2)
    ]
    assert err.index(": warning: ") < err.index("tiny: 3 variants")


def test_a_warning_every_variant_shares_is_said_once_as_a_run_says_it(
    capfd: pytest.CaptureFixture[str], shop: Path
) -> None:
    """speed does nothing on the virtual clock, in every variant: one line naming --set, not one each."""
    code, _, err = cli_run(
        capfd, shop, "--set", "speed=5", "--sweep", "cashiers.count=2,3", "--sweep", "queue.kind=fifo,lifo",
        "--check",
    )  # fmt: skip
    assert code == 0
    overload = overload_message(2)
    assert err.splitlines() == [
        "--set speed=5: speed: warning: has no effect in the virtual clock",
        f"--sweep cashiers.count=2, queue.kind=fifo: arrivals.rate: warning: {overload}",
        f"--sweep cashiers.count=2, queue.kind=lifo: arrivals.rate: warning: {overload}",
        f"{shop}: ok (3 warnings)",
    ]


def test_the_scenarios_own_overload_is_not_said_when_no_variant_has_it(
    capfd: pytest.CaptureFixture[str], shop: Path
) -> None:
    """The file's 1 till is overloaded, but the sweep runs 3 and 4: nothing to warn about."""
    code, _, err = cli_run(
        capfd, shop, "--set", "cashiers.count=1", "--sweep", "cashiers.count=3,4", "--check"
    )
    assert (code, err) == (0, f"{shop}: ok\n")


def test_a_library_sweep_hears_the_variants_warnings(shop: Path) -> None:
    from checkout_sim.analysis.sweep import run_sweep

    heard: list[str] = []
    run_sweep(
        SHOP,
        "shop.yaml",
        sweeps=["cashiers.count=2,3"],
        jobs=1,
        on_warning=lambda problem: heard.append(str(problem)),
    )
    assert heard == [f"--sweep cashiers.count=2: arrivals.rate: warning: {overload_message(2)}"]


def test_the_table_of_a_sweep_interrupted_out_of_order_names_the_seeds_asked_for() -> None:
    """Workers may finish run 2 of the first variant before its run 1: the header still says seeds 5..7."""
    from checkout_sim.analysis import SweepInterrupted, format_sweep, plan_sweep
    from checkout_sim.runner import run

    plan = plan_sweep(SHOP, "shop.yaml", sweeps=["cashiers.count=3,4"], replications=3, seed=5)
    first, second = plan.grid
    finished = [(first, 2, run(first.scenario, seed=6)), (second, 1, run(second.scenario, seed=5))]
    result = SweepInterrupted(signal.SIGINT, finished, plan.total, plan).result()
    assert result is not None
    table = format_sweep(first.scenario, result, plan.replications)
    assert "3 replications (seeds 5..7)" in table, table


def test_a_sweep_of_one_value_says_one_variant(capfd: pytest.CaptureFixture[str], shop: Path) -> None:
    """'1 variants' read like a slip."""
    code, _, err = cli_run(capfd, shop, "--sweep", "cashiers.count=3", "--log", "none", "--jobs", "1")
    assert code == 0
    assert "tiny: 1 variant x 1 replication (seed 11)" in err, err
