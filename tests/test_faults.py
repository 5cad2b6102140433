"""Faults while running: signals, closed pipes, unwritable logs, failures inside the run.

Each test runs the real command in a subprocess and checks the exit code, stderr and
that the log is whole: every line a JSON object, nothing cut in half.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from conftest import DASK_ANY_PORT, SCENARIOS

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
from checkout_sim.engine import customers as _customers
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
    from checkout_sim.cli import main
    from checkout_sim.engine import lanes

    monkeypatch.setattr(lanes, "MAX_WAITING", 50)
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


# --- signals at chosen moments ---------------------------------------------------

HOOK = """
import os, signal, sys, time
from contextlib import contextmanager
from checkout_sim import cli
from checkout_sim.engine import clock as _clock, customers as _customers, shop as _engine

# At the AT-th pass through WHERE, send ACTION: SIGINT or SIGTERM to this process,
# group:SIGINT or group:SIGTERM to its process group, or kill:PID (SIGKILL to another);
# the moment goes to the file named by $HOOK_STAMP.
where, action, at = sys.argv[1], sys.argv[2], int(sys.argv[3])
passes = 0


def passing():
    global passes
    passes += 1
    if passes == at:
        with open(os.environ["HOOK_STAMP"], "w") as stamp:
            stamp.write(repr(time.monotonic()))
        if action.startswith("kill:"):
            os.kill(int(action[5:]), signal.SIGKILL)
        elif action.startswith("group:"):  # as a terminal's Ctrl-C or `timeout` does
            os.killpg(os.getpgid(0), getattr(signal, action[6:]))
        else:
            os.kill(os.getpid(), getattr(signal, action))


if where == "run-end":  # a run's last event is written, its summary not yet
    finish = _engine.Shop._finish
    def _finish(self, *, interrupted):
        passing()
        return finish(self, interrupted=interrupted)
    _engine.Shop._finish = _finish
elif where == "loop":  # a run's event loop is being made
    make = _clock.VirtualClockLoop.__init__
    def __init__(self):
        passing()
        make(self)
    _clock.VirtualClockLoop.__init__ = __init__
elif where == "customer-20":  # in the middle of a run
    made = _customers.CustomerFactory.make
    def make_customer(self, customer_id, now):
        if customer_id == 20:
            passing()
        return made(self, customer_id, now)
    _customers.CustomerFactory.make = make_customer
elif where == "sweep-run":  # a sweep's run has finished (told to its progress bar)
    @contextmanager
    def progress_bar(unit):
        yield lambda done, total: passing()
    cli._progress_bar = progress_bar
elif where == "plan-day":  # a planning day (a candidate plan's run) has finished
    @contextmanager
    def plan_progress():
        yield lambda candidates, days: passing()
    cli._plan_progress = plan_progress
elif where == "load":  # the scenario is being read
    load = cli.load_scenario
    def load_scenario(*args, **kwargs):
        passing()
        return load(*args, **kwargs)
    cli.load_scenario = load_scenario
elif where == "summary":  # the runs are over, the summary is being written
    summary = cli.format_summary
    def format_summary(*args):
        passing()
        return summary(*args)
    cli.format_summary = format_summary
if sys.argv[4] == "library":  # replicate() called by a script, not the command
    from checkout_sim import load_scenario, replicate
    from checkout_sim.runner import RunsInterrupted
    try:
        summaries = replicate(load_scenario(sys.argv[5]), int(sys.argv[6]))
    except RunsInterrupted as stop:
        print(len(stop.finished), stop.partial, stop.total, stop.summary.interrupted, stop.signal_number)
        raise SystemExit(3)
    print("returned", len(summaries))
    raise SystemExit(0)
raise SystemExit(cli.main(sys.argv[4:]))
"""


def hooked(where: str, action: str, at: int, *args: str) -> list[str]:
    """The command with a signal (or a kill) sent at the at-th pass through a chosen place."""
    return [sys.executable, "-c", HOOK, where, action, str(at), *args]


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM"])
@pytest.mark.parametrize(
    ("where", "note"),
    [
        ("run-end", "2 of 5 runs finished, the log ends with the summary of run 2"),
        ("loop", "1 of 5 runs finished, the log ends with the partial summary of run 2"),
        ("customer-20", "2 of 5 runs finished, the log ends with the partial summary of run 3"),
    ],
)
def test_a_signal_at_any_moment_of_replications_is_honoured(
    tmp_path: Path, where: str, note: str, name: str
) -> None:
    """A signal as a run ends, as a loop is made or mid-run stops the series: whole lines, a true note."""
    number = getattr(signal, name)
    at = 3 if where == "customer-20" else 2
    result = subprocess.run(
        hooked(where, name, at, str(SCENARIOS / "bank.yaml"), "--replications", "5", "--quiet"),
        capture_output=True,
        check=False,
        env={**os.environ, "HOOK_STAMP": str(tmp_path / "stamp")},
        timeout=60,
    )
    assert result.returncode == 128 + number, result.stderr
    assert result.stderr.decode() == f"run-scenario: interrupted by {name}; {note}\n"
    events = whole_lines(result.stdout)
    ends = [(e["run"], e["interrupted"]) for e in events if e["event"] == "run_finished"]
    finished = int(note.split(maxsplit=1)[0])
    partial = "partial" in note
    assert ends == [(run, False) for run in range(1, finished + 1)] + (
        [(finished + 1, True)] if partial else []
    )
    assert events[-1]["event"] == "run_finished"


def test_the_partial_state_is_summarised_on_stderr(tmp_path: Path) -> None:
    """Without --quiet, the runs that finished are summarised before the note."""
    result = subprocess.run(
        hooked("run-end", "SIGINT", 3, str(SCENARIOS / "bank.yaml"), "--replications", "5", "--log", "none"),
        capture_output=True,
        check=False,
        env={**os.environ, "HOOK_STAMP": str(tmp_path / "stamp")},
        timeout=60,
    )
    assert result.returncode == 130
    lines = result.stderr.decode().splitlines()
    assert lines[0] == (
        "bank: 3 replications (seeds 2024..2026, virtual clock): mean and 95% confidence interval across runs"
    )
    assert lines[-1] == "run-scenario: interrupted by SIGINT; 3 of 5 runs finished"


@pytest.mark.parametrize("args", [["--check"], []])
def test_a_signal_when_the_work_is_done_still_counts(tmp_path: Path, args: list[str]) -> None:
    """SIGINT during --check or as the summary is written: exit 130, and a note that the output is whole."""
    result = subprocess.run(
        hooked(
            "load" if args else "summary",
            "SIGINT",
            1,
            str(SCENARIOS / "corner_shop.yaml"),
            "--log",
            "none",
            *args,
        ),
        capture_output=True,
        check=False,
        env={**os.environ, "HOOK_STAMP": str(tmp_path / "stamp")},
        timeout=60,
    )
    assert result.returncode == 130, result.stderr
    assert result.stderr.decode().endswith(
        "run-scenario: interrupted by SIGINT after finishing; the output is complete\n"
    )
    assert b"Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("where", "expected"), [("run-end", "2 False 3 False"), ("customer-20", "1 True 3 True")]
)
def test_replicate_as_a_library_stops_on_a_signal_and_says_what_finished(
    tmp_path: Path, where: str, expected: str
) -> None:
    """replicate() in a script: SIGTERM as run 2 ends or mid-run raises RunsInterrupted with what finished."""
    result = subprocess.run(
        hooked(where, "SIGTERM", 2, "library", str(SCENARIOS / "bank.yaml"), "3"),
        capture_output=True,
        check=False,
        env={**os.environ, "HOOK_STAMP": str(tmp_path / "stamp")},
        timeout=60,
    )
    assert (result.returncode, result.stdout.decode(), result.stderr) == (3, f"{expected} 15\n", b"")


def interrupted_sweep(err: bytes, name: str, finished: list[int], variants: int) -> None:
    """stderr of an interrupted one-replication sweep: the table of the finished variants, then one line."""
    *table, last = err.decode().splitlines()
    assert last == (
        f"run-scenario: interrupted by {name}; {len(finished)} of {variants} runs finished, "
        "the log holds their summaries"
    )
    assert table[0].startswith(f"bank: {len(finished)} variants x 1 replication"), table
    assert [int(line.split()[0]) for line in table if line[:3].strip().isdigit()] == finished, table
    missing = [f"#{number}" for number in range(1, variants + 1) if number not in finished]
    assert table[-1].endswith(": " + ", ".join(missing)), table


SWEEP = ["--set", "warmup=0", "--sweep", "duration=1h,2h,3h,5000h"]  # three short runs, then a long one


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("where", ["run-end", "customer-20"])
def test_a_signal_stops_a_sweep_run_here_and_keeps_the_finished_runs(
    tmp_path: Path, where: str, name: str
) -> None:
    """--jobs 1: a signal as run 3 ends or in its middle; the log holds the finished runs, and says so."""
    result = subprocess.run(
        hooked(where, name, 3, str(SCENARIOS / "bank.yaml"), *SWEEP, "--jobs", "1"),
        capture_output=True,
        check=False,
        env={**os.environ, "HOOK_STAMP": str(tmp_path / "stamp")},
        timeout=60,
    )
    done = 3 if where == "run-end" else 2
    assert result.returncode == 128 + getattr(signal, name), result.stderr
    interrupted_sweep(result.stderr, name, list(range(1, done + 1)), 4)
    records = whole_lines(result.stdout)
    assert [(r["variant"], r["run"], r["settings"]) for r in records] == [
        (number, 1, {"duration": duration})
        for number, duration in enumerate(["1h", "2h", "3h"][:done], start=1)
    ]


def live_processes(session: int) -> list[int]:
    """The processes of a session that are still running (zombies waiting for init to reap them are not)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == session and fields[0] != "Z":  # fields: state, ppid, pgrp, session
                found.append(int(entry.name))
    return found


def run_until_signalled(args: list[str], stamp: Path, timeout: float = 30) -> tuple[int, bytes, bytes, float]:
    """Run in a new session; return code, stdout, stderr and seconds from the hook's moment to the exit.

    No process of the session may outlive the command (workers, the resource tracker);
    on a failure whatever is left is killed.
    """
    process = subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env={**os.environ, "HOOK_STAMP": str(stamp)},
    )
    try:
        out, err = process.communicate(timeout=timeout)  # EOF: nobody holds stdout or stderr
        ended = time.monotonic()
        while live_processes(process.pid) and time.monotonic() < ended + 1.0:
            time.sleep(0.02)  # a process may still be exiting, its files already closed
        assert live_processes(process.pid) == []
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    return process.returncode, out, err, ended - float(stamp.read_text())


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("to", ["", "group:"])
def test_a_signal_to_the_parent_ends_the_workers_at_once(tmp_path: Path, to: str, name: str) -> None:
    """--jobs 2, a signal to the parent alone or its group: nothing left running, finished runs logged."""
    stamp = tmp_path / "stamp"
    code, out, err, took = run_until_signalled(
        hooked("sweep-run", to + name, 3, str(SCENARIOS / "bank.yaml"), *SWEEP, "--jobs", "2"), stamp
    )
    assert code == 128 + getattr(signal, name), err
    interrupted_sweep(err, name, [1, 2, 3], 4)
    records = whole_lines(out)
    assert len(records) == 3 and {r["variant"] for r in records} == {1, 2, 3}
    assert took < 2.0


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_signal_stops_a_plan_and_leaves_nothing_running(tmp_path: Path, jobs: str, name: str) -> None:
    """--plan: a signal while candidate plans are simulated ends the workers, writes no half
    plan on stdout and says so on stderr in one line."""
    stamp = tmp_path / "stamp"
    code, out, err, _ = run_until_signalled(
        hooked(
            "plan-day",
            name,
            7,
            str(SCENARIOS / "saturday.yaml"),
            "--plan",
            "--replications",
            "4",
            "--jobs",
            jobs,
        ),
        stamp,
        timeout=120,
    )
    assert code == 128 + getattr(signal, name), err
    assert out == b""
    assert err.decode().splitlines()[-1] == f"run-scenario: interrupted by {name}; no plan was made"
    assert b"Traceback" not in err


def test_sigterm_during_a_dask_sweep_keeps_the_finished_runs(tmp_path: Path) -> None:
    """--dask: SIGTERM cancels the runs, logs the finished ones, says so and exits 143 at once."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,  # the runs go one after another, in order
        processes=False,
        **DASK_ANY_PORT,
    ) as cluster:
        code, out, err, took = run_until_signalled(
            hooked(
                "sweep-run",
                "SIGTERM",
                3,
                str(SCENARIOS / "bank.yaml"),
                "--set",
                "warmup=0",
                "--sweep",
                "duration=1h,2h,3h,1000h",
                "--dask",
                cluster.scheduler_address,
            ),
            tmp_path / "stamp",
        )
    assert code == 143, err
    interrupted_sweep(err, "SIGTERM", [1, 2, 3], 4)
    assert [r["variant"] for r in whole_lines(out)] == [1, 2, 3]
    assert took < 2.0


# A scheduler in its own process, on ports the system picks; its warnings are errors, as in
# the suite, so a fixed port that happens to be taken fails here too.
CLUSTER = f"""
import sys, warnings
warnings.simplefilter("error")
from distributed import LocalCluster
cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=False, **{DASK_ANY_PORT!r})
print(cluster.scheduler_address, flush=True)
sys.stdin.read()
"""


@pytest.mark.parametrize("debug", [False, True])
def test_a_dask_scheduler_that_dies_mid_sweep_is_one_line(tmp_path: Path, debug: bool) -> None:
    """The scheduler killed after the first run: exit 1 at once, one line (with --debug Dask's lines too)."""
    pytest.importorskip("distributed")
    with subprocess.Popen(
        [sys.executable, "-c", CLUSTER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    ) as cluster:
        try:
            assert cluster.stdout is not None
            address = cluster.stdout.readline().decode().strip()
            code, _, err, took = run_until_signalled(
                hooked(
                    "sweep-run",
                    f"kill:{cluster.pid}",
                    1,
                    str(SCENARIOS / "bank.yaml"),
                    "--set",
                    "warmup=0",
                    "--sweep",
                    "duration=1h,1000h",
                    "--dask",
                    address,
                    *(["--debug"] if debug else []),
                ),
                tmp_path / "stamp",
            )
        finally:
            cluster.kill()
    assert code == 1
    last = f"run-scenario: error: DaskError: lost the connection to the Dask scheduler at {address}\n"
    assert err.decode().endswith(last)
    assert (err.decode() == last) is not debug
    assert took < 3.0


# --- outputs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("report", "reason"), [("nodir/r.html", "No such file or directory"), (".", "Is a directory")]
)
def test_an_unwritable_report_fails_before_the_run(tmp_path: Path, report: str, reason: str) -> None:
    """--report where nothing can be written: one line, exit 1, and no run (nothing on stdout)."""
    result = subprocess.run(
        command(str(SCENARIOS / "bank.yaml"), "--report", report),
        capture_output=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert result.stderr.decode() == f"run-scenario: cannot write the report to {report}: {reason}\n"
    assert result.stdout == b""


def shell(line: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """Run a shell line in which RUN stands for the command."""
    run = f'"{sys.executable}" -m checkout_sim'
    return subprocess.run(line.replace("RUN", run), shell=True, capture_output=True, check=False, cwd=cwd)


def test_a_closed_stdout_is_one_line_unless_the_log_goes_elsewhere(tmp_path: Path) -> None:
    """`>&-`: the log cannot go to stdout (exit 1, one line); with --log FILE the run is fine."""
    scenario = SCENARIOS / "corner_shop.yaml"
    result = shell(f'RUN "{scenario}" >&-', tmp_path)
    assert result.returncode == 1
    assert result.stderr == b"run-scenario: cannot write the log to stdout: Bad file descriptor\n"
    result = shell(f'RUN "{scenario}" --log run.jsonl --quiet >&-', tmp_path)
    assert (result.returncode, result.stderr) == (0, b"")
    assert whole_lines((tmp_path / "run.jsonl").read_bytes())[-1]["event"] == "run_finished"


def test_a_closed_stderr_leaves_the_log_alone(tmp_path: Path) -> None:
    """`2>&-`: the run succeeds and stdout holds nothing but the event log."""
    result = shell(f'RUN "{SCENARIOS / "corner_shop.yaml"}" 2>&-', tmp_path)
    assert result.returncode == 0
    events = whole_lines(result.stdout)
    assert events[0]["event"] == "run_started" and events[-1]["event"] == "run_finished"


def test_an_output_may_not_be_an_input_or_another_output(tmp_path: Path) -> None:
    """--log on the scenario, --log and --report on one path, stdout into the scenario: refused, exit 2."""
    scenario = tmp_path / "shop.yaml"
    scenario.write_bytes((SCENARIOS / "corner_shop.yaml").read_bytes())
    original = scenario.read_bytes()
    result = shell("RUN shop.yaml --log shop.yaml", tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        b"run-scenario: --log shop.yaml: that is the scenario file; an output must not overwrite an input\n"
    )
    result = shell("RUN shop.yaml --log out --report ./out", tmp_path)
    assert result.returncode == 2
    assert (
        result.stderr
        == b"run-scenario: --report ./out: that is also the --log; give each output its own path\n"
    )
    assert not (tmp_path / "out").exists()
    result = shell("RUN shop.yaml --report /dev/stdout > log.jsonl", tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        b"run-scenario: --report /dev/stdout: that is also stdout, where the log goes; "
        b"give each output its own path\n"
    )
    result = shell("RUN shop.yaml >> shop.yaml", tmp_path)
    assert result.returncode == 2
    assert (
        result.stderr
        == b"run-scenario: stdout: that is the scenario file; an output must not overwrite an input\n"
    )
    assert scenario.read_bytes() == original


@pytest.mark.parametrize("destination", ["-", "/dev/stdout", "fifo"])
def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path: Path, destination: str) -> None:
    """stdout, /dev/stdout or a FIFO whose reader leaves after one line: exit 0, nothing on stderr."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    log = str(fifo) if destination == "fifo" else destination
    args = command(str(SCENARIOS / "black_friday.yaml"), "--items", "--quiet", "--log", log)
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None and process.stderr is not None
        with open(fifo, "rb") if destination == "fifo" else process.stdout as reader:
            assert orjson.loads(reader.readline())["event"] == "run_started"
        if destination == "fifo":
            process.stdout.close()
        err = process.stderr.read()
        assert process.wait(timeout=60) == 0
    assert err == b""


def test_the_report_is_written_when_the_reader_of_stdout_goes_away(tmp_path: Path) -> None:
    """`--report r.html | head -1`: exit 0 and the report is still written."""
    pytest.importorskip("matplotlib")
    args = command(str(SCENARIOS / "bank.yaml"), "--items", "--quiet", "--report", "r.html")
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path) as process:
        assert process.stdout is not None and process.stderr is not None
        assert orjson.loads(process.stdout.readline())["event"] == "run_started"
        process.stdout.close()
        err = process.stderr.read()
        assert process.wait(timeout=120) == 0
    assert err == b""
    assert (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!doctype html>")


STARTUP = """
import importlib.abc, os, signal, sys

importing, number = sys.argv[1], getattr(signal, sys.argv[2])


class SignalWhileImporting(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == importing:
            os.kill(os.getpid(), number)
        return None

sys.meta_path.insert(0, SignalWhileImporting())
from checkout_sim._launch import run_scenario
sys.argv = ["run-scenario", *sys.argv[3:]]
raise SystemExit(run_scenario())
"""


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("importing", ["pydantic", "checkout_sim.cli"])
def test_a_signal_while_the_command_loads_stops_it_with_one_line(importing: str, name: str) -> None:
    """A signal as pydantic or the command is imported: nothing runs, one line, 130 / 143, no traceback."""
    result = subprocess.run(
        [sys.executable, "-c", STARTUP, importing, name, str(SCENARIOS / "corner_shop.yaml")],
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 128 + getattr(signal, name)
    assert result.stderr.decode() == f"run-scenario: interrupted by {name} while starting; nothing was run\n"
    assert result.stdout == b""


def test_importing_the_package_loads_nothing_heavy() -> None:
    """``import checkout_sim`` and the launcher load no pydantic or asyncio: signals are caught first."""
    code = (
        "import sys, checkout_sim, checkout_sim._launch; "
        "print(sorted({'pydantic', 'asyncio', 'yaml', 'structlog'} & set(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, text=True)
    assert result.stdout == "[]\n"
