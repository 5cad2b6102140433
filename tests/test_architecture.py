"""The package's structure: no circle of imports, the layers in order, the engine writes no tally.

Imports are read from the source (every ``import`` and ``from … import``, those under
``TYPE_CHECKING`` and inside functions included), so a circle hidden behind type-only
imports is found too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "src" / "checkout_sim"


def _module(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module(path): path for path in PACKAGE.rglob("*.py")}


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules ``name`` imports (a name imported from a package counts as its module
    when it is one, else as the package)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                if f"{target}.{alias.name}" in modules:
                    found.add(f"{target}.{alias.name}")
                elif target in modules:
                    found.add(target)
    found.discard(name)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle of imports among modules (package ``__init__`` files left out), or None."""
    nodes = {name for name in graph if not PACKAGE.joinpath(*name.split(".")[1:], "__init__.py").exists()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for child in sorted(graph[node] & nodes):
            if state.get(child) == 1:
                return [*stack[stack.index(child) :], child]
            if child not in state and (found := visit(child)) is not None:
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(nodes):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def test_the_graph_is_read() -> None:
    """The reader sees real edges (the test below would pass on an empty graph)."""
    graph = _graph()
    assert "checkout_sim.engine.lanes" in graph["checkout_sim.engine.door"]
    assert "checkout_sim.observe.recorder" in graph["checkout_sim.engine.till"]
    assert "checkout_sim.engine.customers" in graph["checkout_sim.observe.recorder"]  # type-only


def test_the_cycle_finder_finds_a_circle() -> None:
    graph = {
        "checkout_sim.a": {"checkout_sim.b"},
        "checkout_sim.b": {"checkout_sim.c"},
        "checkout_sim.c": {"checkout_sim.a"},
    }
    assert _cycle(graph) == ["checkout_sim.a", "checkout_sim.b", "checkout_sim.c", "checkout_sim.a"]


def test_no_circle_of_imports() -> None:
    assert _cycle(_graph()) is None


@pytest.mark.parametrize(
    ("layer", "below"),
    [
        ("config", {"config"}),
        ("engine", {"config", "engine", "observe"}),
        ("observe", {"config", "observe", "engine"}),  # the recorder names the engine's Customer (type only)
        # a sweep runs its variants with runner.run (runner imports no analysis: no circle)
        ("analysis", {"config", "engine", "observe", "analysis", "runner"}),
    ],
)
def test_each_layer_imports_only_what_is_below_it(layer: str, below: set[str]) -> None:
    for name, imported in _graph().items():
        if name.startswith(f"checkout_sim.{layer}."):
            for target in imported:
                part = target.split(".")[1]
                assert part in below, f"{name} imports {target}"


def test_observe_names_the_engine_only_for_types() -> None:
    """observe/ may name the engine's types, never run its code (it sits beside it, not above)."""
    for path in (PACKAGE / "observe").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        guarded = {
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
            for inner in ast.walk(node)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.ImportFrom)
                and node.level == 2
                and (node.module or "").startswith("engine")
            ):
                assert id(node) in guarded, f"{path.name}:{node.lineno} imports the engine at run time"


def test_the_engine_writes_no_tally() -> None:
    """Figures are kept by the recorder and the tallies (observe/): the engine only tells what happened."""
    for path in (PACKAGE / "engine").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute):
                assert node.attr not in {"tally", "group_tallies"}, f"{path.name}:{node.lineno}: .{node.attr}"


def test_type_ignore_only_in_the_clock_module() -> None:
    """asyncio's private parts are named in engine/clock.py alone, and only there may typing give way."""
    found = [
        f"{path.relative_to(PACKAGE)}:{number}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "type: ignore" in line and path != PACKAGE / "engine" / "clock.py"
    ]
    assert found == []
    assert "type: ignore" in (PACKAGE / "engine" / "clock.py").read_text(
        encoding="utf-8"
    )  # the check sees them
