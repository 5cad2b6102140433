"""Stress test: SIGINT and SIGTERM at random moments of `run-scenario --replications`.

Each try starts the command, waits until its log has begun (Python has started and the
command's handler is in place), sleeps a random time, sends the signal and checks that
it was honoured: exit 130 / 143 within the time limit, no traceback or "Exception
ignored" on stderr, a log of whole JSON lines, and a last stderr line whose account
("N of M runs finished, the log ends with ...") matches the log. Not part of the test
suite (it takes minutes); run it after touching signals, runner or engine:

    python benchmarks/signal_stress.py --tries 200
"""

from __future__ import annotations

import argparse
import collections
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
CASES = {
    "corner": ["scenarios/corner_shop.yaml", "--set", "duration=2m", "--replications", "100000", "--quiet"],
    "bank": ["scenarios/bank.yaml", "--replications", "1000", "--quiet"],
}
NOTE = re.compile(
    r"^run-scenario: interrupted by (SIGINT|SIGTERM); (\d+) of (\d+) runs finished, "
    r"the log ends with the (partial )?summary of run (\d+)$"
)


def drain(stream: object, into: list[bytes]) -> threading.Thread:
    """Read a pipe to its end in a thread, so the command never blocks on a full pipe."""

    def read() -> None:
        while chunk := stream.read(65536):  # type: ignore[attr-defined]
            into.append(chunk)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def verdict(number: int, code: int | None, out: bytes, err: bytes) -> tuple[str, str]:
    """(outcome, moment): honoured / ignored / killed silently / wrong, and mid-run or between runs."""
    text = err.decode(errors="replace")
    if code is None or code == 0:
        return "ignored", "-"
    if code == -number:
        return "killed silently", "-"
    if "Traceback" in text or "Exception ignored" in text:
        return "wrong: traceback", "-"
    if code != 128 + number:
        return f"wrong: exit {code}", "-"
    note = NOTE.match(text.rstrip("\n").splitlines()[-1] if text.strip() else "")
    if note is None or note[1] != signal.Signals(number).name:
        return "wrong: note", "-"
    finished, partial, last = int(note[2]), note[4] is not None, int(note[5])
    if not out.endswith(b"\n"):
        return "wrong: a cut line", "-"
    try:
        events = [orjson.loads(line) for line in out.splitlines()]
    except orjson.JSONDecodeError:
        return "wrong: a line that is not JSON", "-"
    ends = [(event["run"], event["interrupted"]) for event in events if event["event"] == "run_finished"]
    expected = [(run, False) for run in range(1, finished + 1)] + ([(finished + 1, True)] if partial else [])
    if (
        ends != expected
        or events[-1]["event"] != "run_finished"
        or last != (finished + 1 if partial else finished)
    ):
        return "wrong: the note does not match the log", "-"
    return "honoured", "mid-run" if partial else "between runs"


def attempt(case: list[str], number: int, latest: float, limit: float) -> tuple[str, str, float]:
    """One try: start, wait for the log to begin, sleep up to ``latest`` s, signal, judge."""
    process = subprocess.Popen(
        [sys.executable, "-m", "checkout_sim", *case],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=0,
        cwd=ROOT,
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.read(1)
    out: list[bytes] = [first]
    err: list[bytes] = []
    readers = [drain(process.stdout, out), drain(process.stderr, err)]
    time.sleep(random.uniform(0, latest))
    sent = time.monotonic()
    process.send_signal(number)
    try:
        code: int | None = process.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        code = None
    took = time.monotonic() - sent
    for reader in readers:
        reader.join()
    outcome, moment = verdict(number, code, b"".join(out), b"".join(err))
    return outcome, moment, took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tries", type=int, default=200, help="tries per case and signal (default 200)")
    parser.add_argument("--case", choices=[*CASES, "all"], default="all")
    parser.add_argument("--latest", type=float, default=1.0, help="latest moment of the signal, in s")
    parser.add_argument("--limit", type=float, default=10.0, help="seconds the command may take to stop")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    random.seed(args.seed)
    failed = 0
    for name in CASES if args.case == "all" else [args.case]:
        for number in (signal.SIGINT, signal.SIGTERM):
            outcomes: collections.Counter[str] = collections.Counter()
            moments: collections.Counter[str] = collections.Counter()
            times = []
            for _ in range(args.tries):
                outcome, moment, took = attempt(CASES[name], number, args.latest, args.limit)
                outcomes[outcome] += 1
                moments[moment] += 1
                times.append(took)
            times.sort()
            failed += args.tries - outcomes["honoured"]
            print(
                f"{name:<7} {number.name:<8} {args.tries} tries: "
                + ", ".join(f"{outcome} {count}" for outcome, count in outcomes.most_common())
                + f" | honoured mid-run {moments['mid-run']}, between runs {moments['between runs']}"
                + f" | stop took median {times[len(times) // 2]:.3f}s, max {times[-1]:.3f}s",
                flush=True,
            )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
