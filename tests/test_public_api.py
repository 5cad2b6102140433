"""The public surface is deliberate: this test fails when it drifts."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import checkout_sim


def test_all_is_pinned() -> None:
    """checkout_sim.__all__ lists exactly the supported names."""
    assert sorted(checkout_sim.__all__) == [
        "Interrupted",
        "Problem",
        "Scenario",
        "ScenarioError",
        "SegmentSummary",
        "SimulationStalled",
        "Summary",
        "__version__",
        "load_scenario",
        "parse_scenario",
        "replicate",
        "run",
    ]


def _relative_imports(path: Path, package: str, *, under_type_checking: bool) -> dict[str, str]:
    """Each name a module imports with `from .x import name`, and the absolute module it names.

    With under_type_checking, only the imports inside `if TYPE_CHECKING:` (what type checkers
    see of a lazily importing package); otherwise only the module's top-level imports.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    body: list[ast.stmt] = tree.body
    if under_type_checking:
        blocks = [
            node
            for node in tree.body
            if isinstance(node, ast.If)
            and isinstance(node.test, ast.Name)
            and node.test.id == "TYPE_CHECKING"
        ]
        assert len(blocks) == 1
        body = blocks[0].body
    homes: dict[str, str] = {}
    for node in body:
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            module = f"{package}.{node.module}" if node.module else package
            for alias in node.names:
                homes[alias.asname or alias.name] = module
    return homes


# The documented kind of each public name: exceptions to catch, the model, results, functions.
EXCEPTIONS = {"Interrupted", "ScenarioError", "SimulationStalled"}
FUNCTIONS = {"load_scenario", "parse_scenario", "replicate", "run"}
CLASSES = {"Problem", "SegmentSummary", "Summary"}


def test_each_public_name_is_the_object_its_module_defines() -> None:
    """Every name in __all__ resolves, lazily, to the very object type checkers are told it is.

    A lazy name that resolves to None, to a same-named object of another module, or to a
    copy, fails here; so does a name in __all__ that type checkers cannot see.
    """
    import importlib
    import importlib.metadata
    import inspect

    import pydantic

    static = _relative_imports(Path(checkout_sim.__file__), "checkout_sim", under_type_checking=True)
    assert sorted([*static, "__version__"]) == sorted(checkout_sim.__all__)
    resolve = checkout_sim.__getattr__  # the lazy path, even for names already cached
    for name, home in static.items():
        value = resolve(name)
        assert value is not None, name
        assert value is getattr(importlib.import_module(home), name), (name, home)
        assert value is getattr(checkout_sim, name), name
        # and it is the object its defining module holds, under its own name (not an alias)
        assert getattr(importlib.import_module(value.__module__), name) is value, name
        assert value.__name__ == name and value.__module__.startswith("checkout_sim."), name
        if name in EXCEPTIONS:
            assert inspect.isclass(value) and issubclass(value, Exception), name
        elif name in FUNCTIONS:
            assert inspect.isfunction(value), name
        elif name == "Scenario":
            assert inspect.isclass(value) and issubclass(value, pydantic.BaseModel)
        else:
            assert name in CLASSES and inspect.isclass(value), name
    assert resolve("__version__") == importlib.metadata.version("checkout-sim") != "0+unknown"
    assert set(checkout_sim.__all__) <= set(dir(checkout_sim))
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        resolve("no_such_name")


# Builds a wheel from the current directory with the installed setuptools (no isolation, no
# network) and prints its file name. The backend is called directly: pip wheel takes ~1.4 s,
# this ~0.5 s.
BUILD_WHEEL = """
import sys
from setuptools import build_meta
print(build_meta.build_wheel(sys.argv[1]))
"""


def test_package_is_typed(tmp_path: Path) -> None:
    """py.typed ships in the wheel (listed in its RECORD), so users' type checkers read our hints.

    A file in the source tree proves nothing about what users install, and the editable
    install here records no package files; so the test builds the wheel from a copy of the
    project and reads it. It also holds every module of the source package.
    """
    import csv
    import io
    import shutil
    import subprocess
    import sys
    import zipfile

    root = Path(__file__).resolve().parent.parent
    source = root / "src" / "checkout_sim"
    project = tmp_path / "project"
    for name in ("pyproject.toml", "README.md"):
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(root / name, project / name)
    shutil.copytree(source, project / "src" / "checkout_sim", ignore=shutil.ignore_patterns("__pycache__"))
    built = subprocess.run(
        [sys.executable, "-c", BUILD_WHEEL, str(tmp_path / "dist")],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    wheel = tmp_path / "dist" / built.stdout.strip().splitlines()[-1]
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (record_name,) = [name for name in names if name.endswith(".dist-info/RECORD")]
        record = {row[0] for row in csv.reader(io.StringIO(archive.read(record_name).decode()))}
        assert "checkout_sim/py.typed" in names and "checkout_sim/py.typed" in record
        assert archive.read("checkout_sim/py.typed") == (source / "py.typed").read_bytes()
    modules = {f"checkout_sim/{path.relative_to(source).as_posix()}" for path in source.rglob("*.py")}
    assert modules and modules <= names & record


def test_the_cli_imports_only_the_public_api() -> None:
    """cli.py imports only from the package, its four parts' faces and runner, and no private name."""
    import checkout_sim.cli

    tree = ast.parse(Path(checkout_sim.cli.__file__).read_text(encoding="utf-8"))
    ours = [node for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level > 0]
    assert ours
    for node in ours:
        assert node.level == 1 and node.module in (
            None,
            "analysis",
            "config",
            "engine",
            "observe",
            "runner",
        ), node.module
        assert all(not alias.name.startswith("_") or alias.name == "__version__" for alias in node.names)


def test_each_parts_face_lists_what_it_offers() -> None:
    """config, engine, observe and analysis each offer every name in their __all__.

    Each listed name is imported by the face from one of the part's modules, and is that
    module's very object (not None, not a stand-in defined in the face). A face that
    imports its names on first use (analysis: PEP 562) is read where type checkers read it.
    """
    import importlib

    for part in ("config", "engine", "observe", "analysis"):
        package = f"checkout_sim.{part}"
        face = importlib.import_module(package)
        lazy = "__getattr__" in vars(face)
        imported = _relative_imports(Path(str(face.__file__)), package, under_type_checking=lazy)
        assert face.__all__ and len(set(face.__all__)) == len(face.__all__), part
        for name in face.__all__:
            assert name in imported, (part, name)
            value = getattr(face, name)
            assert value is not None, (part, name)
            home = importlib.import_module(imported[name])
            if imported[name] == package:  # `from . import events`: the submodule itself
                assert value is importlib.import_module(f"{package}.{name}"), (part, name)
            else:
                assert value is getattr(home, name), (part, name)
