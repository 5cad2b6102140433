"""The README's comparison of one shared line with a line at each staffed till holds.

``queue.capacity`` and ``scaling.open_at`` count per line, so ``--set lanes.0.line=shared``
alone also shrinks the hypermarket's room from 4 at each till to 4 in all: its weekly
shoppers then wait less only because more of them leave. The README said that change
alone cut the wait from 3m12s to 15.4 s; it now compares like with like (room for 24,
the six staffed tills' lines) and says what differs. Intervals from the runs themselves.
"""

from __future__ import annotations

import math
import statistics

import pytest

from checkout_sim import load_scenario, run
from checkout_sim.analysis.confidence import t_quantile
from conftest import SCENARIOS

SEEDS = range(1, 9)


def _weekly(*changes: str) -> dict[str, list[float]]:
    scenario = load_scenario(SCENARIOS / "hypermarket.yaml", list(changes))
    found: dict[str, list[float]] = {"wait": [], "lost": [], "hours": []}
    for seed in SEEDS:
        summary = run(scenario, seed=seed)
        weekly = summary.segments["weekly"]
        assert weekly.wait_mean is not None and summary.lanes is not None
        found["wait"].append(weekly.wait_mean)
        found["lost"].append(weekly.balked + weekly.reneged + weekly.unserved)
        found["hours"].append(summary.lanes["tills"].lane_hours)
    return found


def _difference(one: list[float], other: list[float]) -> tuple[float, float]:
    """The difference of two means and its 99 % half-width (Welch, independent runs)."""
    spread = math.sqrt(statistics.variance(one) / len(one) + statistics.variance(other) / len(other))
    half = t_quantile(0.995, len(one) + len(other) - 2) * spread
    return statistics.fmean(one) - statistics.fmean(other), half


@pytest.mark.slow
def test_a_shared_line_compared_like_with_like() -> None:
    """Alone, the shared line loses more weekly shoppers; with the same room, it waits less
    on the same staff."""
    per_till = _weekly()
    alone = _weekly("lanes.0.line=shared")
    same_room = _weekly("lanes.0.line=shared", "lanes.0.queue.capacity=24")
    shipped = load_scenario(SCENARIOS / "hypermarket.yaml").lanes
    assert shipped is not None and shipped[0].queue.capacity == 4 and shipped[0].line == "per_till"
    lost, half = _difference(alone["lost"], per_till["lost"])
    assert lost - half > 0, (lost, half)  # fewer wait only because more leave
    wait, half = _difference(same_room["wait"], per_till["wait"])
    assert wait + half < 0, (wait, half)  # like with like, one line still waits less
    hours, half = _difference(same_room["hours"], per_till["hours"])
    assert abs(hours) - half < 0.05 * statistics.fmean(per_till["hours"]), (hours, half)  # on the same staff
