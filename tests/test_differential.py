"""The differential check (benchmarks/differential.py) finds a changed shop and passes the same one."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from checkout_sim import load_scenario, run
from conftest import ROOT, SCENARIOS

sys.path.insert(0, str(ROOT / "benchmarks"))

from differential import (  # type: ignore[import-not-found]  # benchmarks/ is no package
    check,
    compare,
    engine,
    figures,
    release_source,
)

SHOP = SCENARIOS / "corner_shop.yaml"


def here(path: Path, seeds: Sequence[int], changes: Sequence[str]) -> list[dict[str, Any]]:
    """This tree, in this process (the script runs each engine in a subprocess of its own)."""
    scenario = load_scenario(path, list(changes))
    return [run(scenario, seed=seed).to_dict() for seed in seeds]


def test_every_number_of_a_summary_is_a_figure_but_its_identifiers() -> None:
    summary = here(SCENARIOS / "hypermarket.yaml", [1], [])[0]
    found = figures(summary)
    assert "seed" not in found and "elapsed" not in found and "interrupted" not in found
    assert found["segments.weekly.wait_p90"] == summary["segments"]["weekly"]["wait_p90"]
    assert found["lanes.tills.lane_hours"] == summary["lanes"]["tills"]["lane_hours"]
    assert found["served"] == summary["served"]


def test_a_different_shop_is_flagged() -> None:
    """One cashier against two (a check that cannot fail is no safety net)."""
    compared, flags = check(
        here, here, [SHOP], range(1, 11), other_seeds=range(11, 21), second_changes=["cashiers.count=2"]
    )
    assert compared > 10
    assert {"lane_hours", "utilisation"} <= {flag.figure for flag in flags}, flags


def test_the_same_shop_on_other_seeds_is_not_flagged() -> None:
    compared, flags = check(
        here, here, [SHOP, SCENARIOS / "split.yaml"], range(1, 11), other_seeds=range(11, 21)
    )
    assert compared > 30 and flags == [], flags


def test_a_figure_that_came_or_went_is_flagged() -> None:
    one = {"served": 3.0, "jockeyed": 1.0}
    _, flags = compare("x", [one, one], [{"served": 3.0}, {"served": 3.0}])
    assert [flag.figure for flag in flags] == ["jockeyed"]


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_a_release_from_git_runs_in_its_own_process(tmp_path: Path) -> None:
    """HEAD's source from git, run with it first on PYTHONPATH: the committed engine, the same figures."""
    inside = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, check=False)
    if inside.returncode != 0:
        pytest.skip("not a git checkout")
    source = release_source("HEAD", tmp_path)
    assert (source / "checkout_sim" / "engine" / "door.py").is_file()
    release = engine(source)(SHOP, [1, 2], [])
    assert release == here(SHOP, [1, 2], [])
