"""Issue 21, item 4: real arrival data, replayed from a trace file (a row per customer).

The corpus in ``tests/bad_arrival_files/`` is a scenario and its CSV per malformed file, the
scenario's ``# error:`` line being the one line the command prints (the path of the CSV
relative to the corpus folder). The rows a run replays are read from its log.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from checkout_sim import ScenarioError, load_scenario, parse_scenario, run
from checkout_sim.cli import main
from checkout_sim.engine.customers import CustomerFactory
from checkout_sim.engine.trace_customers import TraceCustomers, make_customers
from logcheck import check
from peak_memory import ON_LINUX, peak_kb

CORPUS = Path(__file__).resolve().parent / "bad_arrival_files"
CASES = sorted(CORPUS.glob("*.yaml"))


def expected(path: Path) -> str:
    (line,) = [line for line in path.read_text().splitlines() if line.startswith("# error: ")]
    return f"{path.parent}/{line.removeprefix('# error: ')}"


def test_the_corpus_covers_the_issue_list() -> None:
    """At least 12 malformed traces, each with its scenario and its one line."""
    names = {path.stem for path in CASES}
    assert len(names) >= 12
    assert {
        "missing_header",
        "bad_time",
        "time_goes_back",
        "unknown_segment",
        "negative_items",
        "items_not_whole",
        "empty_file",
        "header_only",
        "not_utf8",
        "unknown_column",
        "too_many_values",
        "time_of_day_without_opens_at",
        "bad_patience",
    } <= names
    assert all((CORPUS / f"{name}.csv").exists() for name in names)


@pytest.mark.parametrize("path", CASES, ids=[path.stem for path in CASES])
def test_a_bad_trace_is_one_line_at_its_place(path: Path) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value) == expected(path)


@pytest.mark.parametrize("path", CASES, ids=[path.stem for path in CASES])
def test_a_bad_trace_on_the_command_line_exits_2(path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    assert main([str(path), "--log", "-"]) == 2
    out, err = capfd.readouterr()
    assert out == ""
    assert err.splitlines() == [expected(path)]


def test_a_bad_row_far_down_stops_the_command_before_any_log(tmp_path: Path) -> None:
    """Row 900,000 goes back in time: exit 2, and the log file is never written."""
    trace = tmp_path / "long.csv"
    with trace.open("w") as out:
        out.write("t\n")
        out.writelines(f"{row}\n" for row in range(900_000))
        out.write("5\n")
    scenario = tmp_path / "long.yaml"
    scenario.write_text(SCENARIO.format(file="long.csv", extra=""))
    log = tmp_path / "log.jsonl"
    assert main([str(scenario), "--log", str(log), "--quiet"]) == 2
    assert not log.exists()


SCENARIO = """
name: replay
seed: 11
products: [{{name: bread, checkout_time: {{dist: exponential, mean: 40s}}}}]
segments:
  - {{name: regular, share: 3, basket: {{items: {{dist: poisson, mean: 4}}}}}}
  - {{name: quick, patience: {{dist: exponential, mean: 2min}}}}
arrivals: {{pattern: trace, file: {file}}}
cashiers: {{count: 2}}
{extra}
"""


def write_trace(folder: Path, name: str, header: str, rows: list[str]) -> Path:
    path = folder / name
    path.write_text(header + "\n" + "".join(row + "\n" for row in rows))
    return path


def log_of(scenario: Any, **options: Any) -> list[dict[str, Any]]:
    buffer = io.BytesIO()
    run(scenario, log=buffer, **options)
    check(buffer.getvalue(), scenario)
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def times(rows: int, seed: int = 5) -> list[float]:
    """Arrival times a minute apart on average, some at the same instant, in order."""
    draw = random.Random(seed)
    found, t = [], 0.0
    for _ in range(rows):
        t += 0.0 if draw.random() < 0.1 else round(draw.expovariate(1 / 60), 3)
        found.append(t)
    return found


def test_every_row_arrives_at_its_time(tmp_path: Path) -> None:
    """One customer per row, at the row's time; no duration: the run ends when the shop empties."""
    ts = times(300)
    write_trace(tmp_path, "arrivals.csv", "t", [repr(t) for t in ts])
    scenario = load_scenario(_scenario_file(tmp_path, "arrivals.csv"))
    log = log_of(scenario)
    arrived = [event["t"] for event in log if event["event"] == "customer_arrived"]
    assert arrived == ts
    finished = log[-1]
    assert finished["arrived"] == 300 and finished["served"] + finished["reneged"] == 300


def _scenario_file(folder: Path, file: str, extra: str = "") -> Path:
    path = folder / "replay.yaml"
    path.write_text(SCENARIO.format(file=file, extra=extra))
    return path


def test_run_started_records_the_file_not_its_rows(tmp_path: Path) -> None:
    trace = write_trace(tmp_path, "arrivals.csv", "t", ["0", "30", "60"])
    log = log_of(load_scenario(_scenario_file(tmp_path, "arrivals.csv")))
    assert log[0]["config"]["arrivals"] == {
        "pattern": "trace",
        "file": "arrivals.csv",
        "limit": None,
        "rows": 3,
        "sha256": hashlib.sha256(trace.read_bytes()).hexdigest(),
    }


def test_times_of_day_durations_and_seconds(tmp_path: Path) -> None:
    """A row's t: seconds since opening, a duration, or a time of day with opens_at."""
    write_trace(tmp_path, "arrivals.csv", "t", ["0", "90", "2min", "08:05", "08:05:30.5", "1h"])
    path = _scenario_file(tmp_path, "arrivals.csv", 'opens_at: "08:00"')
    arrived = [event["t"] for event in log_of(load_scenario(path)) if event["event"] == "customer_arrived"]
    assert arrived == [0.0, 90.0, 120.0, 300.0, 330.5, 3600.0]


def test_closing_time_and_limit_cut_the_trace(tmp_path: Path) -> None:
    """With a duration the rows at or after it are not replayed; with a limit, the first ones."""
    write_trace(tmp_path, "arrivals.csv", "t", [str(60 * minute) for minute in range(10)])
    path = _scenario_file(tmp_path, "arrivals.csv")
    cut = log_of(load_scenario(path, ["duration=5min"]))
    assert [e["t"] for e in cut if e["event"] == "customer_arrived"] == [0.0, 60.0, 120.0, 180.0, 240.0]
    limited = log_of(load_scenario(path, ["arrivals.limit=3"]))
    assert [e["t"] for e in limited if e["event"] == "customer_arrived"] == [0.0, 60.0, 120.0]


HELD = """
name: held
seed: 2
products: [{{name: bread, checkout_time: 100s}}]
arrivals: {{pattern: trace, file: {file}}}
lanes: [{{name: till, count: 1, queue: {{capacity: 1, when_full: wait}}}}]
"""


def test_under_backpressure_every_row_arrives_at_its_time(tmp_path: Path) -> None:
    """One till of 100 s and room for one: arrivals wait at the door. Every customer arrives at
    their row's time (customer_arrived at t), however many wait at the door, and those who
    wait get in in the order they came, each when a place frees (the till's pace)."""
    ts = [0, 10, 20, 30, 40, 405, 415, 1000]
    write_trace(tmp_path, "arrivals.csv", "t", [str(t) for t in ts])
    (tmp_path / "held.yaml").write_text(HELD.format(file="arrivals.csv"))
    log = log_of(load_scenario(tmp_path / "held.yaml"))
    arrived = {e["customer"]: e["t"] for e in log if e["event"] == "customer_arrived"}
    admitted = {e["customer"]: e["t"] for e in log if e["event"] == "customer_admitted"}
    started = {e["customer"]: e["t"] for e in log if e["event"] == "checkout_started"}
    assert [arrived[customer] for customer in range(1, len(ts) + 1)] == [float(t) for t in ts]
    # 1 at the till from 0, 2 in line, 3, 4 and 5 at the door together at 40: the most ever.
    assert set(admitted) == {3, 4, 5, 7}
    assert sorted(admitted, key=admitted.__getitem__) == [3, 4, 5, 7]  # first come, first in
    for customer, t in admitted.items():  # each gets in when the one ahead reaches the till
        assert t == started[customer - 1], customer
    assert all(e["t"] >= arrived[e["customer"]] for e in log if "customer" in e)
    finished = log[-1]
    assert finished["arrived"] == finished["served"] == len(ts)


def test_at_the_door_several_give_up_or_are_sent_home_and_none_is_lost(tmp_path: Path) -> None:
    """Many at the door at once, with patience from the rows: those who give up there renege
    from the door, the log holds together (logcheck), and an interrupted run sends everyone
    still at the door home unserved."""
    import signal

    from checkout_sim import Interrupted

    rows = [f"{t},{patience}" for t, patience in zip(range(0, 60, 5), [30, 600] * 6, strict=True)]
    write_trace(tmp_path, "arrivals.csv", "t,patience", rows)
    (tmp_path / "held.yaml").write_text(HELD.format(file="arrivals.csv"))
    scenario = load_scenario(tmp_path / "held.yaml")
    buffer = io.BytesIO()
    run(scenario, log=buffer)
    log = check(buffer.getvalue(), scenario).events
    reneged = [e for e in log if e["event"] == "customer_reneged"]
    assert reneged and all(e["lane"] is None for e in reneged)  # they gave up at the door
    finished = log[-1]
    assert finished["arrived"] == 12 == finished["served"] + finished["reneged"]

    def stop_at_the_tenth(logger: Any, method: str, event: Any) -> Any:
        if event["event"] == "customer_arrived" and event["customer"] == 10:
            signal.raise_signal(signal.SIGINT)
        return event

    buffer = io.BytesIO()
    with pytest.raises(Interrupted) as stopped:
        run(scenario, log=buffer, processors=[stop_at_the_tenth])
    summary = stopped.value.summary
    assert summary.arrived == summary.served + summary.balked + summary.reneged + summary.unserved
    assert summary.unserved >= 3  # the ones still at the door (and in line) went home


def test_a_row_fixes_items_segment_and_patience(tmp_path: Path) -> None:
    write_trace(
        tmp_path,
        "arrivals.csv",
        "t,items,segment,patience",
        ["0,7,quick,", "5,,quick,1s", "6,0,regular,", "7,,,", "8,3,,2min"],
    )
    log = log_of(load_scenario(_scenario_file(tmp_path, "arrivals.csv"), ["cashiers.count=1"]))
    arrived = {e["customer"]: e for e in log if e["event"] == "customer_arrived"}
    assert (arrived[1]["items"], arrived[1]["segment"]) == (7, "quick")
    assert arrived[2]["segment"] == "quick"
    assert (arrived[3]["items"], arrived[3]["segment"]) == (0, "regular")
    assert arrived[5]["items"] == 3
    # Customer 2 gives up after the row's 1 s: the one till is busy with 7 items until well after.
    reneged = {e["customer"]: e for e in log if e["event"] == "customer_reneged"}
    assert reneged[2]["t"] == 6.0 and reneged[2]["wait"] == 1.0


def test_the_command_replays_what_rows_fix(tmp_path: Path) -> None:
    """Through the command: a row's items are the customer's basket."""
    write_trace(tmp_path, "arrivals.csv", "t,items", [f"{t},0" for t in range(30)])
    log = tmp_path / "log.jsonl"
    assert main([str(_scenario_file(tmp_path, "arrivals.csv")), "--log", str(log), "--quiet"]) == 0
    arrived = [json.loads(line) for line in log.read_text().splitlines() if "customer_arrived" in line]
    assert [event["items"] for event in arrived] == [0] * 30


# --- the customers of a trace and common random numbers ------------------------------

SHOPS = {
    "plain": """
name: plain
duration: 1h
products: [{name: a, checkout_time: {dist: exponential, mean: 30s}}]
arrivals: {pattern: poisson, rate: 60/h}
cashiers: {count: 1}
""",
    "segments, baskets and patience": SCENARIO.format(file="x.csv", extra="").replace(
        "{pattern: trace, file: x.csv}", "{pattern: poisson, rate: 60/h}\nduration: 1h"
    ),
    "lanes with payments and help": """
name: lanes
duration: 1h
products:
  - {name: a, checkout_time: {dist: exponential, mean: 3s}, popularity: 3}
  - {name: b, checkout_time: {dist: uniform, low: 1s, high: 9s}}
basket: {items: {dist: uniform_int, low: 0, high: 12}}
segments:
  - {name: weekly, share: 2, patience: {dist: lognormal, mean: 10min, sd: 3min}}
  - {name: quick, basket: {items: 2}}
arrivals: {pattern: poisson, rate: 60/h}
lanes:
  - {name: tills, count: 2, payment_time: {dist: normal, mean: 20s, sd: 5s}}
  - name: kiosks
    count: 3
    payment_time: 15s
    attendants: 1
    assist: {probability: 0.2, time: {dist: exponential, mean: 40s}}
""",
}


def customer_fields(customer: Any) -> tuple[Any, ...]:
    return tuple(
        list(value) if isinstance(value, list | tuple) and not isinstance(value, str) else value
        for value in (getattr(customer, f.name) for f in dataclasses.fields(customer) if f.init)
    )


class _Rows:
    """Trace rows for a factory made directly: each fixes what ``fix`` gives for the customer."""

    def __init__(self, fix: Any) -> None:
        self._fix = fix

    def __iter__(self) -> Iterator[Any]:
        from checkout_sim.config.arrival_files import TraceRow

        number = 0
        while True:
            number += 1
            yield TraceRow(float(number), *self._fix(number))


@pytest.mark.parametrize("name", sorted(SHOPS))
def test_rows_that_fix_nothing_give_the_usual_customers(name: str) -> None:
    """Draw for draw what CustomerFactory makes from the same stream (common random numbers)."""
    scenario = parse_scenario(SHOPS[name])
    usual = CustomerFactory(scenario, random.Random("checkout-sim/9/customers"))
    traced = TraceCustomers(
        scenario, random.Random("checkout-sim/9/customers"), iter(_Rows(lambda n: (None, None, None)))
    )
    for number in range(1, 400):
        assert customer_fields(traced.make(number, 1.0)) == customer_fields(usual.make(number, 1.0))


def test_a_fixed_patience_leaves_every_other_draw_as_it_was() -> None:
    """Segments without patience draw none: a row's patience changes nothing else."""
    scenario = parse_scenario(SHOPS["lanes with payments and help"], overrides=["segments.0.patience=null"])
    usual = CustomerFactory(scenario, random.Random("s"))
    traced = TraceCustomers(scenario, random.Random("s"), iter(_Rows(lambda n: (None, None, float(n)))))
    for number in range(1, 300):
        mine, theirs = traced.make(number, 0.0), usual.make(number, 0.0)
        assert mine.patience == float(number) and theirs.patience is None
        mine.patience = None
        assert customer_fields(mine) == customer_fields(theirs)


def test_a_fixed_segment_skips_only_the_segment_draw() -> None:
    """Rows all of segment quick: the customers of a shop of quick shoppers alone."""
    text = SHOPS["lanes with payments and help"]
    scenario = parse_scenario(text)
    alone = parse_scenario(text, overrides=["segments=[{name: quick, basket: {items: 2}}]"])
    usual = CustomerFactory(alone, random.Random("s"))
    traced = TraceCustomers(scenario, random.Random("s"), iter(_Rows(lambda n: (None, 1, None))))
    for number in range(1, 300):
        mine, theirs = traced.make(number, 0.0), usual.make(number, 0.0)
        assert mine.segment == 1 and theirs.segment == 0
        mine.segment = 0
        assert customer_fields(mine) == customer_fields(theirs)


def test_fixed_items_set_the_basket() -> None:
    scenario = parse_scenario(SHOPS["lanes with payments and help"])
    traced = TraceCustomers(scenario, random.Random("s"), iter(_Rows(lambda n: (n % 5, None, None))))
    for number in range(1, 100):
        customer = traced.make(number, 0.0)
        assert len(customer.scans) == len(customer.products) == number % 5


# --- memory ----------------------------------------------------------------------------

_MILLION = """
import sys
from pathlib import Path
folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path({folder!r})
trace = folder / "rows.csv"
with trace.open("w") as out:
    out.write("t\\n")
    out.writelines(f"{{row}}\\n" for row in range({rows}))
(folder / "rows.yaml").write_text(
    "name: rows\\nseed: 1\\nproducts: [{{name: a, checkout_time: 0.5s}}]\\n"
    "arrivals: {{pattern: trace, file: rows.csv}}\\ncashiers: {{count: 1}}\\n"
)
from checkout_sim import load_scenario, run
summary = run(load_scenario(folder / "rows.yaml"))
assert summary.arrived == {rows}, summary.arrived
"""


@pytest.mark.slow
@pytest.mark.skipif(not ON_LINUX, reason="reads the peak from Linux's /proc")
def test_a_million_rows_in_flat_memory(tmp_path: Path) -> None:
    """A trace of 1,000,000 rows (about 6.9 MB), checked and replayed, peaks within 2 MB of one
    of 100,000: nothing is kept per row. (Held in memory, a million rows of floats alone would
    be 24 MB or more.)"""
    small_folder, large_folder = tmp_path / "small", tmp_path / "large"
    small_folder.mkdir()
    large_folder.mkdir()
    small = peak_kb(_MILLION.format(folder=str(small_folder), rows=100_000))
    large = peak_kb(_MILLION.format(folder=str(large_folder), rows=1_000_000))
    assert (large_folder / "rows.csv").stat().st_size > 6_000_000
    assert large - small < 2_000, (small, large)


def test_the_report_settings_of_a_trace_read_back(tmp_path: Path) -> None:
    """The report shows the logged scenario; what was read from the file is a comment there."""
    from checkout_sim.analysis.report_page import settings_text

    trace = write_trace(tmp_path, "arrivals.csv", "t", ["0", "30", "60"])
    scenario = load_scenario(_scenario_file(tmp_path, "arrivals.csv"))
    text = settings_text(log_of(scenario)[0]["config"])
    digest = hashlib.sha256(trace.read_bytes()).hexdigest()
    assert text.endswith(f"# arrivals.csv: 3 rows, SHA-256 {digest}\n")
    (tmp_path / "again.yaml").write_text(text)
    assert load_scenario(tmp_path / "again.yaml") == scenario


def test_only_a_trace_that_fixes_something_needs_its_own_factory(tmp_path: Path) -> None:
    """make_customers: the usual factory for any other run (and a trace of times alone)."""
    write_trace(tmp_path, "times.csv", "t", ["0"])
    write_trace(tmp_path, "items.csv", "t,items", ["0,1"])
    rng = random.Random(1)
    plain = make_customers(parse_scenario(SHOPS["plain"]), rng)
    times_only = make_customers(load_scenario(_scenario_file(tmp_path, "times.csv")), rng)
    fixing = make_customers(load_scenario(_scenario_file(tmp_path, "items.csv")), rng)
    assert type(plain) is CustomerFactory and type(times_only) is CustomerFactory
    assert type(fixing) is TraceCustomers
