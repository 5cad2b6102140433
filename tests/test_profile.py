"""Issue 21, item 4: ``pattern: profile``, counts per interval as a Poisson process in each interval.

The limits are computed here from the counts given, never copied from a run: over R
replications an interval's total is Poisson with mean R × count, and its per-replication
counts vary as a Poisson's do (variance = mean).
"""

from __future__ import annotations

import io
import json
import math
import random
from pathlib import Path

import pytest
from scipy import stats

from checkout_sim import Scenario, ScenarioError, load_scenario, parse_scenario, run
from checkout_sim.config.scenario import ProfileArrivals
from checkout_sim.engine.arrivals import make_arrivals

COUNTS = [40, 120, 260, 80, 0, 30]

PROFILE = f"""
name: footfall
products: [{{name: bread, checkout_time: 5s}}]
arrivals: {{pattern: profile, interval: 1h, counts: {COUNTS}}}
cashiers: {{count: 8}}
"""

REPLICATIONS = 300
#: Each interval's checks at 99.9 %, with Bonferroni over the intervals and the two checks.
ALPHA = 0.001 / (2 * len(COUNTS))


def counts_per_interval(scenario: Scenario, seed: int, interval: float, intervals: int) -> list[int]:
    """How many arrivals the scenario's arrival process brings in each interval, for one seed."""
    process = make_arrivals(scenario, random.Random(f"checkout-sim/{seed}/arrivals"))
    found = [0] * intervals
    now = 0.0
    while (upcoming := process.next(now)) is not None:
        now, size = upcoming
        found[int(now // interval)] += size
    return found


def test_counts_per_interval_fall_within_poisson_limits() -> None:
    """Over 300 replications each interval's total is within the Poisson limits of 300 × its count,
    its spread from replication to replication is a Poisson's, and an interval of 0 brings nobody."""
    scenario = parse_scenario(PROFILE)
    runs = [counts_per_interval(scenario, seed, 3600.0, len(COUNTS)) for seed in range(REPLICATIONS)]
    z = stats.norm.ppf(1 - ALPHA / 2)
    for index, count in enumerate(COUNTS):
        column = [run_counts[index] for run_counts in runs]
        total = sum(column)
        if count == 0:
            assert total == 0
            continue
        mean = REPLICATIONS * count
        assert abs(total - mean) <= z * math.sqrt(mean), (index, total, mean)
        # Dispersion: sum((n - c)^2) / c is chi-square with R degrees of freedom for Poisson(c).
        dispersion = sum((n - count) ** 2 for n in column) / count
        low, high = stats.chi2.ppf([ALPHA / 2, 1 - ALPHA / 2], REPLICATIONS)
        assert low <= dispersion <= high, (index, dispersion, low, high)


def test_a_profile_run_logs_its_arrivals_in_their_intervals() -> None:
    """Through the engine: arrivals only inside the profile's intervals, none after the last."""
    buffer = io.BytesIO()
    run(parse_scenario(PROFILE), seed=3, log=buffer)
    arrived = [
        json.loads(line)["t"] for line in buffer.getvalue().splitlines() if b"customer_arrived" in line
    ]
    assert arrived and max(arrived) < len(COUNTS) * 3600
    assert not [t for t in arrived if 4 * 3600 <= t < 5 * 3600]  # the interval of 0


FILE_PROFILE = """
name: footfall
opens_at: "08:00"
products: [{name: bread, checkout_time: 5s}]
arrivals: {pattern: profile, interval: 30min, file: footfall.csv}
cashiers: {count: 8}
"""


def test_a_profile_file_of_from_and_count(tmp_path: Path) -> None:
    """Rows from a till export by the clock, with a gap: nobody arrives in the gap."""
    (tmp_path / "footfall.csv").write_text("from,count\n08:00,20\n08:30,60\n10:00,30\n")
    (tmp_path / "shop.yaml").write_text(FILE_PROFILE)
    scenario = load_scenario(tmp_path / "shop.yaml")
    assert isinstance(scenario.arrivals, ProfileArrivals)
    assert scenario.arrivals.phases() == [
        (1800.0, 20 / 1800),
        (3600.0, 60 / 1800),
        (7200.0, 0.0),
        (9000.0, 30 / 1800),
    ]
    assert scenario.expected_arrivals() == pytest.approx(110)
    buffer = io.BytesIO()
    run(scenario, seed=1, log=buffer)
    arrived = [
        json.loads(line)["t"] for line in buffer.getvalue().splitlines() if b"customer_arrived" in line
    ]
    assert not [t for t in arrived if 3600 <= t < 7200 or t >= 9000]
    assert [t for t in arrived if t >= 7200]


def test_the_counts_and_the_same_file_give_the_same_run(tmp_path: Path) -> None:
    """A profile written inline and as a file of consecutive intervals is one process."""
    (tmp_path / "footfall.csv").write_text(
        "from,count\n" + "".join(f"{index}h,{count}\n" for index, count in enumerate(COUNTS))
    )
    (tmp_path / "shop.yaml").write_text(PROFILE.replace(f"counts: {COUNTS}", "file: footfall.csv"))
    logs = []
    for scenario in (parse_scenario(PROFILE), load_scenario(tmp_path / "shop.yaml")):
        buffer = io.BytesIO()
        run(scenario, seed=8, log=buffer)
        logs.append(buffer.getvalue().splitlines()[1:])  # all but the scenario as written
    assert logs[0] == logs[1]


def test_an_interval_the_tills_cannot_keep_up_with_is_named_by_the_clock() -> None:
    """The overload warning names the interval and when it ends, as it does a schedule's phase."""
    warnings: list[str] = []
    text = PROFILE.replace("cashiers: {count: 8}", "cashiers: {count: 1}").replace("5s}", "20s}")
    parse_scenario(
        text.replace("name: footfall", 'name: x\nopens_at: "08:00"'),
        "shop.yaml",
        on_warning=lambda problem: warnings.append(str(problem)),
    )
    # 260 an hour of 20 s each need 1.44 tills; one is open: 0.44 hour's worth pile up, 260 - 180 people.
    assert warnings == [
        "shop.yaml:5:62: arrivals.counts.2: warning: interval 3 (until 11:00): arrivals 4.333/min need "
        "1.44 tills (20s each on average); 1 is open at most: the line will grow all interval long, "
        "by about 80 people"
    ]


def test_set_changes_a_count() -> None:
    scenario = parse_scenario(PROFILE, overrides=["arrivals.counts.4=10"])
    assert scenario.expected_arrivals() == pytest.approx(sum(COUNTS) + 10)
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(PROFILE, overrides=["arrivals.counts=[0, 0]"])
    assert (
        str(caught.value) == "--set arrivals.counts=[0, 0]: arrivals.counts: are all 0: nobody would arrive"
    )
