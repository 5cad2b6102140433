"""The `run-scenario` command: stdout is the log, stderr is for people, exit codes say what happened."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from checkout_sim.cli import main
from conftest import SCENARIOS

CORNER = str(SCENARIOS / "corner_shop.yaml")


def cli(capfd: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run main() in-process; return (exit code, stdout, stderr)."""
    code = main(list(args))
    out, err = capfd.readouterr()
    return code, out, err


def test_stdout_is_only_the_event_log(capfd: pytest.CaptureFixture[str]) -> None:
    """Every stdout line is a JSON event; the summary goes to stderr."""
    code, out, err = cli(capfd, CORNER)
    assert code == 0
    events = [orjson.loads(line) for line in out.splitlines()]
    assert events[0]["event"] == "run_started" and events[-1]["event"] == "run_finished"
    assert err.startswith("corner-shop: 1h00m simulated (virtual clock, seed 1)\n")
    assert "customers  arrived " in err


def test_quiet_prints_no_summary(capfd: pytest.CaptureFixture[str]) -> None:
    """--quiet leaves stderr empty on success."""
    code, out, err = cli(capfd, CORNER, "--quiet")
    assert code == 0 and out and err == ""


def test_log_none_writes_nothing_to_stdout(capfd: pytest.CaptureFixture[str]) -> None:
    """--log none runs for the summary only."""
    code, out, err = cli(capfd, CORNER, "--log", "none")
    assert code == 0 and out == "" and "served" in err


def test_log_to_a_file(capfd: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """--log PATH writes the same log to a file and nothing to stdout."""
    target = tmp_path / "run.jsonl"
    code, out, _ = cli(capfd, CORNER, "--log", str(target))
    assert code == 0 and out == ""
    code, out, _ = cli(capfd, CORNER)
    assert target.read_text() == out


def test_unwritable_log_is_one_clear_line(capfd: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A log path that cannot be opened: one message, exit 1."""
    code, out, err = cli(capfd, CORNER, "--log", str(tmp_path))
    assert code == 1 and out == ""
    assert err == f"run-scenario: cannot write the log to {tmp_path}: Is a directory\n"


def test_check_validates_and_exits(capfd: pytest.CaptureFixture[str]) -> None:
    """--check runs nothing and says ok."""
    code, out, err = cli(capfd, CORNER, "--check")
    assert (code, out, err) == (0, "", f"{CORNER}: ok\n")


def test_invalid_scenario_exits_2_with_positioned_lines(
    capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Bad scenarios print PATH:LINE:COL lines and exit 2, with no traceback."""
    path = tmp_path / "bad.yaml"
    path.write_text(
        "name: x\nduration: -5\nproducts: []\narrivals: {pattern: poisson, rate: 1}\ncashiers: {count: 0}\n"
    )
    code, out, err = cli(capfd, str(path))
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"{path}:2:11: duration: must not be negative",
        f"{path}:3:11: products: must not be empty",
        f"{path}:5:19: cashiers.count: must be at least 1",
    ]


class FakeWallClock:
    """Stands in for the `time` module of the realtime loop: sleeping moves the clock on, exactly.

    The loop's pacing then costs no wall time and has no race, and the wall seconds it
    waited can be read off exactly.
    """

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.now += seconds


def test_set_seed_and_clock_options(
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--set, --seed and --clock/--speed change the run as asked.

    A realtime run of 10 simulated minutes at --speed 240 is paced by the wall clock for
    exactly 600 / 240 = 2.5 wall seconds; a fake wall clock makes that exact and instant.
    """
    from checkout_sim.engine import clock

    code, out, _ = cli(capfd, CORNER, "--set", "cashiers.count=3", "--seed", "99", "--quiet")
    first = orjson.loads(out.splitlines()[0])
    assert code == 0 and first["seed"] == 99 and first["config"]["cashiers"]["count"] == 3
    assert first["clock"] == first["config"]["clock"] == "virtual"
    assert "realtime_lag_max" not in orjson.loads(out.splitlines()[-1])

    wall = FakeWallClock()
    monkeypatch.setattr(clock, "time", wall)
    code, out, _ = cli(
        capfd, CORNER, "--clock", "realtime", "--speed", "240", "--set", "duration=10min", "--quiet"
    )
    started, *_, finished = (orjson.loads(line) for line in out.splitlines())
    assert code == 0 and started["clock"] == started["config"]["clock"] == "realtime"
    assert started["config"]["speed"] == 240.0 and started["config"]["duration"] == 600.0
    assert finished["event"] == "run_finished" and finished["elapsed"] == 600.0
    assert wall.now == pytest.approx(600 / 240, rel=1e-9)
    assert 0.0 <= finished["realtime_lag_max"] <= 1e-6  # never behind: the fake wall clock waits


def test_item_flag_adds_item_events(capfd: pytest.CaptureFixture[str]) -> None:
    """--items logs one item_scanned per item."""
    _, out, _ = cli(capfd, CORNER, "--items", "--quiet")
    events = [orjson.loads(line) for line in out.splitlines()]
    scanned = [e for e in events if e["event"] == "item_scanned"]
    assert len(scanned) == sum(e["items"] for e in events if e["event"] == "checkout_finished") > 0
    assert {e["product"] for e in scanned} == {"bread"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--seed", "-1"], "argument --seed: must be from 0 to 2**63-1, got '-1'"),
        (["--speed", "0"], "argument --speed: must be a finite number above 0, got '0'"),
        (["--clock", "sundial"], "argument --clock: invalid choice: 'sundial'"),
    ],
)
def test_usage_errors_exit_2(capfd: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    """Bad options are usage errors: exit 2 and a one-line reason."""
    with pytest.raises(SystemExit) as caught:
        main([CORNER, *args])
    assert caught.value.code == 2
    assert message in capfd.readouterr().err


def test_the_installed_command_runs_in_a_subprocess(tmp_path: Path) -> None:
    """`python -m checkout_sim` behaves as run-scenario: log on stdout, summary on stderr."""
    result = subprocess.run(
        [sys.executable, "-m", "checkout_sim", str(SCENARIOS / "classic_supermarket.yaml")],
        capture_output=True,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert orjson.loads(lines[-1])["event"] == "run_finished"
    assert b"classic-supermarket" in result.stderr and b"Traceback" not in result.stderr


def test_same_seed_same_stdout_bytes_in_subprocesses(tmp_path: Path) -> None:
    """Two separate processes (different hash seeds) print byte-identical logs."""
    outputs = []
    for hash_seed in ("1", "2"):
        result = subprocess.run(
            [sys.executable, "-m", "checkout_sim", str(SCENARIOS / "black_friday.yaml"), "--quiet"],
            capture_output=True,
            check=True,
            cwd=tmp_path,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
        )
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1] and outputs[0]


def test_broken_pipe_exits_quietly(tmp_path: Path) -> None:
    """`run-scenario x.yaml | head -1`: no traceback when the reader goes away."""
    result = subprocess.run(
        f'"{sys.executable}" -m checkout_sim "{SCENARIOS / "black_friday.yaml"}" --items | head -1',
        shell=True,
        capture_output=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.stdout.count(b"\n") == 1
    assert b"Traceback" not in result.stderr and b"Error" not in result.stderr
