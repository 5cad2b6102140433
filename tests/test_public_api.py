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
