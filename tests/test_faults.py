"""Faults while running: signals, closed pipes, unwritable logs, failures inside the run.

Each test runs the real command in a subprocess and checks the exit code, stderr and
that the log is whole: every line a JSON object, nothing cut in half.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from conftest import SCENARIOS

SLOW_SHOP = """
name: slow-shop
clock: realtime
speed: 100
duration: 2h
products: [{name: big-order, checkout_time: 40s}]
arrivals: {pattern: constant, rate: 2/min}
queue: {capacity: 3, when_full: wait}
cashiers: {count: 2}
"""


def command(*args: str) -> list[str]:
    """The run-scenario command, as `python -m checkout_sim` in this environment."""
    return [sys.executable, "-m", "checkout_sim", *args]


def whole_lines(raw: bytes) -> list[dict[str, object]]:
    """Every line of the log parsed; the log must end with a newline."""
    assert raw.endswith(b"\n")
    return [orjson.loads(line) for line in raw.splitlines()]


@pytest.mark.slow
@pytest.mark.parametrize(("signal_number", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_ends_realtime_run_with_partial_summary(tmp_path: Path, signal_number: int, code: int) -> None:
    """Ctrl-C or SIGTERM: whole lines, a run_finished with interrupted: true, exit 130/143."""
    path = tmp_path / "slow.yaml"
    path.write_text(SLOW_SHOP)
    process = subprocess.Popen(command(str(path)), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    first = process.stdout.readline()  # the run has started and its handlers are in place
    time.sleep(1.0)  # 100 simulated seconds: customers in line, at the door and at the tills
    process.send_signal(signal_number)
    rest, err = process.communicate(timeout=30)
    assert process.returncode == code, err
    events = whole_lines(first + rest)
    finished = events[-1]
    assert finished["event"] == "run_finished" and finished["interrupted"] is True
    assert finished["arrived"] == sum(finished[key] for key in ("served", "balked", "reneged", "unserved"))  # type: ignore[misc]
    assert finished["unserved"] > 0  # type: ignore[operator]
    name = signal.Signals(signal_number).name
    assert err.decode().endswith(
        f"run-scenario: interrupted by {name}; the log ends with the partial summary\n"
    )
    assert b"Traceback" not in err


def test_log_to_a_full_disk_is_one_clear_line(tmp_path: Path) -> None:
    """--log /dev/full: one message naming the log, exit 1, no traceback."""
    result = subprocess.run(
        command(str(SCENARIOS / "bank.yaml"), "--log", "/dev/full"), capture_output=True, check=False
    )
    assert result.returncode == 1
    assert result.stderr == b"run-scenario: cannot write the log to /dev/full: No space left on device\n"


def test_stdout_on_a_full_disk_is_one_clear_line() -> None:
    """run-scenario x.yaml > /dev/full: same, naming stdout."""
    with open("/dev/full", "wb") as full:
        result = subprocess.run(
            command(str(SCENARIOS / "bank.yaml")), stdout=full, stderr=subprocess.PIPE, check=False
        )
    assert result.returncode == 1
    assert result.stderr == b"run-scenario: cannot write the log to stdout: No space left on device\n"


def test_log_path_that_is_a_directory(tmp_path: Path) -> None:
    """--log DIR: one message, exit 1."""
    result = subprocess.run(
        command(str(SCENARIOS / "bank.yaml"), "--log", str(tmp_path)), capture_output=True, check=False
    )
    assert result.returncode == 1
    assert result.stderr.decode() == f"run-scenario: cannot write the log to {tmp_path}: Is a directory\n"


def unwritable_path(tmp_path: Path) -> Path:
    """A path this process may not open for writing (root ignores modes, but not sysfs)."""
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir(mode=0o500)
        return folder / "run.jsonl"
    candidate = Path("/sys/kernel/notes")
    try:
        candidate.open("wb").close()
    except PermissionError:
        return candidate
    except OSError:
        pass
    pytest.skip("no path refuses writes to root here")


def test_log_without_permission(tmp_path: Path) -> None:
    """--log where writing is not permitted: one message, exit 1."""
    target = unwritable_path(tmp_path)
    result = subprocess.run(
        command(str(SCENARIOS / "bank.yaml"), "--log", str(target)), capture_output=True, check=False
    )
    assert result.returncode == 1
    assert result.stderr.decode() == f"run-scenario: cannot write the log to {target}: Permission denied\n"


FAULT = """
import sys
from checkout_sim import _customers
from checkout_sim.cli import main
made = _customers.CustomerFactory.make
def make(self, customer_id, now):
    if customer_id == 40:
        raise ZeroDivisionError("customer 40 divided by zero")
    return made(self, customer_id, now)
_customers.CustomerFactory.make = make
raise SystemExit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("debug", [False, True])
def test_failure_inside_the_run_is_one_line_and_the_log_is_intact(tmp_path: Path, debug: bool) -> None:
    """An exception inside the simulation: one clear line (--debug adds the traceback), exit 1, whole log."""
    log = tmp_path / "run.jsonl"
    args = [str(SCENARIOS / "bank.yaml"), "--log", str(log), *(["--debug"] if debug else [])]
    result = subprocess.run([sys.executable, "-c", FAULT, *args], capture_output=True, check=False)
    assert result.returncode == 1
    err = result.stderr.decode()
    assert err.endswith("run-scenario: error: ZeroDivisionError: customer 40 divided by zero\n")
    assert ("Traceback" in err) is debug
    events = whole_lines(log.read_bytes())
    arrived = [e["customer"] for e in events if e["event"] == "customer_arrived"]
    assert arrived == list(range(1, 40))


def test_an_overloaded_unbounded_line_stops_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Memory stays bounded: a line past MAX_WAITING ends the run with a clear error, exit 1."""
    from checkout_sim import _engine
    from checkout_sim.cli import main

    monkeypatch.setattr(_engine, "MAX_WAITING", 50)
    path = tmp_path / "overload.yaml"
    path.write_text(
        "name: overload\nduration: 1h\nproducts: [{name: x, checkout_time: 10s}]\n"
        "arrivals: {pattern: constant, rate: 1/s}\ncashiers: {count: 1}\n"
    )
    assert main([str(path), "--log", "none"]) == 1
    warning, err = capfd.readouterr().err.splitlines()
    assert "arrivals.rate: warning: arrivals 1/s need 10 tills" in warning  # said before the run
    assert err.startswith("run-scenario: error: Overloaded: the line grew past 50 waiting customers at t=")
    assert err.endswith("the tills cannot keep up; set queue.capacity or add cashiers")
