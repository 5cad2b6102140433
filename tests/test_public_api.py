"""The public surface is deliberate: this test fails when it drifts."""

from __future__ import annotations

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
    for name in checkout_sim.__all__:
        assert hasattr(checkout_sim, name)


def test_package_is_typed() -> None:
    """py.typed ships with the package, so users' type checkers read our hints."""
    from importlib.resources import files

    assert files("checkout_sim").joinpath("py.typed").is_file()


def test_the_cli_imports_only_the_public_api() -> None:
    """cli.py imports only from the package, its four parts' faces and runner, and no private name."""
    import ast
    from pathlib import Path

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
    """config, engine, observe and analysis each offer every name in their __all__."""
    import importlib

    for part in ("config", "engine", "observe", "analysis"):
        module = importlib.import_module(f"checkout_sim.{part}")
        assert module.__all__ and all(hasattr(module, name) for name in module.__all__), part
