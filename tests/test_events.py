"""Every event is defined once, in observe/events.py: the engine, the README and the reader agree with it."""

from __future__ import annotations

import ast
import io
from pathlib import Path

from checkout_sim import load_scenario, replicate
from checkout_sim.observe.events import EVENTS, check_event
from conftest import ROOT, SCENARIOS
from logcheck import parse

SOURCE = ROOT / "src" / "checkout_sim"


def built_events() -> list[tuple[Path, int, str, set[str] | None]]:
    """Every event the package builds: (file, line, event name, its field names or None when unpacked)."""
    found: list[tuple[Path, int, str, set[str] | None]] = []
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict):
                keys = {str(key.value) for key in node.keys if isinstance(key, ast.Constant)}
                for key, value in zip(node.keys, node.values, strict=True):
                    if (
                        isinstance(key, ast.Constant)
                        and key.value == "event"
                        and isinstance(value, ast.Constant)
                    ):
                        fields = None if None in node.keys else keys - {"t", "event"}
                        found.append((path, node.lineno, str(value.value), fields))
            elif isinstance(node, ast.Call) and _called(node) in ("emit", "record") and node.args:
                first = node.args[0]
                names: list[ast.expr] = [first] if isinstance(first, ast.Constant) else []
                if isinstance(first, ast.IfExp):  # "customer_reneged" if reneged else "customer_unserved"
                    names = [first.body, first.orelse]
                unpacked = any(keyword.arg is None for keyword in node.keywords)
                given = {keyword.arg for keyword in node.keywords if keyword.arg is not None}
                for name in names:
                    if isinstance(name, ast.Constant) and isinstance(name.value, str):
                        found.append((path, node.lineno, name.value, None if unpacked else given))
    return found


def _called(node: ast.Call) -> str | None:
    function = node.func
    if isinstance(function, ast.Attribute):
        return function.attr
    return function.id if isinstance(function, ast.Name) else None


def test_the_engine_builds_only_defined_events_with_exactly_their_fields() -> None:
    """Each event literal and emit call in the package names a defined event and gives exactly its fields."""
    found = built_events()
    assert {name for _, _, name, _ in found} == set(EVENTS), "every event is written somewhere, and no other"
    for path, line, name, fields in found:
        event = EVENTS[name]
        if fields is not None:
            allowed = {field.name for field in event.fields}
            required = {field.name for field in event.fields if field.only_with is None}
            assert required <= fields <= allowed, f"{path.name}:{line}: {name} {sorted(fields)}"


def test_the_readme_table_lists_every_event_with_its_fields() -> None:
    """The README's event table and run_finished paragraph give exactly the fields events.py defines."""
    from test_analysis_docs import readme_event_fields

    defined = {name: {field.name for field in event.fields} for name, event in EVENTS.items()}
    assert readme_event_fields() == defined


def test_every_line_of_real_logs_passes_the_readers_check() -> None:
    """Logs of every shipped scenario (items, warm-up, replications): check_event refuses no line."""
    for path in sorted(SCENARIOS.glob("*.yaml")):
        buffer = io.BytesIO()
        replicate(load_scenario(path, ["duration=2h", "warmup=10m"]), 2, log=buffer, item_events=True)
        events = parse(buffer.getvalue())
        assert {event["event"] for event in events} >= {"run_started", "warmup_ended", "run_finished"}
        assert [check_event(event) for event in events if check_event(event) is not None] == []
