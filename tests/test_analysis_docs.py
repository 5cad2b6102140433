"""docs/analysis.md and the README's event-log promise, checked against real logs.

Every recipe runs against a real log and agrees with the run's summary; the line-per-minute
recipes also agree, minute by minute, with an event-by-event replay of the line written
here, on scenarios with backpressure, balking, reneging, closing time and an interruption.
"""

from __future__ import annotations

import bisect
import io
import json
import math
import re
import shutil
import signal
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from structlog.typing import EventDict, Processor, WrappedLogger

from checkout_sim import Summary, load_scenario, replicate, run
from checkout_sim.engine.shop import Interrupted
from conftest import ROOT, SCENARIOS
from logcheck import parse

DOC = ROOT / "docs" / "analysis.md"
README = ROOT / "README.md"
RECIPE = re.compile(r"<!-- recipe: (?P<name>[^>]+?) -->\s*```(?P<lang>\w+)\n(?P<code>.*?)```", re.S)
TOOLS = ("jq", "duckdb", "pandas", "polars")

#: A bounded LIFO line whose arrivals wait at the door (held customers get in, give up
#: there, or are sent home at closing), impatient customers, groups arriving on the
#: minute, an extra lane, and closing time without draining.
DOOR = """
name: door
seed: 11
duration: 40m
drain: false
products: [{name: parcel, checkout_time: {dist: exponential, mean: 50s}}]
basket: {items: {dist: uniform_int, low: 0, high: 2}}
segments:
  - {name: hurried, share: 1, patience: {dist: exponential, mean: 90s}}
  - {name: calm, share: 2, patience: {dist: exponential, mean: 15m}}
arrivals: {pattern: batch, every: 2m, size: {dist: uniform_int, low: 0, high: 6}}
queue: {kind: lifo, capacity: 3, when_full: wait}
cashiers: {count: 1, scaling: {max: 2, open_at: 4, close_at: 1}}
"""

#: A bounded priority line that turns arrivals away, impatient customers, an extra lane,
#: and a quiet spell with no arrivals while the line drains.
BALK = """
name: balk
seed: 18
duration: 1h
products: [{name: trolley, checkout_time: {dist: gamma, shape: 2, scale: 40s}}]
segments:
  - {name: member, share: 1, priority: 0, patience: {dist: exponential, mean: 4m}}
  - {name: guest, share: 3, priority: 1, patience: {dist: exponential, mean: 6m}}
arrivals:
  pattern: schedule
  phases: [{until: 15m, rate: 150/h}, {until: 35m, rate: 0}, {until: 1h, rate: 60/h}]
queue: {kind: priority, capacity: 4, when_full: balk}
cashiers: {count: 1, scaling: {max: 3, open_at: 4, close_at: 1}}
"""

#: What each line scenario must show for its test to mean something (see replay_line).
EXERCISES: dict[str, set[str]] = {
    "docs": {"quiet minute with a line"},
    "door": {
        "held, then joined",
        "customer_reneged at the door",
        "customer_unserved at the door",
        "customer_reneged from the line",
        "customer_unserved from the line",
        "quiet minute with a line",
    },
    "balk": {"balked", "customer_reneged from the line", "quiet minute with a line"},
    "interrupted": {"held, then joined", "customer_unserved from the line", "customer_unserved at a till"},
}


def recipes() -> dict[str, str]:
    """Recipe name → its code, as written in the docs."""
    found = {match["name"]: match["code"] for match in RECIPE.finditer(DOC.read_text(encoding="utf-8"))}
    assert len(found) == 11, sorted(found)
    return found


def log_of(folder: Path, buffer: io.BytesIO, summary: Summary) -> tuple[Path, Summary, list[dict[str, Any]]]:
    """Save a log as run.jsonl in ``folder``; return the folder, the summary and the events."""
    (folder / "run.jsonl").write_bytes(buffer.getvalue())
    return folder, summary, parse(buffer.getvalue())


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Summary, list[dict[str, Any]]]:
    """A folder holding run.jsonl of the VIP scenario (two segments, one till), its summary and events."""
    buffer = io.BytesIO()
    summary = run(load_scenario(SCENARIOS / "vip_priority.yaml"), log=buffer)
    return log_of(tmp_path_factory.mktemp("analysis"), buffer, summary)


def interrupt_at_customer(number: int) -> Processor:
    """A structlog processor that sends this process SIGINT when customer ``number`` arrives."""

    def processor(logger: WrappedLogger, method: str, event: EventDict) -> EventDict:
        if event["event"] == "customer_arrived" and event["customer"] == number:
            signal.raise_signal(signal.SIGINT)  # the run's handler stops it between two events
        return event

    return processor


@pytest.fixture(scope="module")
def line_logs(
    tmp_path_factory: pytest.TempPathFactory, logged: tuple[Path, Summary, list[dict[str, Any]]]
) -> dict[str, tuple[Path, Summary, list[dict[str, Any]]]]:
    """The docs' log and three more: backpressure, balking, and an interrupted run."""
    logs = {"docs": logged}
    scenarios = tmp_path_factory.mktemp("line-scenarios")
    for name, text in (("door", DOOR), ("balk", BALK)):
        (scenarios / f"{name}.yaml").write_text(text)
        buffer = io.BytesIO()
        summary = run(load_scenario(scenarios / f"{name}.yaml"), log=buffer)
        logs[name] = log_of(tmp_path_factory.mktemp(name), buffer, summary)
    buffer = io.BytesIO()
    with pytest.raises(Interrupted) as stopped:
        run(load_scenario(scenarios / "door.yaml"), log=buffer, processors=[interrupt_at_customer(30)])
    logs["interrupted"] = log_of(tmp_path_factory.mktemp("interrupted"), buffer, stopped.value.summary)
    return logs


def replay_line(events: list[dict[str, Any]]) -> tuple[list[tuple[float, int]], Counter[str]]:
    """The line's length after each event, replayed customer by customer; and what happened.

    Independent of the recipes: it follows who is in the line, who is held at the door
    (an arrival that finds a ``when_full: wait`` line full; they get in at the first
    place that frees) and who is at a till, and checks every ``queue_length`` on the way.
    """
    queue = events[0]["config"]["queue"]
    capacity, held_at_door = queue["capacity"], queue["when_full"] == "wait"
    line: set[int] = set()
    at_till: set[int] = set()
    held: int | None = None
    turned_away: int | None = None
    seen: Counter[str] = Counter()
    after: list[tuple[float, int]] = []
    for event in events:
        kind: str = event["event"]
        customer: int = event.get("customer", 0)  # ids start at 1
        place_freed = False
        if kind == "customer_arrived":
            assert event["queue_length"] == len(line), event
            if capacity is not None and len(line) >= capacity:
                assert held is None, "one customer at most is held at the door"
                if held_at_door:
                    held = customer
                else:
                    turned_away = customer
            else:
                line.add(customer)
        elif kind == "customer_balked":
            assert customer == turned_away and event["queue_length"] == len(line), event
            turned_away = None
            seen["balked"] += 1
        elif kind == "checkout_started":
            line.remove(customer)
            at_till.add(customer)
            place_freed = True
        elif kind == "checkout_finished":
            at_till.remove(customer)
        elif kind in ("customer_reneged", "customer_unserved"):
            if customer == held:
                held = None
                seen[f"{kind} at the door"] += 1
            elif customer in line:
                line.remove(customer)
                seen[f"{kind} from the line"] += 1
                place_freed = True
            else:
                assert kind == "customer_unserved", event
                at_till.remove(customer)
                seen[f"{kind} at a till"] += 1
        if place_freed and held is not None:
            line.add(held)
            held = None
            seen["held, then joined"] += 1
        after.append((event["t"], len(line)))
    return after, seen


def lasting(after: list[tuple[float, int]]) -> list[tuple[float, int]]:
    """The length after the last event of each instant: the one that lasts until the next."""
    instants: list[tuple[float, int]] = []
    for t, length in after:
        if instants and instants[-1][0] == t:
            instants[-1] = (t, length)
        else:
            instants.append((t, length))
    return instants


def longest_per_minute(after: list[tuple[float, int]], elapsed: float) -> dict[int, int]:
    """For each minute of the run, the longest line that lasted in it, carried-in line included."""
    instants = lasting(after)
    times = [t for t, _ in instants]
    longest: dict[int, int] = {}
    for minute in range(math.ceil(elapsed / 60)):
        start, stop = 60.0 * minute, 60.0 * (minute + 1)
        carried_in = bisect.bisect_right(times, start) - 1  # the last instant at or before the start
        lengths = [instants[carried_in][1] if carried_in >= 0 else 0]
        end = bisect.bisect_left(times, stop)
        lengths += [length for t, length in instants[carried_in + 1 : end] if t < elapsed]
        longest[minute] = max(lengths)
    return longest


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_the_replayed_line_agrees_with_the_summary(
    line_logs: dict[str, tuple[Path, Summary, list[dict[str, Any]]]], name: str
) -> None:
    """The replay (the recipes' reference) gives the summary's maximum and mean line, and meets each case."""
    _, summary, events = line_logs[name]
    after, seen = replay_line(events)
    instants = lasting(after)
    area = sum(
        length * (until - t)
        for (t, length), (until, _) in zip(instants, [*instants[1:], (summary.elapsed, 0)], strict=True)
    )
    assert area / summary.elapsed == pytest.approx(summary.queue_length_mean, rel=1e-9)
    assert max(length for _, length in instants[:-1]) == summary.queue_length_max
    per_minute = longest_per_minute(after, summary.elapsed)
    assert max(per_minute.values()) == summary.queue_length_max
    busy = {math.floor(event["t"] / 60) for event in events}
    seen["quiet minute with a line"] = sum(1 for m, n in per_minute.items() if m not in busy and n > 0)
    assert EXERCISES[name] <= {case for case, count in seen.items() if count > 0}, seen
    assert events[-1]["interrupted"] is (name == "interrupted")


def line_recipe(tool: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> dict[int, int]:
    """Run the docs' line-per-minute recipe of ``tool`` on ``folder``/run.jsonl: minute → longest line."""
    monkeypatch.chdir(folder)
    if tool == "jq":
        if shutil.which("jq") is None:
            pytest.skip("jq is not installed (.ci/run installs it)")
        result = subprocess.run(
            ["bash", "-c", recipes()["jq line-per-minute"]], capture_output=True, text=True, check=True
        )
        return {row["minute"]: row["longest_line"] for row in json.loads(result.stdout)}
    if tool == "duckdb":
        duckdb = pytest.importorskip("duckdb")
        return dict(duckdb.sql(recipes()["duckdb line-per-minute"]).fetchall())
    pytest.importorskip(tool)
    space: dict[str, Any] = {}
    exec(recipes()[tool], space)
    table = space["line_per_minute"]
    rows = table.rows() if tool == "polars" else table.items()
    return {int(minute): int(length) for minute, length in rows}


@pytest.mark.parametrize("name", sorted(EXERCISES))
@pytest.mark.parametrize("tool", TOOLS)
def test_line_per_minute_recipes_give_every_minute_and_the_summary_maximum(
    line_logs: dict[str, tuple[Path, Summary, list[dict[str, Any]]]],
    monkeypatch: pytest.MonkeyPatch,
    tool: str,
    name: str,
) -> None:
    """Each tool's recipe gives every minute of the run as the replay does, and the summary's maximum."""
    folder, summary, events = line_logs[name]
    found = line_recipe(tool, folder, monkeypatch)
    assert sorted(found) == list(range(math.ceil(summary.elapsed / 60)))
    assert found == longest_per_minute(replay_line(events)[0], summary.elapsed)
    assert max(found.values()) == summary.queue_length_max


def assert_segment_waits(rows: list[tuple[str, int, float]], summary: Summary) -> None:
    assert [name for name, _, _ in rows] == sorted(summary.segments)
    for name, served, mean in rows:
        assert served == summary.segments[name].served
        assert mean == pytest.approx(summary.segments[name].wait_mean, rel=1e-9)


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed (.ci/run installs it)")
def test_jq_recipes(logged: tuple[Path, Summary, list[dict[str, Any]]]) -> None:
    """The jq recipes give per-segment waits and busy fractions."""
    folder, summary, _ = logged

    def jq(name: str) -> Any:
        result = subprocess.run(
            ["bash", "-c", recipes()[name]], cwd=folder, capture_output=True, text=True, check=True
        )
        return json.loads(result.stdout)

    segments = jq("jq wait-per-segment")
    assert_segment_waits([(s["segment"], s["served"], s["mean_wait"]) for s in segments], summary)
    busy = jq("jq utilisation")
    assert [row["cashier"] for row in busy] == [1]
    assert busy[0]["busy"] == pytest.approx(summary.utilisation, rel=1e-9)


def test_duckdb_recipes_and_column_types(
    logged: tuple[Path, Summary, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """read_json_auto gives proper types (no dates), and the SQL recipes match the summary."""
    duckdb = pytest.importorskip("duckdb")
    folder, summary, _ = logged
    monkeypatch.chdir(folder)
    described = duckdb.sql("DESCRIBE SELECT * FROM read_json_auto('run.jsonl', sample_size = -1)").fetchall()
    types = {row[0]: row[1] for row in described}
    assert types["t"] == "DOUBLE" and types["wait"] == "DOUBLE" and types["service"] == "DOUBLE"
    assert (
        types["customer"] == "BIGINT" and types["cashier"] == "BIGINT" and types["queue_length"] == "BIGINT"
    )
    assert not any(kind.startswith(("DATE", "TIME", "TIMESTAMP")) for kind in types.values())
    assert_segment_waits(duckdb.sql(recipes()["duckdb wait-per-segment"]).fetchall(), summary)
    busy = duckdb.sql(recipes()["duckdb utilisation"]).fetchall()
    assert [cashier for cashier, _ in busy] == [1]
    assert busy[0][1] == pytest.approx(summary.utilisation, rel=1e-9)


def test_duckdb_runs_a_saved_query_from_python(
    logged: tuple[Path, Summary, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The docs' Python lines run a query saved to a file, as the docs say to."""
    duckdb = pytest.importorskip("duckdb")
    folder, _, _ = logged
    monkeypatch.chdir(folder)
    query = recipes()["duckdb line-per-minute"]
    (folder / "line-per-minute.sql").write_text(query, encoding="utf-8")
    space: dict[str, Any] = {}
    exec(recipes()["duckdb from-python"], space)
    assert space["rows"] == duckdb.sql(query).fetchall()
    assert len(space["rows"]) == 248  # one row per minute of the VIP run (14,873 s)


def test_pandas_recipe_and_column_types(
    logged: tuple[Path, Summary, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """read_json(lines=True) reads no dates and keeps whole numbers whole; the recipe matches."""
    pytest.importorskip("pandas")
    folder, summary, _ = logged
    monkeypatch.chdir(folder)
    space: dict[str, Any] = {}
    exec(recipes()["pandas"], space)
    log = space["log"]
    assert not [c for c, kind in log.dtypes.items() if "datetime" in str(kind)]
    assert str(log.dtypes["t"]) == "Float64" and str(log.dtypes["customer"]) == "Int64"
    table = space["wait_per_segment"]
    assert_segment_waits(
        [(name, int(row["count"]), float(row["mean"])) for name, row in table.iterrows()], summary
    )
    assert float(space["utilisation"].loc[1]) == pytest.approx(summary.utilisation, rel=1e-9)


def test_polars_recipe_and_column_types(
    logged: tuple[Path, Summary, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """read_ndjson gives Float64 times and Int64 ids, no dates; the recipe matches."""
    pl = pytest.importorskip("polars")
    folder, summary, _ = logged
    monkeypatch.chdir(folder)
    space: dict[str, Any] = {}
    exec(recipes()["polars"], space)
    schema = space["log"].schema
    assert schema["t"] == pl.Float64 and schema["customer"] == pl.Int64 and schema["wait"] == pl.Float64
    assert not any(kind in (pl.Date, pl.Datetime) for kind in schema.values())
    assert_segment_waits(space["wait_per_segment"].rows(), summary)
    assert space["utilisation"].rows()[0][0] == 1
    assert space["utilisation"].rows()[0][1] == pytest.approx(summary.utilisation, rel=1e-9)


# --- the event-log promise (README and docs/analysis.md) ------------------------------

IDENTIFIER = re.compile(r"`([a-z_][a-z0-9_]*)`")
#: A field marked as present only when the scenario uses a setting: "`warmup` (only with ...".
OPTIONAL = re.compile(r"`([a-z_][a-z0-9_]*)` \(only with ")
NULLABLE = re.compile(r"A listed field is `null` only (?P<clause>[^.]*)\.")


def _event_log_section() -> str:
    """The README's section on the event log."""
    return README.read_text(encoding="utf-8").split("## The event log", 1)[1].split("\n## ", 1)[0]


def _event_rows(section: str) -> list[tuple[str, str]]:
    """(event, the text of its fields) for each event in the section's table."""
    rows = re.findall(r"^\| (`.+?) \| (.*) \|$", section, re.M)
    return [(event, text) for names, text in rows for event in IDENTIFIER.findall(names)]


def readme_event_fields() -> dict[str, set[str]]:
    """Event → its fields besides ``t`` and ``event``, read from the README's event table."""
    section = _event_log_section()
    fields = {event: set(IDENTIFIER.findall(text)) for event, text in _event_rows(section)}
    summary = re.search(r"^`run_finished` fields: (.*?)\n\n", section, re.M | re.S)
    assert summary is not None, "the README lists run_finished's fields"
    fields["run_finished"] = set(IDENTIFIER.findall(summary[1]))
    assert len(fields) == 18 and fields["run_finished"] >= {"queue_length_max", "segments"}, fields
    return fields


def readme_lane_fields() -> dict[str, set[str]]:
    """Event → the fields its README row marks as present only with lanes."""
    return {
        event: set(re.findall(r"`([a-z_]+)` \(only with lanes", text))
        for event, text in _event_rows(_event_log_section())
    }


def readme_optional_fields() -> set[str]:
    """The run_finished fields the README marks as present only when a setting is used."""
    text = README.read_text(encoding="utf-8")
    summary = re.search(r"^`run_finished` fields: (.*?)\n\n", text, re.M | re.S)
    assert summary is not None
    return set(OPTIONAL.findall(" ".join(summary[1].split())))


def nullable_fields(path: Path) -> set[str]:
    """The fields that the document says may be null."""
    found = NULLABLE.search(" ".join(path.read_text(encoding="utf-8").split()))
    assert found is not None, f"{path.name} says which listed fields may be null"
    return set(IDENTIFIER.findall(found["clause"]))


ABSENT_NOT_NULL = "A field that does not apply to an event is absent, never `null`"


def test_readme_and_analysis_make_the_same_promise() -> None:
    """Both documents say that inapplicable fields are absent, and name the same nullable fields."""
    for path in (README, DOC):
        text = " ".join(path.read_text(encoding="utf-8").split())
        assert ABSENT_NOT_NULL in text, path.name
        assert "rather than a missing key" not in text and "(read as null)" not in text, path.name
    assert nullable_fields(README) == nullable_fields(DOC)


ONE_SHOT = "{pattern: batch, every: 1m, size: 1, limit: 1}"
PROMISE_RUNS: dict[str, tuple[str, list[str], int]] = {
    **{path.stem: (path.name, [], 1) for path in sorted(SCENARIOS.glob("*.yaml"))},
    "closing time": (
        "corner_shop.yaml",
        ["drain=false", "products.0.checkout_time=30s", "arrivals.rate=150/h"],
        1,
    ),
    "no customers": ("corner_shop.yaml", ["arrivals.rate=1/d", "duration=10m"], 1),
    "no time": (
        "corner_shop.yaml",
        ["duration=null", f"arrivals={ONE_SHOT}", "products.0.checkout_time=0"],
        1,
    ),
    "replications": ("corner_shop.yaml", ["duration=10m"], 2),
    "wall clock": ("corner_shop.yaml", ["duration=10m", "clock=realtime", "speed=100000"], 1),
    "service level": (
        "hypermarket.yaml",
        ["service_level.target=2m", "duration=2h", "intervals=30m", "costs={staff_per_hour: 18}"],
        1,
    ),
    "service level, nobody": (
        "corner_shop.yaml",
        ["arrivals.rate=1/d", "duration=10m", "service_level.target=0s"],
        1,
    ),
}
WAIT_FIGURES = ("wait_mean", "wait_sd", "wait_p50", "wait_p90", "wait_p99", "wait_max")


@pytest.mark.parametrize("name", sorted(PROMISE_RUNS))
def test_each_event_has_exactly_the_fields_the_readme_lists(name: str) -> None:
    """Each event of a real log has exactly its README fields, each of one type, null only where allowed."""
    source, changes, replications = PROMISE_RUNS[name]
    buffer = io.BytesIO()
    scenario = load_scenario(SCENARIOS / source, changes)
    replicate(scenario, replications, log=buffer, item_events=True)
    listed, nullable = readme_event_fields(), nullable_fields(README)
    extra = {"run"} if replications > 1 else set()
    events = parse(buffer.getvalue())
    types: dict[str, set[type]] = {}
    optional = readme_optional_fields()
    money = {"staff_cost", "lost_cost", "lost_sales", "revenue", "total_cost"}
    assert optional == {
        "warmup",
        "realtime_lag_max",
        "lanes",
        "jockeyed",
        "service_level",
        "intervals",
        *money,
    }
    per_till = any(lane.line == "per_till" for lane in scenario.lanes or ())
    used = {"warmup"} if scenario.warmup else set()
    used |= {"realtime_lag_max"} if scenario.clock == "realtime" else set()
    used |= {"lanes"} if scenario.lanes is not None else set()
    used |= {"jockeyed"} if any(scenario.may_switch(s) for s in scenario.segments) else set()
    used |= {"service_level"} if scenario.service_level is not None else set()
    used |= {"intervals"} if scenario.intervals is not None else set()
    used |= money if scenario.costs is not None else set()
    lane_fields = readme_lane_fields()
    assert lane_fields["checkout_started"] == {"lane"}
    for event in events:
        unused = optional - used if event["event"] == "run_finished" else set()
        if scenario.lanes is None:
            unused |= lane_fields.get(event["event"], set())
        if not per_till and event["event"] in ("customer_arrived", "customer_admitted"):
            unused.add("till")
        assert set(event) == {"t", "event", *(listed[event["event"]] - unused), *extra}, event
        assert {key for key, value in event.items() if value is None} <= nullable, event
        for key, value in event.items():
            if value is not None:
                types.setdefault(key, set()).add(type(value))
    assert {key: kinds for key, kinds in types.items() if len(kinds) > 1} == {}
    assert all(e["config"] == scenario.logged() for e in events if e["event"] == "run_started")
    summaries = [event for event in events if event["event"] == "run_finished"]
    assert len(summaries) == replications
    for summary in summaries:
        for figures in (summary, *summary["segments"].values()):
            assert {key for key, value in figures.items() if value is None} <= nullable, figures
            assert all((figures[key] is None) == (figures["served"] == 0) for key in WAIT_FIGURES), figures
        assert (summary["wait_mean_all"] is None) == (summary["arrived"] == 0)
        assert (summary["utilisation"] is None) == (summary["elapsed"] == 0)
        assert (summary["throughput_per_hour"] is None) == (summary["elapsed"] == 0)
    kinds = {event["event"] for event in events}
    if name == "black_friday":
        assert {"customer_balked", "customer_reneged", "item_scanned", "cashier_closed"} <= kinds
    if name == "closing time":
        assert "customer_unserved" in kinds
    if name == "no customers":
        assert summaries[0]["arrived"] == 0 and summaries[0]["wait_mean"] is None
    if name == "no time":
        assert summaries[0]["elapsed"] == 0 and summaries[0]["utilisation"] is None


# --- the Quick start's output -----------------------------------------------------------


def test_git_ignores_the_quick_start_log() -> None:
    """The file that the Quick start writes at the repository's root is ignored by git."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    quick_start = README.read_text(encoding="utf-8").split("## Quick start", 1)[1].split("\n## ", 1)[0]
    written = re.findall(r"run-scenario \S+ > (\S+)", quick_start)
    assert written == ["black_friday.jsonl"]
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", "--quiet", written[0]], cwd=ROOT, check=False
    )
    assert result.returncode == 0, f"git does not ignore {written[0]}"
