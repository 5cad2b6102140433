"""Time bins: spans and events land where a brute-force cut of time puts them, to the last bit.

The times, widths and levels here are multiples of 1/8 below 2**20, so every sum the
bins form is exact whatever the order; the brute force works in fractions, bin by bin,
and the two must agree exactly.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

import pytest

from checkout_sim.observe.batches import Batches, Sums
from checkout_sim.observe.bins import COUNT, LEAST, MOST, SUM, Bins, Doubling

COLUMNS = {"area": SUM, "events": COUNT, "low": LEAST, "high": MOST}


def _eighths(rng: random.Random, low: float, high: float) -> float:
    """A random multiple of 1/8 in [low, high]."""
    return rng.randint(math.ceil(low * 8), math.floor(high * 8)) / 8


def _overlap(a: float, b: float, low: Fraction, high: Fraction) -> Fraction:
    """How much of [a, b) lies in [low, high), exactly."""
    return max(Fraction(0), min(Fraction(b), high) - max(Fraction(a), low))


def _brute_force(
    start: float,
    width: float,
    count: int,
    spans: list[tuple[float, float, float]],
    events: list[tuple[float, float]],
) -> dict[str, list[object]]:
    """Each bin's columns from first principles: every span against every bin, every event
    in the one bin whose [low, high) holds it; what lies outside every bin is in none."""
    found: dict[str, list[object]] = {name: [rule.empty] * count for name, rule in COLUMNS.items()}
    for index in range(count):
        low = Fraction(start) + index * Fraction(width)
        high = low + Fraction(width)
        area = sum((level * _overlap(a, b, low, high) for a, b, level in spans), Fraction(0))
        found["area"][index] = area
        inside = [value for t, value in events if low <= t < high]
        found["events"][index] = len(inside)
        found["low"][index] = min(inside, default=math.inf)
        found["high"][index] = max(inside, default=-math.inf)
    return found


def _random_case(
    rng: random.Random, start: float, end: float
) -> tuple[list[tuple[float, float, float]], list[tuple[float, float]]]:
    """Spans and events mostly inside [start, end), some across its ends and some wholly outside."""
    reach = end - start
    spans = []
    for _ in range(rng.randint(0, 60)):
        a = _eighths(rng, start - reach / 4, end + reach / 4)
        b = a + _eighths(rng, 0, rng.choice([reach / 50, reach / 5, reach]))
        spans.append((a, b, float(rng.randint(0, 5))))
    events = [(_eighths(rng, start - reach / 4, end + reach / 4), _eighths(rng, 0, 100)) for _ in range(50)]
    events += [(start, 1.0), (end, 2.0)]  # the first instant is in, the end is out
    return spans, events


@pytest.mark.parametrize("seed", range(40))
def test_fixed_bins_match_a_brute_force_cut_of_time(seed: int) -> None:
    """Spans split at the boundaries, events by time, the parts outside [start, end) cut: exact."""
    rng = random.Random(seed)
    count = rng.randint(1, 30)
    width = rng.randint(1, 64) / 8
    start = _eighths(rng, -1000, 1000)
    spans, events = _random_case(rng, start, start + count * width)
    bins = Bins(start, width, count, COLUMNS)
    for a, b, level in spans:
        bins.spread("area", a, b, level)
    for t, value in events:
        bins.add("events", t)
        index = bins.at(t)
        if index is not None:
            columns = bins.columns
            columns["low"][index] = min(columns["low"][index], value)
            columns["high"][index] = max(columns["high"][index], value)
    assert bins.columns == _brute_force(start, width, count, spans, events)


def test_fixed_bins_leave_out_what_falls_outside() -> None:
    """[10, 20) in two bins: the start is in, the end and anything before or after is out;
    a span across both ends keeps only its middle, one wholly outside adds nothing."""
    bins = Bins(10.0, 5.0, 2, {"n": COUNT, "time": SUM})
    for t in (9.999, 10.0, 14.999, 15.0, 19.999, 20.0, -1e308, 1e308):
        bins.add("n", t)
    assert bins.columns["n"] == [2, 2]
    assert (bins.at(10.0), bins.at(15.0), bins.at(20.0), bins.at(9.999), bins.at(1e308)) == (
        0,
        1,
        None,
        None,
        None,
    )
    bins.spread("time", 0.0, 100.0)
    bins.spread("time", 20.0, 30.0)
    bins.spread("time", 0.0, 10.0)
    bins.spread("time", -1e308, 1e308, 2)  # bounds infinitely many bins away
    assert bins.columns["time"] == [15.0, 15.0]
    assert list(bins.overlaps(12.0, 12.0)) == []
    assert bins.bounds(1) == (15.0, 20.0)


def test_merged_bins_pair_neighbours_by_each_columns_rule() -> None:
    """Bins 2k and 2k+1 become bin k, twice as wide: added, the lesser, the greater; an odd last
    bin has no partner and is dropped, so every merged bin covers the same length of time."""
    bins = Bins(100.0, 10.0, 5, COLUMNS)
    for index, (area, low, high) in enumerate(
        [(1.0, 5, 6), (2.0, 3, 9), (4.0, 7, 7), (8.0, 1, 2), (16.0, 0, 99)]
    ):
        bins.columns["area"][index] = area
        bins.columns["events"][index] = index
        bins.columns["low"][index] = low
        bins.columns["high"][index] = high
    merged = bins.merged()
    assert (merged.start, merged.width, merged.count, merged.end) == (100.0, 20.0, 2, 140.0)
    assert merged.columns == {"area": [3.0, 12.0], "events": [1, 5], "low": [3, 1], "high": [9, 7]}
    assert bins.columns["area"] == [1.0, 2.0, 4.0, 8.0, 16.0]  # the original is left alone


def test_doubling_in_place_keeps_the_column_lists() -> None:
    """double() merges pairs into the lower half (an odd last bin alone), empties the rest, and
    the lists are the same objects, so a caller holding a column still writes to the bins."""
    bins = Bins(0.0, 1.0, 5, {"n": COUNT, "low": LEAST})
    held, low = bins.columns["n"], bins.columns["low"]
    held[:] = [1, 2, 3, 4, 5]
    low[:] = [5.0, 4.0, 3.0, 2.0, 1.0]
    bins.double()
    assert bins.columns["n"] is held and held == [3, 7, 5, 0, 0]
    assert low == [4.0, 2.0, 1.0, math.inf, math.inf]
    assert (bins.width, bins.end) == (2.0, 10.0)


@pytest.mark.parametrize("seed", range(30))
def test_doubling_bins_match_a_brute_force_cut_at_their_final_width(seed: int) -> None:
    """Fed in time order as a run is, the doubling bins end as wide as needed to hold the last
    time, and hold exactly what bins of that width would have held from the start."""
    rng = random.Random(100 + seed)
    count = rng.choice([2, 4, 8, 16])
    first = 2.0 ** rng.randint(-3, 3)
    start = _eighths(rng, 0, 100)
    timeline = Doubling(start, first, count, COLUMNS)
    t = start
    spans: list[tuple[float, float, float]] = []
    events: list[tuple[float, float]] = []
    for _ in range(rng.randint(1, 200)):
        step = _eighths(rng, 0, first * rng.choice([0.5, 4, 4 * count]))
        level = float(rng.randint(0, 4))
        timeline.spread("area", t, t + step, level)
        spans.append((t, t + step, level))
        t += step
        value = _eighths(rng, 0, 50)
        index = timeline.locate(t)
        columns = timeline.bins.columns
        columns["events"][index] += 1
        columns["low"][index] = min(columns["low"][index], value)
        columns["high"][index] = max(columns["high"][index], value)
        events.append((t, value))
    width = timeline.bins.width
    doublings = round(math.log2(width / first))
    assert width == first * 2**doublings
    assert start + count * width > t and (doublings == 0 or start + count * width / 2 <= t)
    assert timeline.bins.columns == _brute_force(start, width, count, spans, events)


def test_doubling_holds_times_before_and_far_after_in_its_end_bins() -> None:
    """A time before the start is in the first bin; a time near the largest float widens the
    bins until they hold it (never past infinity) instead of overflowing."""
    timeline = Doubling(5.0, 2.0**-10, 8, {"n": COUNT})
    assert timeline.locate(0.0) == 0 and timeline.bins.width == 2.0**-10
    assert timeline.locate(1.7e308) == 7
    assert math.isfinite(timeline.bins.width) and timeline.bins.end == math.inf
    timeline.add("n", 1e308)
    timeline.add("n", 6.0)
    assert timeline.bins.columns["n"] == [1, 0, 0, 0, 1, 0, 0, 0]  # 1e308 / 2**1021 is 4.45
    assert list(timeline.overlaps(1.0, 1.0)) == []
    assert timeline.upper(7) == math.inf


def test_bins_refuse_no_width_or_no_bins() -> None:
    with pytest.raises(ValueError, match="positive width"):
        Bins(0.0, 0.0, 3, COLUMNS)
    with pytest.raises(ValueError, match="positive width"):
        Bins(0.0, 1.0, 0, COLUMNS)


def test_merged_batches_add_their_neighbours_sums() -> None:
    """Batches merged in pairs hold each pair's sums added up (the batch means' figures)."""
    rng = random.Random(3)
    batches = Batches(60.0, 1060.0, ["a", "b"], count=5)
    batches.open(0.0, 2000.0, 2)
    for _ in range(300):
        arrival = rng.uniform(0.0, 1100.0)
        wait = rng.choice([0.0, rng.expovariate(0.05)])
        segment = rng.choice([0, 1, 2])  # 2: came during the warm-up
        batches.served(segment, arrival, wait)
        batches.busy(arrival + wait, arrival + wait + rng.expovariate(0.02), segment)
        batches.lost(
            rng.choice([0, 1]), rng.uniform(0.0, 1100.0), rng.choice(["balked", "reneged", "unserved"])
        )
    sums, merged = batches.sums(), batches.merged()
    assert (merged.start, merged.width, merged.segments) == (60.0, 400.0, ["a", "b"])
    expected = []
    for index in range(0, 4, 2):  # the fifth batch has no partner
        pair = Sums.empty(2)
        pair.add(sums[index])
        pair.add(sums[index + 1])
        expected.append(pair)
    assert merged.sums() == expected
    assert math.isclose(math.fsum(s.open for s in sums), 2 * 1000.0)
    assert sum(s.served for s in sums) == sum(s.segment_served[0] + s.segment_served[1] for s in sums)
