"""Erlang C and A against published staffing cases, and the shift cover against brute force.

The published cases (issue 22): 100 arrivals per 30 minutes, 180 s handling, 80 % within
20 s -> 14 positions (service level 0.8884, occupancy 0.7143, P(wait) 0.1741; 13 give
0.7956); 200 per 30 minutes within 60 s -> 23 (22 give 0.7084); with a 5-minute patience
(Erlang A) -> 13 (service level 0.858, P(abandon) 0.025); a checkout with 120 customers an
hour, 3-minute service, 80 % within 2 minutes -> 8 tills (0.906; 7 give 0.685).
"""

from __future__ import annotations

import itertools
import math
import random

import pytest

from checkout_sim.analysis.erlang import erlang_a, erlang_c_level, staff_erlang_a, staff_erlang_c
from checkout_sim.analysis.shifts import Shift, cover
from checkout_sim.analysis.theory import birth_death

HALF_HOUR = 1800.0


def test_erlang_c_published_cases() -> None:
    found = staff_erlang_c(100 / HALF_HOUR, 180.0, 20.0, 0.8)
    assert found.servers == 14
    assert (round(found.service_level, 4), round(found.occupancy, 4), round(found.p_wait, 4)) == (
        0.8884,
        0.7143,
        0.1741,
    )
    assert round(erlang_c_level(13, 100 / HALF_HOUR, 180.0, 20.0).service_level, 4) == 0.7956
    assert staff_erlang_c(200 / HALF_HOUR, 180.0, 60.0, 0.8).servers == 23
    assert round(erlang_c_level(22, 200 / HALF_HOUR, 180.0, 60.0).service_level, 4) == 0.7084


def test_erlang_c_for_a_checkout() -> None:
    tills = staff_erlang_c(120 / 3600, 180.0, 120.0, 0.8)
    assert tills.servers == 8 and round(tills.service_level, 3) == 0.906
    assert round(erlang_c_level(7, 120 / 3600, 180.0, 120.0).service_level, 3) == 0.685


def test_erlang_a_published_case() -> None:
    found = staff_erlang_a(100 / HALF_HOUR, 180.0, 300.0, 20.0, 0.8)
    assert found.servers == 13
    assert round(found.service_level, 3) == 0.858 and round(found.p_abandon, 3) == 0.025
    assert erlang_a(12, 100 / HALF_HOUR, 180.0, 300.0, 20.0).service_level < 0.8


def test_erlang_a_agrees_with_its_chain_and_tends_to_erlang_c() -> None:
    """P(wait) and P(abandon) from the generic birth-death chain; with patience far longer
    than any wait, Erlang A's figures approach Erlang C's."""
    rate, service, patience, servers = 0.05, 180.0, 300.0, 11
    chain = birth_death(lambda n: rate, lambda n: min(n, servers) / service + max(n - servers, 0) / patience)
    found = erlang_a(servers, rate, service, patience, 30.0)
    assert found.p_wait == pytest.approx(chain.mean(lambda n: 1.0 if n >= servers else 0.0), rel=1e-9)
    queue = chain.mean(lambda n: max(n - servers, 0))
    assert found.p_abandon == pytest.approx(queue / patience / rate, rel=1e-9)
    patient = erlang_a(servers, rate, service, 1e9, 30.0)
    plain = erlang_c_level(servers, rate, service, 30.0)
    assert patient.service_level == pytest.approx(plain.service_level, abs=1e-5)
    assert patient.p_wait == pytest.approx(plain.p_wait, abs=1e-5)


def test_the_textbook_cover() -> None:
    """Demand [2, 3, 1]; Early works periods 1-2, Late 2-3: Early 2, Late 1."""
    found = cover([2, 3, 1], [Shift("Early", 0, 2), Shift("Late", 1, 2)])
    assert found.counts == {"Early": 2, "Late": 1} and found.short == [] and found.cost == 6.0
    assert found.staffed == [2, 3, 1]


def _cheapest_by_brute_force(requirement: list[int], shifts: list[Shift]) -> float | None:
    top = max(requirement)
    best = None
    for counts in itertools.product(range(top + 1), repeat=len(shifts)):
        staffed = [
            sum(n for n, s in zip(counts, shifts, strict=True) if s.covers(i))
            for i in range(len(requirement))
        ]
        if all(have >= need for have, need in zip(staffed, requirement, strict=True)):
            cost = math.fsum(n * s.price for n, s in zip(counts, shifts, strict=True))
            best = cost if best is None else min(best, cost)
    return best


def test_no_cheaper_cover_exists_on_small_random_cases() -> None:
    rng = random.Random(22)
    for _ in range(60):
        periods = rng.randint(3, 6)
        requirement = [rng.randint(0, 3) for _ in range(periods)]
        shifts = []
        for index in range(rng.randint(2, 4)):
            length = rng.randint(1, periods)
            start = rng.randint(0, periods - length)
            shifts.append(Shift(f"s{index}", start, length, cost=rng.choice([None, 1.0, 2.5])))
        found = cover(requirement, shifts)
        brute = _cheapest_by_brute_force(requirement, shifts)
        if brute is None:  # some interval with a requirement has no shift
            assert found.short
            continue
        assert found.short == []
        assert all(have >= need for have, need in zip(found.staffed, requirement, strict=True))
        assert found.cost == pytest.approx(brute)


def test_an_impossible_cover_names_the_short_intervals() -> None:
    """At most 2 people, or an interval no shift works: the intervals that stay short are named."""
    shifts = [Shift("Early", 0, 2), Shift("Late", 1, 2)]
    capped = cover([2, 3, 1], shifts, most=2)
    assert capped.short and sum(capped.counts.values()) <= 2
    assert all(capped.staffed[i] < [2, 3, 1][i] for i in capped.short)
    gap = cover([1, 1, 1, 1], shifts)
    assert gap.short == [3]


def test_a_cap_per_interval_is_kept_where_it_can_be_and_broken_least_where_not() -> None:
    """``at_most`` (the tills to work at): brute force over small random cases finds no cover
    with fewer people beyond the cap, nor, with as few, a cheaper one; the cover names the
    intervals over it."""
    rng = random.Random(2205)
    for _ in range(60):
        periods = rng.randint(3, 5)
        requirement = [rng.randint(0, 3) for _ in range(periods)]
        at_most = [need + rng.randint(0, 1) for need in requirement]
        shifts = [Shift(f"all{index}", 0, periods) for index in range(1)]
        for index in range(rng.randint(1, 3)):
            length = rng.randint(2, periods)
            start = rng.randint(0, periods - length)
            shifts.append(Shift(f"s{index}", start, length, cost=rng.choice([None, 1.5])))
        found = cover(requirement, shifts, at_most=at_most)
        best = None
        for counts in itertools.product(range(max(requirement) + 1), repeat=len(shifts)):
            staffed = [
                sum(n for n, s in zip(counts, shifts, strict=True) if s.covers(i)) for i in range(periods)
            ]
            if any(have < need for have, need in zip(staffed, requirement, strict=True)):
                continue
            over = sum(max(0, have - cap) for have, cap in zip(staffed, at_most, strict=True))
            cost = math.fsum(n * s.price for n, s in zip(counts, shifts, strict=True))
            best = (over, cost) if best is None else min(best, (over, cost))
        assert best is not None  # the whole-day shift covers anything
        mine = sum(max(0, have - cap) for have, cap in zip(found.staffed, at_most, strict=True))
        assert found.short == []
        assert (mine, found.cost) == pytest.approx(best)
        assert found.over == [i for i in range(periods) if found.staffed[i] > at_most[i]]
