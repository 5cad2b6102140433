"""Every event is defined once, in observe/events.py: the engine, the README and the reader agree with it."""

from __future__ import annotations

import ast
import dataclasses
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from checkout_sim import Scenario, load_scenario, parse_scenario, replicate, run
from checkout_sim.cli import main
from checkout_sim.observe.events import EVENTS, RECORDS, SEGMENT_FIGURES, check_event, event_name
from conftest import ROOT, SCENARIOS
from logcheck import parse

SOURCE = ROOT / "src" / "checkout_sim"


@dataclass(frozen=True)
class Built:
    """One place the package builds an event: the fields every such line has, and those it may have."""

    path: Path
    line: int
    function: str
    name: str
    always: frozenset[str]
    maybe: frozenset[str] = frozenset()  # a feature's fields, written only when the run uses it


class Unresolved(AssertionError):
    """A `**` the test cannot see through: teach it, rather than leave the event unchecked."""


@dataclass
class Package:
    """The package's source: every function (with its file) and every call, for following `**`."""

    functions: dict[str, list[tuple[Path, ast.FunctionDef | ast.AsyncFunctionDef]]] = field(
        default_factory=dict
    )
    calls: list[tuple[Path, ast.Call]] = field(default_factory=list)
    trees: dict[Path, ast.Module] = field(default_factory=dict)

    @classmethod
    def read(cls) -> Package:
        package = cls()
        for path in sorted(SOURCE.rglob("*.py")):
            tree = package.trees[path] = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    package.functions.setdefault(node.name, []).append((path, node))
                elif isinstance(node, ast.Call):
                    package.calls.append((path, node))
        return package


def _summary_fields() -> tuple[frozenset[str], frozenset[str]]:
    """What Summary.to_dict writes: (always, only with a feature), from the dataclass and its two lists."""
    from checkout_sim.observe import summary

    names = {f.name for f in dataclasses.fields(summary.Summary)} - summary._NOT_LOGGED
    return frozenset(names - summary._FEATURES), frozenset(names & summary._FEATURES)


def _unpacked(
    package: Package,
    expr: ast.expr,
    path: Path,
    function: ast.FunctionDef | ast.AsyncFunctionDef | None,
    seen: frozenset[str],
) -> tuple[frozenset[str], frozenset[str]]:
    """The keys a `**expr` adds, (always, maybe); Unresolved when the test cannot tell.

    A dict literal gives its keys; `x.to_dict()` the summary's fields; a name assigned
    once in the function, what it is assigned; a parameter of the function, whatever
    every caller of that function passes for it.
    """
    where = f"{path.name}:{expr.lineno}"
    if isinstance(expr, ast.Dict):
        always: set[str] = set()
        maybe: set[str] = set()
        for key, value in zip(expr.keys, expr.values, strict=True):
            if key is None:
                more, optional = _unpacked(package, value, path, function, seen)
                always |= more
                maybe |= optional
            elif isinstance(key, ast.Constant) and isinstance(key.value, str):
                always.add(key.value)
            else:
                raise Unresolved(f"{where}: a key that is not a string literal")
        return frozenset(always), frozenset(maybe)
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "to_dict":
        owners = [p for p, f in package.functions.get("to_dict", []) if p.name == "summary.py"]
        if len(package.functions.get("to_dict", [])) != 1 or not owners:
            raise Unresolved(f"{where}: to_dict is no longer Summary's alone")
        return _summary_fields()
    if isinstance(expr, ast.Name) and function is not None:
        assigned = [
            node.value
            for node in ast.walk(function)
            if isinstance(node, ast.Assign | ast.AnnAssign)
            and any(isinstance(t, ast.Name) and t.id == expr.id for t in _targets(node))
        ]
        if len(assigned) == 1 and assigned[0] is not None:  # `fields = {...}` once, in the same function
            return _unpacked(package, assigned[0], path, function, seen)
    if isinstance(expr, ast.Name) and function is not None and function.name not in seen:
        parameters = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
        if expr.id in parameters:
            return _passed(package, function, expr.id, where=where, seen=seen)
    raise Unresolved(f"{where}: cannot tell what `**{ast.unparse(expr)}` holds")


def _targets(node: ast.Assign | ast.AnnAssign) -> list[ast.expr]:
    return node.targets if isinstance(node, ast.Assign) else [node.target]


def _passed(
    package: Package,
    function: ast.FunctionDef | ast.AsyncFunctionDef,
    parameter: str,
    *,
    where: str,
    seen: frozenset[str],
) -> tuple[frozenset[str], frozenset[str]]:
    """What every call of ``function`` passes as ``parameter``: the same keys at every call, or Unresolved."""
    parameters = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
    index = parameters.index(parameter) - (parameters[0] in ("self", "cls"))  # a method's caller omits self
    found: set[tuple[frozenset[str], frozenset[str]]] = set()
    for path, call in package.calls:
        called = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", None)
        if called != function.name:
            continue
        if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
            raise Unresolved(f"{where}: {path.name}:{call.lineno} calls {function.name} with * or **")
        given = {k.arg: k.value for k in call.keywords}
        argument = call.args[index] if index < len(call.args) else given.get(parameter)
        if argument is None:
            raise Unresolved(f"{where}: {path.name}:{call.lineno} gives no {parameter}")
        found.add(_unpacked(package, argument, path, None, seen | {function.name}))
    if len(found) != 1:
        raise Unresolved(f"{where}: the callers of {function.name} pass {len(found)} kinds of {parameter}")
    return found.pop()


def built_events() -> list[Built]:
    """Every event the package builds, with every field, `**` unpacked included."""
    package = Package.read()
    found: list[Built] = []
    for path, tree in package.trees.items():
        owners = {
            id(node): function
            for function in ast.walk(tree)
            if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
            for node in ast.walk(function)
        }  # inner functions come later in the walk, so each node ends up with its nearest one
        for node in ast.walk(tree):
            function = owners.get(id(node))
            name_of = function.name if function is not None else "<module>"
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if (
                        isinstance(key, ast.Constant)
                        and key.value == "event"
                        and isinstance(value, ast.Constant)
                    ):
                        always, maybe = _unpacked(package, node, path, function, frozenset())
                        found.append(
                            Built(
                                path, node.lineno, name_of, str(value.value), always - {"t", "event"}, maybe
                            )
                        )
            elif isinstance(node, ast.Call) and _called(node) in ("emit", "record") and node.args:
                first = node.args[0]
                names: list[ast.expr] = [first] if isinstance(first, ast.Constant) else []
                if isinstance(first, ast.IfExp):  # "customer_reneged" if reneged else "customer_unserved"
                    names = [first.body, first.orelse]
                given = {keyword.arg for keyword in node.keywords if keyword.arg is not None}
                sometimes: set[str] = set()
                for keyword in node.keywords:
                    if keyword.arg is None:
                        more, optional = _unpacked(package, keyword.value, path, function, frozenset())
                        given |= more
                        sometimes |= optional
                for name in names:
                    if isinstance(name, ast.Constant) and isinstance(name.value, str):
                        found.append(
                            Built(
                                path, node.lineno, name_of, name.value, frozenset(given), frozenset(sometimes)
                            )
                        )
    return found


def _called(node: ast.Call) -> str | None:
    function = node.func
    if isinstance(function, ast.Attribute):
        return function.attr
    return function.id if isinstance(function, ast.Name) else None


#: The fields a sweep adds to each run's run_finished (README: `{"t", "event": "run_finished",
#: "variant", "settings", "run", …summary}`), and the replication number any line may carry.
SWEEP_FIELDS = frozenset({"variant", "settings"})
RUN_FIELD = "run"


def test_events_are_built_only_from_their_records() -> None:
    """The engine builds no line itself: every event is a record (events.py) made by the recorder.

    Of the dict literals and emit calls in the package, only the sweep's run line is left
    (its `**summary` followed to the summary's fields); every record class is made in the
    recorder, which each method of the engine's goes through. That each line then has
    exactly its fields, for the settings a run uses, is checked on real logs below.
    """
    found = built_events()
    assert [(built.path.name, built.function, built.name) for built in found] == [
        ("events.py", "sweep_run", "run_finished")
    ]
    (line,) = found
    summary_fields = {f.name for f in EVENTS["run_finished"].fields}
    assert line.always | line.maybe == summary_fields | SWEEP_FIELDS | {RUN_FIELD}
    assert line.maybe == {f.name for f in EVENTS["run_finished"].fields if f.only_with is not None}
    made: set[str] = set()  # called, or given to make: in the recorder, or the engine's hottest spots
    for path in [SOURCE / "observe" / "recorder.py", *(SOURCE / "engine").glob("*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        made |= {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    assert {record.__name__ for record in RECORDS} <= made
    assert {event_name(record) for record in RECORDS} == set(EVENTS)
    for path in (SOURCE / "engine").glob("*.py"):  # the engine writes through the recorder alone
        source = path.read_text(encoding="utf-8")
        assert ".emit(" not in source and ".record(" not in source, path.name


def test_the_readme_table_lists_every_event_with_its_fields() -> None:
    """The README's event table and run_finished paragraph give exactly the fields events.py defines."""
    from test_analysis_docs import readme_event_fields

    defined = {name: {field.name for field in event.fields} for name, event in EVENTS.items()}
    assert readme_event_fields() == defined


def test_every_line_of_real_logs_passes_the_readers_check() -> None:
    """Logs of every shipped scenario (items, warm-up, replications): check_event refuses no line."""
    for path in sorted(SCENARIOS.glob("*.yaml")):
        buffer = io.BytesIO()
        shorter = ["closes_at=null", "duration=2h", "warmup=10m"]  # a day that closes by the clock, too
        replicate(load_scenario(path, shorter), 2, log=buffer, item_events=True)
        events = parse(buffer.getvalue())
        assert {event["event"] for event in events} >= {"run_started", "warmup_ended", "run_finished"}
        assert [check_event(event) for event in events if check_event(event) is not None] == []


# Between them these scenarios write every event, and every field both where its setting
# is used and where it is not: lanes, a line at each till, switching, assistance,
# warm-up, the wall clock, items, replications.
EVERY_EVENT = """
name: every-event
seed: 5
clock: realtime
speed: 1e9
duration: 1h
drain: false
products: [{name: bread, checkout_time: {dist: exponential, mean: 40s}}]
segments:
  - {name: weekly, share: 1, patience: {dist: exponential, mean: 4min}, jockey: {min_gain: 2, move_time: 5s}}
  - {name: quick, share: 1, prefer: [kiosks, tills]}
arrivals: {pattern: poisson, rate: 6/min}
lanes:
  - {name: tills, count: 2, line: per_till, queue: {capacity: 3, when_full: wait}}
  - name: kiosks
    count: 1
    queue: {capacity: 2, when_full: wait}
    segments: [quick]
    attendants: 1
    assist: {probability: 0.3, time: 20s}
"""

NO_LANES = """
name: no-lanes
seed: 2
duration: 1h
warmup: 5min
drain: false
products: [{name: bread, checkout_time: {dist: exponential, mean: 50s}}]
segments: [{name: regular, patience: {dist: exponential, mean: 3min}}]
arrivals: {pattern: poisson, rate: 2/min}
queue: {capacity: 3, when_full: balk}
cashiers: {count: 1, scaling: {max: 2, open_at: 2, close_at: 0}}
intervals: 15m
"""

SHARED_LINES = """
name: shared-lines
seed: 3
duration: 30min
products: [{name: bread, checkout_time: {dist: exponential, mean: 50s}}]
arrivals: {pattern: poisson, rate: 3/min}
lanes: [{name: tills, count: 2, queue: {capacity: 2, when_full: wait}}]
"""

STAFFED = """
name: staffed
seed: 5
duration: 1h
products: [{name: bread, checkout_time: {dist: exponential, mean: 40s}}]
arrivals: {pattern: poisson, rate: 5/min}
lanes:
  - name: tills
    line: per_till
    roster: [{from: 0, open: 3}, {from: 20min, open: 4}, {from: 40min, open: 2}]
    on_close: move
    breaks: {every: 10min, length: 2min}
    scaling: {max: 6, open_at: 3}
"""

#: (scenario, replications, --items)
RUNS = [(EVERY_EVENT, 1, False), (NO_LANES, 2, True), (SHARED_LINES, 1, False), (STAFFED, 1, False)]


def settings_used(scenario: Scenario, *, items: bool) -> frozenset[str]:
    """The settings (events.py's ``only_with`` names) this scenario and option use, read off the scenario."""
    lanes = scenario.lanes or []
    used = {"lanes"} if scenario.lanes is not None else set()
    if any(lane.line == "per_till" for lane in lanes):
        used.add("per_till")
        if any(segment.jockey is not None for segment in scenario.segments):
            used.add("jockey")
    if any(lane.assist is not None for lane in lanes):
        used.add("assist")
    if any(lane.roster is not None or lane.breaks is not None for lane in scenario.tills()):
        used.add("staffing")
    if any(lane.on_close == "move" and lane.line == "per_till" for lane in lanes):
        used.add("on_close")
    if scenario.warmup > 0:
        used.add("warmup")
    if scenario.clock == "realtime":
        used.add("realtime")
    if scenario.service_level is not None:
        used.add("service_level")
    if scenario.intervals is not None:
        used.add("intervals")
    if scenario.costs is not None:
        used.add("costs")
    if items:
        used.add("--items")
    return frozenset(used)


def check_fields(
    lines: list[dict[str, Any]], used: frozenset[str], extra: frozenset[str], seen: set[tuple[str, str]]
) -> None:
    """Each line has exactly its event's fields for these settings (and ``extra``); note what was seen."""
    for line in lines:
        event = EVENTS[line["event"]]
        assert event.only_with is None or event.only_with in used, line
        expected = {"t", "event", *event.names(used=used), *extra}
        assert set(line) == expected, (line["event"], sorted(set(line) ^ expected))
        assert [name for name in line if name not in extra][2:] == event.names(used=used), line  # in order
        seen.update((line["event"], name) for name in line)
        if event.name == "run_finished":
            for name, figures in line["segments"].items():
                graded = ["service_level"] if "service_level" in used else []
                assert list(figures) == [f.name for f in SEGMENT_FIGURES] + graded, name


def test_every_event_a_run_writes_has_exactly_its_defined_fields() -> None:
    """Runs that write every event, each line checked against events.py's fields for the settings used.

    customer_jockeyed and run_finished (built with `**`) included; a field that needs a
    setting must appear exactly when the scenario uses it. Every field of every event
    is seen at least once, and each setting-bound field is also seen absent.
    """
    seen: set[tuple[str, str]] = set()
    absent: set[tuple[str, str]] = set()
    names: set[str] = set()
    logs = []
    for text, runs, items in RUNS:
        scenario = parse_scenario(text)
        buffer = io.BytesIO()
        replicate(scenario, runs, log=buffer, item_events=items)
        logs.append((scenario, items, frozenset({RUN_FIELD} if runs > 1 else ()), parse(buffer.getvalue())))
    hypermarket = load_scenario(
        SCENARIOS / "hypermarket.yaml",
        [
            "duration=30min",
            "warmup=5min",
            "service_level.target=1m",
            "intervals=10m",
            "costs={staff_per_hour: 18, lost_customer: 20}",
        ],
    )
    buffer = io.BytesIO()
    run(hypermarket, log=buffer, item_events=True)
    logs.append((hypermarket, True, frozenset(), parse(buffer.getvalue())))
    for scenario, items, extra, lines in logs:
        check_fields(lines, settings_used(scenario, items=items), extra, seen)
        names |= {line["event"] for line in lines}
        absent |= {(line["event"], f.name) for line in lines for f in EVENTS[line["event"]].fields} - {
            (line["event"], name) for line in lines for name in line
        }
    assert names == set(EVENTS)
    everything = {(name, f.name) for name, event in EVENTS.items() for f in event.fields}
    assert everything <= seen, sorted(everything - seen)
    sometimes = {(name, f.name) for name, event in EVENTS.items() for f in event.fields if f.only_with}
    assert sometimes <= absent, sorted(sometimes - absent)


def test_a_sweeps_lines_have_the_summarys_fields_and_the_sweeps_own(
    capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--sweep: each run_finished has the run's fields for its settings, plus variant, settings and run."""
    path = tmp_path / "every.yaml"
    path.write_text(EVERY_EVENT, encoding="utf-8")
    args = [
        str(path),
        "--set",
        "clock=virtual",
        "--sweep",
        "lanes.1.count=1,2",
        "--replications",
        "2",
        "--jobs",
        "1",
    ]
    assert main([*args, "--quiet"]) == 0
    lines = parse(capfd.readouterr().out.encode())
    assert [(line["variant"], line["run"]) for line in lines] == [(1, 1), (1, 2), (2, 1), (2, 2)]
    scenario = load_scenario(path, ["clock=virtual"])
    check_fields(lines, settings_used(scenario, items=False), SWEEP_FIELDS | {RUN_FIELD}, set())
