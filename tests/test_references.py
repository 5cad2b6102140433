"""What the docs, the configuration and the docstrings point at exists.

Files move (the engine became a package) and examples get renamed; a reference left
behind sends a reader to nothing: ``src/checkout_sim/theory.py`` after the move to
``analysis/``, ``split.yaml`` used in the README but never shipped, a ruff ignore for a
deleted file, a docstring naming ``~._line.Line``.
"""

from __future__ import annotations

import ast
import importlib
import re
import tomllib
from pathlib import Path

import pytest

from checkout_sim.cli import _parser

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "checkout_sim"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

#: A file name in backticks: `analysis/theory.py`, `scenarios/bank.yaml`, `bank.yaml`.
QUOTED_FILE = re.compile(r"`([A-Za-z0-9_./-]+\.(?:py|yaml|json|md))`")
#: A scenario a documented command runs.
COMMAND_FILE = re.compile(r"run-scenario ([A-Za-z0-9_./-]+\.yaml)")
#: A Sphinx role naming something by a dotted path: :class:`~.summary.Summary`.
ROLE = re.compile(r":(?:mod|class|func|meth|attr|data):`~?([A-Za-z0-9_.]+)`")


def _exists(name: str) -> bool:
    """A path from the project's root, from the package, or a bare name of a module or scenario."""
    if "/" in name:
        return (ROOT / name).exists() or (PACKAGE / name).exists()
    if name.endswith(".yaml"):
        return (ROOT / "scenarios" / name).exists()
    return any(PACKAGE.rglob(name)) or (ROOT / name).exists()


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.name)
def test_every_file_the_docs_name_exists(doc: Path) -> None:
    """Each quoted file name, and each scenario a documented command runs, is in the project."""
    text = doc.read_text(encoding="utf-8")
    named = set(QUOTED_FILE.findall(text)) | {
        name for name in COMMAND_FILE.findall(text) if "/" in name
    }  # a bare `run-scenario x.yaml` is the reader's own file
    missing = sorted(name for name in named if not _exists(name))
    assert not missing, f"{doc.name} names files that do not exist: {missing}"


def test_every_file_the_configuration_names_exists() -> None:
    """ruff's per-file ignores, mypy's files and pytest's test paths name real paths."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    tool = config["tool"]
    named = [
        *tool["ruff"]["lint"].get("per-file-ignores", {}),
        *tool["mypy"]["files"],
        *tool["pytest"]["ini_options"]["testpaths"],
    ]
    assert [name for name in named if not (ROOT / name).exists()] == []


def _roles() -> list[tuple[str, str, str]]:
    """(package, dotted target, where) for every role in a docstring that names a module path.

    Bare names (``:meth:`_hop```) are the module's own; relative (``.summary.Summary``) and
    absolute (``checkout_sim.engine.line.Line``) ones are resolved by importing.
    """
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            doc = ast.get_docstring(node) or ""
            for target in ROLE.findall(doc):
                if target.startswith(".") or target.startswith("checkout_sim."):
                    found.append((package, target, f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 1)}"))
    return found


def _resolve(package: str, target: str) -> object:
    """The object a dotted target names; one that starts with a dot is looked up from ``package``."""
    target = package + target if target.startswith(".") else target
    parts = target.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            found = getattr(found, attribute)
        return found
    raise ModuleNotFoundError(target)


def test_every_module_path_in_a_docstring_resolves() -> None:
    """``:class:`~.summary.Summary``` and ``checkout_sim.engine.line.Line`` name real objects."""
    roles = _roles()
    assert roles, "the package's docstrings use dotted references"
    broken = []
    for package, target, where in roles:
        try:
            _resolve(package, target)
        except (ImportError, AttributeError):
            broken.append(f"{where}: {target}")
    assert broken == []


def test_the_minimize_help_names_the_real_default() -> None:
    """--minimize's help said 'default: first'; the cheapest variant is the fewest lane_hours."""
    from checkout_sim.analysis import DEFAULT_MINIMIZE

    action = next(a for a in _parser()._actions if "--minimize" in a.option_strings)
    assert action.help is not None and f"(default: {DEFAULT_MINIMIZE}," in action.help
    assert DEFAULT_MINIMIZE == "lane_hours"  # what the README promises: the fewest till-hours
