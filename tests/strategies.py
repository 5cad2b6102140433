"""Hypothesis strategies: random valid scenarios (small enough to run in milliseconds)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

seconds = st.floats(min_value=0.1, max_value=30, allow_nan=False, allow_infinity=False)


@st.composite
def times(draw: st.DrawFn, zero: bool = True) -> Any:
    """A time distribution as a scenario writes it."""
    kind = draw(st.sampled_from(["constant", "text", "exponential", "uniform", "empirical"]))
    if kind == "constant":
        return draw(st.floats(min_value=0 if zero else 0.1, max_value=30))
    if kind == "text":
        return f"{draw(st.integers(min_value=0 if zero else 1, max_value=30))}s"
    if kind == "exponential":
        return {"dist": "exponential", "mean": draw(seconds)}
    if kind == "uniform":
        low = draw(st.floats(min_value=0, max_value=10))
        return {"dist": "uniform", "low": low, "high": low + draw(st.floats(min_value=0, max_value=10))}
    values = draw(st.lists(seconds, min_size=1, max_size=3))
    return {"dist": "empirical", "values": values}


counts = st.one_of(
    st.integers(min_value=0, max_value=3),
    st.builds(
        lambda low, span: {"dist": "uniform_int", "low": low, "high": low + span},
        st.integers(0, 2),
        st.integers(0, 3),
    ),
    st.builds(lambda mean: {"dist": "poisson", "mean": mean}, st.floats(0, 3)),
)

batch_sizes = st.one_of(
    st.integers(min_value=1, max_value=4),
    st.builds(
        lambda low, span: {"dist": "uniform_int", "low": low, "high": low + span},
        st.integers(0, 2),
        st.integers(1, 3),
    ),
    st.builds(lambda mean: {"dist": "poisson", "mean": mean}, st.floats(0.2, 3)),
)

rates = st.one_of(st.floats(min_value=0.02, max_value=2), st.sampled_from(["30/min", "1/s", "200/h"]))


@st.composite
def arrivals(draw: st.DrawFn) -> dict[str, Any]:
    """Any arrival pattern, always with a small limit."""
    pattern = draw(st.sampled_from(["poisson", "constant", "batch", "schedule"]))
    limit = draw(st.integers(min_value=1, max_value=40))
    if pattern in ("poisson", "constant"):
        return {"pattern": pattern, "rate": draw(rates), "limit": limit}
    if pattern == "batch":
        return {"pattern": "batch", "every": draw(seconds), "size": draw(batch_sizes), "limit": limit}
    ends = sorted(set(draw(st.lists(st.integers(10, 600), min_size=1, max_size=3, unique=True))))
    phases = [{"until": until, "rate": draw(st.floats(0, 1))} for until in ends]
    phases[-1]["rate"] = draw(st.floats(0.05, 1))
    return {"pattern": "schedule", "phases": phases, "limit": limit}


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A random valid scenario as plain data (what yaml.safe_load would give)."""
    products = [
        {"name": f"p{index}", "checkout_time": draw(times()), "popularity": draw(st.floats(0.1, 5))}
        for index in range(draw(st.integers(1, 3)))
    ]
    segments = []
    for index in range(draw(st.integers(1, 3))):
        segment: dict[str, Any] = {"name": f"s{index}", "share": draw(st.floats(0.1, 3))}
        if draw(st.booleans()):
            segment["priority"] = draw(st.integers(0, 2))
        if draw(st.booleans()):
            segment["patience"] = draw(times(zero=False))
        if draw(st.booleans()):
            segment["basket"] = {"items": draw(counts)}
        segments.append(segment)
    kind = draw(st.sampled_from(["fifo", "lifo", "priority"]))
    if kind != "priority":
        for segment in segments:
            segment.pop("priority", None)
    queue: dict[str, Any] = {"kind": kind}
    if draw(st.booleans()):
        queue["capacity"] = draw(st.integers(1, 5))
        queue["when_full"] = draw(st.sampled_from(["wait", "balk"]))
    count = draw(st.integers(1, 3))
    cashiers: dict[str, Any] = {"count": count, "payment_time": draw(times())}
    if draw(st.booleans()):
        open_at = draw(st.integers(1, 4))
        cashiers["scaling"] = {
            "max": count + draw(st.integers(0, 3)),
            "open_at": open_at,
            "close_at": draw(st.integers(0, open_at - 1)),
        }
    data: dict[str, Any] = {
        "name": "random",
        "products": products,
        "basket": {"items": draw(counts)},
        "segments": segments,
        "arrivals": draw(arrivals()),
        "queue": queue,
        "cashiers": cashiers,
    }
    if draw(st.booleans()):
        data["duration"] = draw(st.integers(60, 900))
        if data["arrivals"]["pattern"] == "schedule":
            data["duration"] = min(data["duration"], data["arrivals"]["phases"][-1]["until"])
        data["drain"] = draw(st.booleans())
    return data


junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
