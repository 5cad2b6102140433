"""The report's page: plots (inline SVG from matplotlib) and HTML from a :class:`RunDigest`.

Every size on the page is fixed (at most :data:`~.report_data.TIME_BINS` bins per
series, :data:`~.report_data.SAMPLE_SIZE` dots, 40 histogram bars), so the page is
as small for five million customers as for five hundred.
"""

# ruff: noqa: E501 - the HTML and CSS template reads better unwrapped

from __future__ import annotations

import html
import io
import json
import math
from collections.abc import Callable, Sequence
from itertools import accumulate
from typing import Any

import yaml

from ..config.times import clock_text, elapsed_text
from ..config.units import parse_clock_time, parse_duration, parse_rate
from ..observe.summary import figure_range
from .confidence import bounded_interval
from .report_data import SAMPLE_SIZE, RunDigest

__all__ = ["MATPLOTLIB_HINT", "render", "settings_text"]

MATPLOTLIB_HINT = "reports need matplotlib: pip install 'checkout-sim[report]'"

_HISTOGRAM_BARS = 40


# --- numbers as people read them ---------------------------------------------------


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _share(part: float, whole: float) -> str:
    return f"{part / whole:.1%}" if whole else "–"


def _time_scale(end: float) -> tuple[float, str]:
    if end > 3 * 3600:
        return 3600.0, "hours since opening"
    if end > 180:
        return 60.0, "minutes since opening"
    return 1.0, "seconds since opening"


def _opening(started: dict[str, Any]) -> float | None:
    """The run's opening time in seconds since midnight, when its scenario gave ``opens_at``."""
    opens_at = (started.get("config") or {}).get("opens_at")
    if not isinstance(opens_at, str):
        return None
    try:
        return parse_clock_time(opens_at)
    except ValueError:  # a log written by hand: plot from opening as usual
        return None


def _clock_axis(axes: Any, opening: float | None, scale: float) -> None:
    """Label the time axis with times of day (``12:00``) when the run has an opening time."""
    if opening is None:
        return
    from matplotlib.ticker import FuncFormatter

    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: clock_text(opening + value * scale)))


def _finite(value: float) -> float:
    return value if math.isfinite(value) else math.nan


# --- the scenario's settings, with units ---------------------------------------------

#: Keys whose value is a duration, a rate, or a time distribution (a number or a mapping).
_DURATION_KEYS = frozenset({"duration", "every", "until", "closes_at", "interval"})
#: Keys whose value is a moment of the day (seconds since opening): times of day with ``opens_at``.
_MOMENT_KEYS = frozenset({"until", "closes_at"})
_RATE_KEYS = frozenset({"rate"})
_TIME_DISTRIBUTION_KEYS = frozenset({"checkout_time", "payment_time", "patience"})
#: The keys of a time distribution that are times (``shape`` and ``weights`` are not).
_DISTRIBUTION_TIMES = frozenset({"value", "mean", "sd", "low", "mode", "high", "scale", "values"})


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _duration_text(seconds: Any) -> Any:
    """``5400.0`` → ``1h30min``: the shortest exact spelling, or the number when none is exact."""
    if not _is_number(seconds) or seconds < 0:
        return seconds
    if seconds == 0:
        candidate = "0s"
    elif float(seconds).is_integer() and seconds < 1e15:
        rest, parts = int(seconds), []
        for unit, size in (("h", 3600), ("min", 60), ("s", 1)):
            count, rest = divmod(rest, size)
            if count:
                parts.append(f"{count}{unit}")
        candidate = "".join(parts)
    elif seconds < 1:
        candidate = f"{seconds * 1000:.12g}ms"
    else:
        candidate = f"{seconds:.12g}s"
    try:
        exact = parse_duration(candidate) == seconds
    except ValueError:
        exact = False
    return candidate if exact else seconds


def _rate_text(per_second: Any) -> Any:
    """``0.0666…`` → ``240/h``: per hour, else per minute, else per second, when exact."""
    if not _is_number(per_second) or per_second < 0:
        return per_second
    for unit, size in (("h", 3600), ("min", 60), ("s", 1)):
        candidate = f"{per_second * size:.12g}/{unit}"
        try:
            if parse_rate(candidate) == per_second:
                return candidate
        except ValueError:
            continue
    return per_second


def _time_distribution(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: _with_units(item, key) if key not in _DISTRIBUTION_TIMES else _each(item, _duration_text)
            for key, item in value.items()
            if item is not None
        }
    return _duration_text(value)


def _each(value: Any, spell: Callable[[Any], Any]) -> Any:
    return [spell(item) for item in value] if isinstance(value, list) else spell(value)


def _with_units(value: Any, key: str | None = None, opening: float | None = None) -> Any:
    """The config with durations and rates spelled with units and unset (null) keys left out.

    With an opening time (seconds since midnight), moments of the day are times of day.
    """
    if key in _MOMENT_KEYS and opening is not None and _is_number(value):
        return clock_text(opening + value)
    if key in _DURATION_KEYS:
        return _duration_text(value)
    if key in _RATE_KEYS:
        return _rate_text(value)
    if key in _TIME_DISTRIBUTION_KEYS:
        return _time_distribution(value)
    if isinstance(value, dict):
        return {name: _with_units(item, name, opening) for name, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_with_units(item, None, opening) for item in value]
    return value


def settings_text(config: dict[str, Any]) -> str:
    """The run's validated scenario as YAML, as a user would write it (``rate: 240/h``, ``until: "12:00"``).

    What the run read from a data file (a trace's ``rows`` and ``sha256``) is not a key a
    scenario may give: it follows as a comment, so the text still reads back as the scenario.
    """
    arrivals = config.get("arrivals")
    read: dict[str, Any] = {}
    if isinstance(arrivals, dict) and "sha256" in arrivals:
        read = {key: arrivals[key] for key in ("file", "rows", "sha256") if key in arrivals}
        kept = {key: value for key, value in arrivals.items() if key not in ("rows", "sha256")}
        config = {**config, "arrivals": kept}
    text = yaml.safe_dump(
        _with_units(config, None, _opening({"config": config})),
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=None,
        width=100,
    )
    if read:
        text += f"# {read.get('file')}: {read.get('rows')} rows, SHA-256 {read.get('sha256')}\n"
    return text


# --- plots ---------------------------------------------------------------------------


def _svg(figure: Any) -> str:
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _interval_words(seconds: float) -> str:
    """A bin width for a legend: ``16 s``, ``2.1 min``; below a second in milliseconds."""
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else _duration(seconds)


#: Legends sit above the axes, in a row, so they never hide the data.
_LEGEND_ABOVE: dict[str, Any] = {"frameon": False, "loc": "lower left", "bbox_to_anchor": (0, 1), "ncol": 3}


def _plots(digest: RunDigest) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matplotlib.rcParams.update(
        {
            "svg.hashsalt": "checkout-sim",
            "font.size": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    assert digest.finished is not None and digest.started is not None
    end = digest.end
    scale, unit = _time_scale(end)
    opening = _opening(digest.started)
    if opening is not None:
        unit = "time of day"
    bins, spans = digest.bins, digest.bin_spans()
    count = len(spans)
    edges = [index * bins.width / scale for index in range(count)] + [end / scale]
    each = f"each {_interval_words(bins.width)}"

    def steps(values: Sequence[float]) -> list[float]:
        """Per-bin values for a step plot over ``edges`` (the last value repeated at the end)."""
        shown = [_finite(value) for value in values]
        return [*shown, shown[-1]]

    def means(areas: Sequence[float]) -> list[float]:
        return steps(
            [area / span if span > 0 else math.nan for area, span in zip(areas, spans, strict=False)]
        )

    plots: dict[str, str] = {}

    figure, axes = plt.subplots(figsize=(9, 3))
    axes.fill_between(
        edges,
        steps(bins.waiting_min[:count]),
        steps(bins.waiting_max[:count]),
        step="post",
        color="#c0392b",
        alpha=0.3,
        linewidth=0,
        label=f"fewest to most, {each}",
    )
    axes.step(edges, means(bins.waiting_area), where="post", color="#c0392b", linewidth=1, label="average")
    axes.set(xlabel=unit, ylabel="people waiting", xlim=(0, end / scale))
    _clock_axis(axes, opening, scale)
    axes.set_ylim(bottom=0)
    axes.legend(**_LEGEND_ABOVE)
    plots["line"] = _svg(figure)

    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.2), gridspec_kw={"width_ratios": [3, 2]})
    points = digest.sample.points
    left.scatter([t / scale for t, _ in points], [w / 60 for _, w in points], s=4, alpha=0.4, color="#2c3e50")
    if digest.sample.seen > len(points):  # a sample: draw what it may miss
        served = bins.served[:count]
        left.step(
            edges,
            steps([high / 60 if high >= 0 else math.nan for high in bins.wait_max[:count]]),
            where="post",
            color="#c0392b",
            linewidth=1,
            label=f"longest, {each}",
        )
        left.step(
            edges,
            steps(
                [total / n / 60 if n else math.nan for total, n in zip(bins.wait_sum, served, strict=False)]
            ),
            where="post",
            color="#e67e22",
            linewidth=1,
            label="average",
        )
        left.legend(**_LEGEND_ABOVE)
    left.set(xlabel=unit + " (when they reached a till)", ylabel="wait (minutes)", xlim=(0, end / scale))
    _clock_axis(left, opening, scale)
    left.set_ylim(bottom=0)
    heights, bar_edges = _histogram_bars(digest)
    right.stairs(heights, [edge / 60 for edge in bar_edges], fill=True, color="#95a5a6")
    for name, colour in (("wait_p50", "#27ae60"), ("wait_p90", "#e67e22"), ("wait_p99", "#c0392b")):
        value = digest.finished.get(name)
        if value is not None:
            right.axvline(value / 60, color=colour, linestyle="--", label=f"{name[5:]}: {_duration(value)}")
    right.set(xlabel="wait (minutes)", ylabel="served customers")
    if digest.sample.seen:
        right.legend(frameon=False)
    plots["waits"] = _svg(figure)

    figure, axes = plt.subplots(figsize=(9, 3))
    axes.fill_between(
        edges,
        means(bins.busy_area),
        step="post",
        label=f"tills busy (average, {each})",
        color="#e67e22",
        alpha=0.6,
        linewidth=0,
    )
    axes.step(edges, means(bins.lanes_area), where="post", label="tills open (average)", color="#2980b9")
    axes.set(xlabel=unit, ylabel="tills", xlim=(0, end / scale))
    _clock_axis(axes, opening, scale)
    axes.set_ylim(bottom=0)
    axes.legend(**_LEGEND_ABOVE)
    plots["cashiers"] = _svg(figure)

    segments = digest.finished.get("segments") or {}
    names = list(segments)
    figure, axes = plt.subplots(figsize=(9, 0.5 + 0.5 * max(1, len(names))))
    means_ = [(segments[n]["wait_mean"] or 0) / 60 for n in names]
    p90s = [(segments[n]["wait_p90"] or 0) / 60 for n in names]
    positions = range(len(names))
    axes.barh(
        [p + 0.2 for p in positions],
        p90s,
        height=0.4,
        label="9 in 10 served customers waited less than",
        color="#e67e22",
    )
    axes.barh(
        [p - 0.2 for p in positions],
        means_,
        height=0.4,
        label="average wait of served customers",
        color="#2c3e50",
    )
    axes.set_yticks(list(positions), names)
    axes.set(xlabel="minutes")
    axes.legend(**_LEGEND_ABOVE)
    plots["segments"] = _svg(figure)

    figure, axes = plt.subplots(figsize=(9, 3))
    for counts, label, colour in (
        (bins.balked, "turned away (line full)", "#8e44ad"),
        (bins.reneged, "gave up waiting", "#c0392b"),
        (bins.unserved, "still waiting at closing", "#7f8c8d"),
    ):
        totals = [0, *accumulate(counts[:count])]
        if label.startswith("still") and not totals[-1]:
            continue
        axes.plot(edges, totals, label=label, color=colour)
    axes.set(xlabel=unit, ylabel="customers lost (running total)", xlim=(0, end / scale))
    _clock_axis(axes, opening, scale)
    axes.set_ylim(bottom=0, top=max(1.0, axes.get_ylim()[1]))
    axes.legend(**_LEGEND_ABOVE)
    plots["lost"] = _svg(figure)
    return plots


def _histogram_bars(digest: RunDigest) -> tuple[list[int], list[float]]:
    """The wait histogram as 40 equal bars from 0 to the longest wait (each fine bin by its middle)."""
    histogram = digest.histogram
    longest = max((w for w in digest.bins.wait_max if w >= 0), default=0.0)
    top = longest if longest > 0 else 60.0
    bar = top / _HISTOGRAM_BARS
    heights = [0] * _HISTOGRAM_BARS
    for index, count in enumerate(histogram.counts):
        if count:
            middle = (index + 0.5) * histogram.width
            heights[min(_HISTOGRAM_BARS - 1, int(middle / bar))] += count
    return heights, [index * bar for index in range(_HISTOGRAM_BARS + 1)]


# --- the page --------------------------------------------------------------------------

_SUMMARY_ROWS = (
    ("arrived", "customers who came", "count"),
    ("served", "served", "count"),
    ("balked", "turned away (line full)", "count"),
    ("reneged", "gave up waiting", "count"),
    ("unserved", "still waiting at closing", "count"),
    ("wait_mean", "average wait of served customers", "time"),
    ("wait_p50", "half of served customers waited less than", "time"),
    ("wait_p90", "9 in 10 served customers waited less than", "time"),
    ("wait_p99", "99 in 100 served customers waited less than", "time"),
    ("wait_max", "longest wait of a served customer", "time"),
    ("queue_length_mean", "people in line, on average (all lines together)", "number"),
    ("queue_length_max", "longest line (the most in any one line)", "count"),
    ("utilisation", "tills busy (share of open time)", "share"),
    ("throughput_per_hour", "served per hour", "number"),
    ("lanes_max", "most tills open at once", "count"),
    ("elapsed", "simulated time", "time"),
)

#: Labels of the figures across runs that the summary table does not name.
_MORE_LABELS = {
    "waited": "served customers who waited at all",
    "wait_sd": "spread of waits of served customers (sd)",
    "waiting_mean": "people waiting (in line or at the door), on average",
    "wait_mean_all": "average wait of all arrivals (the lost included)",
}
_KINDS = {key: kind for key, _, kind in _SUMMARY_ROWS} | {
    "waited": "count",
    "wait_sd": "time",
    "waiting_mean": "number",
    "wait_mean_all": "time",
}
_LABELS = {key: label for key, label, _ in _SUMMARY_ROWS} | _MORE_LABELS


def _value_text(value: Any, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "time":
        return _duration(float(value))
    if kind == "share":
        return f"{value:.1%}"
    if kind == "number":
        return f"{value:.1f}"
    return f"{value:,}"


def _mean_text(value: float, kind: str) -> str:
    """A mean across runs: counts get one decimal (a mean of counts is not a count)."""
    return f"{value:,.1f}" if kind == "count" else _value_text(value, kind)


def _interval(name: str, values: Sequence[float | None]) -> tuple[float, float, float] | None:
    """(mean, low, high): the 95 % interval of a figure's mean across runs, cut to its range; or None."""
    found = bounded_interval(values, *figure_range(name))
    return None if found is None else (found.mean, found.low, found.high)


def _data(value: Any) -> str:
    return html.escape(json.dumps(value))


_STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{margin-bottom:.2rem}.sub{color:#666;margin-top:0}
.cards{display:flex;gap:1rem;flex-wrap:wrap;margin:1.5rem 0}
.card{flex:1 1 180px;border:1px solid #ddd;border-radius:8px;padding:.8rem 1rem;background:#fafafa}
.card .v{font-size:1.8rem;font-weight:600}.card .k{color:#555}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.25rem .8rem;border-bottom:1px solid #eee;text-align:left}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
section{margin:2rem 0}svg{max-width:100%;height:auto}
pre{background:#f6f6f6;padding:1rem;overflow:auto;font-size:.85rem}
"""


def _over_served(lost: int) -> str:
    """What every wait figure on the page is over."""
    if not lost:
        return "Wait figures are over served customers; nobody was lost."
    return (
        f"Wait figures are over served customers: the {lost:,} lost customers (turned away, gave up "
        f'or unserved) are not in them; see <a href="#lost">Customers lost</a>.'
    )


def _which_run(digest: RunDigest) -> str:
    """Which run the plots show, when the log holds several."""
    if digest.runs < 2:
        return ""
    number = digest.run if isinstance(digest.run, int) else 1
    return (
        f"Plots and tables show run {number} of {digest.runs}; "
        f'<a href="#runs">all {digest.runs} runs</a> are summed up below.'
    )


def _lanes_section(lanes: dict[str, Any] | None) -> str:
    """Waits and tills per lane group (a scenario with lanes)."""
    if not lanes:
        return ""
    rows = []
    for name, figures in lanes.items():
        cells = (
            ("served", figures["served"], f"{figures['served']:,}"),
            ("wait_mean", figures["wait_mean"], _duration(figures["wait_mean"])),
            ("wait_p90", figures["wait_p90"], _duration(figures["wait_p90"])),
            ("tills_max", figures["tills_max"], f"{figures['tills_max']:,}"),
            ("utilisation", figures["utilisation"], _share_text(figures["utilisation"])),
            ("lane_hours", figures["lane_hours"], f"{figures['lane_hours']:.1f}"),
            ("queue_length_mean", figures["queue_length_mean"], f"{figures['queue_length_mean']:.2f}"),
            ("assists", figures["assists"], "–" if figures["assists"] is None else f"{figures['assists']:,}"),
        )
        rows.append(
            f"<tr><td>{html.escape(name)}</td>"
            + "".join(
                f'<td class="num" data-lane="{html.escape(name)}" data-figure="{key}" '
                f'data-value="{_data(value)}">{text}</td>'
                for key, value, text in cells
            )
            + "</tr>"
        )
    return (
        '<section id="lanes"><h2>Waits and tills by lane group</h2>'
        '<table><tr><th>lane</th><th class="num">served</th><th class="num">average wait of served</th>'
        '<th class="num">9 in 10 served waited less than</th><th class="num">tills open at most</th>'
        '<th class="num">tills busy</th><th class="num">till-hours</th>'
        '<th class="num">people in its lines, on average (all together)</th><th class="num">helped</th></tr>'
        f"{''.join(rows)}</table></section>"
    )


def _clock_text(seconds: float, opening: float | None = None) -> str:
    """A point of the day: by the clock when the run has an opening time (``12:00``), else
    ``HH:MM`` from opening (``HH:MM:SS`` off the minute)."""
    return elapsed_text(seconds) if opening is None else clock_text(opening + seconds)


def _intervals_section(finished: dict[str, Any], config: dict[str, Any]) -> str:
    """A scenario with ``intervals``: waits and service level per interval against the target,
    tills staffed over the arrivals, and the interval table (from the summary's ``intervals``)."""
    intervals = finished.get("intervals")
    if not intervals:
        return ""
    import matplotlib.pyplot as plt

    target = (config.get("service_level") or {}).get("target")
    opening = _opening({"config": config})
    labels = [_clock_text(interval["start"], opening) for interval in intervals]
    since = "time of day" if opening is not None else "from opening"
    positions = list(range(len(intervals)))
    step = max(1, len(intervals) // 16)  # at most about 16 labels on an axis
    plots = []

    rows = 2 if target is not None else 1
    figure, axes = plt.subplots(rows, 1, figsize=(9, 2.6 * rows), sharex=True, squeeze=False)
    waits = axes[0][0]
    waits.bar(
        [p - 0.2 for p in positions],
        [(i["wait_mean"] or 0) / 60 for i in intervals],
        width=0.4,
        color="#2c3e50",
        label="average wait of those served",
    )
    waits.bar(
        [p + 0.2 for p in positions],
        [(i["wait_p90"] or 0) / 60 for i in intervals],
        width=0.4,
        color="#e67e22",
        label="9 in 10 of them waited less than",
    )
    if target is not None:
        waits.axhline(target / 60, color="#c0392b", linestyle="--", label=f"target: {_duration(target)}")
    waits.set(ylabel="wait (minutes)")
    waits.legend(**_LEGEND_ABOVE)
    if target is not None:
        level = axes[1][0]
        level.bar(
            positions,
            [100 * (i.get("service_level") or 0) for i in intervals],
            color="#27ae60",
        )
        level.set(ylabel=f"% within {_duration(target)}", ylim=(0, 100))
    axes[-1][0].set_xticks(positions[::step], labels[::step])
    axes[-1][0].set(xlabel=f"interval, {since} (customers count where they arrived)")
    plots.append(_svg(figure))

    figure, left = plt.subplots(figsize=(9, 3))
    left.bar(positions, [i["arrived"] for i in intervals], color="#bdc3c7", label="arrivals")
    left.set(ylabel="arrivals")
    right = left.twinx()
    right.step(
        [*positions, len(intervals)],
        [*(i["tills"] for i in intervals), intervals[-1]["tills"]],
        where="post",
        color="#2980b9",
        label="tills staffed (average)",
    )
    right.set(ylabel="tills")
    right.set_ylim(bottom=0)
    left.set_xticks(positions[::step], labels[::step])
    left.set(xlabel=f"interval, {since}")
    handles = left.get_legend_handles_labels()
    more = right.get_legend_handles_labels()
    left.legend(handles[0] + more[0], handles[1] + more[1], **_LEGEND_ABOVE)
    plots.append(_svg(figure))

    heading = ["from", "to", "arrived", "served", "lost", "average wait", "9 in 10 less than"]
    keys = ["wait_mean", "wait_p90"]
    if target is not None:
        heading.append(f"within {_duration(target)}")
    heading += ["tills", "busy", "longest line"]
    if "total_cost" in intervals[0]:
        heading.append("total cost")
    body = []
    for index, interval in enumerate(intervals):
        lost = interval["balked"] + interval["reneged"] + interval["unserved"]
        cells: list[tuple[str, Any, str]] = [
            ("start", interval["start"], _clock_text(interval["start"], opening)),
            ("end", interval["end"], _clock_text(interval["end"], opening)),
            ("arrived", interval["arrived"], f"{interval['arrived']:,}"),
            ("served", interval["served"], f"{interval['served']:,}"),
            ("lost", lost, f"{lost:,}"),
            *((key, interval[key], _duration(interval[key])) for key in keys),
        ]
        if target is not None:
            level = interval.get("service_level")
            cells.append(("service_level", level, _share_text(level)))
        cells += [
            ("tills", interval["tills"], f"{interval['tills']:.1f}"),
            ("utilisation", interval["utilisation"], _share_text(interval["utilisation"])),
            ("queue_length_max", interval["queue_length_max"], f"{interval['queue_length_max']:,}"),
        ]
        if "total_cost" in interval:
            cells.append(("total_cost", interval["total_cost"], f"{interval['total_cost']:,.2f}"))
        body.append(
            "<tr>"
            + "".join(
                f'<td class="num" data-interval="{index}" data-figure="{key}" data-value="{_data(value)}">'
                f"{html.escape(text)}</td>"
                for key, value, text in cells
            )
            + "</tr>"
        )
    head = "".join(f'<th class="num">{html.escape(h)}</th>' for h in heading)
    return (
        '<section id="intervals"><h2>Interval by interval</h2>'
        "<p>Customers count in the interval they arrived in; tills and busy time in the interval in which the time passed.</p>"
        f"{''.join(plots)}<table><tr>{head}</tr>"
        f"{''.join(body)}</table></section>"
    )


def _share_text(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _segment_rows(segments: dict[str, Any]) -> str:
    rows = []
    for segment, figures in segments.items():
        lost = figures["balked"] + figures["reneged"] + figures["unserved"]
        share = lost / figures["arrived"] if figures["arrived"] else None
        cells = (
            ("arrived", figures["arrived"], f"{figures['arrived']:,}"),
            ("served", figures["served"], f"{figures['served']:,}"),
            ("wait_mean", figures["wait_mean"], _duration(figures["wait_mean"])),
            ("wait_p90", figures["wait_p90"], _duration(figures["wait_p90"])),
            ("lost", lost, f"{lost:,}"),
            ("lost_share", share, "–" if share is None else f"{share:.1%}"),
        )
        rows.append(
            f"<tr><td>{html.escape(segment)}</td>"
            + "".join(
                f'<td class="num" data-segment="{html.escape(segment)}" data-figure="{key}" '
                f'data-value="{_data(value)}">{text}</td>'
                for key, value, text in cells
            )
            + "</tr>"
        )
    return "".join(rows)


def _runs_section(digest: RunDigest) -> str:
    """The figures of every run in the log: mean and 95 % interval of each (several runs only)."""
    if digest.runs < 2:
        return ""
    rows = []
    for key, values in digest.across_runs().items():
        found = _interval(key, values)
        kind = _KINDS[key]
        if found is None:
            mean_text, interval_text, data = "–", "–", ""
        else:
            mean, low, high = found
            mean_text = _mean_text(mean, kind)
            interval_text = f"{_mean_text(low, kind)} to {_mean_text(high, kind)}"
            data = f' data-mean="{_data(mean)}" data-low="{_data(low)}" data-high="{_data(high)}"'
        rows.append(
            f'<tr data-figure="{key}"{data}><td>{html.escape(_LABELS[key])}</td>'
            f'<td class="num">{mean_text}</td><td class="num">{interval_text}</td></tr>'
        )
    totals = ", ".join(f"{value:,} {key}" for key, value in digest.totals.items())
    return (
        f'<section id="runs"><h2>All {digest.runs} runs</h2>'
        f"<p>Each figure's mean over the runs and its 95 % confidence interval (Student t, cut at 0 "
        f"or 100 % where a figure cannot go further). "
        f"Customers in all runs together: {totals}.</p>"
        f'<table><tr><th>figure</th><th class="num">mean</th><th class="num">95 % interval</th></tr>'
        f"{''.join(rows)}</table></section>"
    )


def _span(started: dict[str, Any], elapsed: float) -> str:
    """``08:00–20:14:37, ``: the run's span by the clock, when its scenario gave ``opens_at``."""
    opening = _opening(started)
    if opening is None:
        return ""
    return f"{clock_text(opening)}–{clock_text(opening + elapsed)}, "


def render(digest: RunDigest) -> str:
    """The whole page of the digest's plotted run."""
    finished, started = digest.finished, digest.started
    assert finished is not None and started is not None
    plots = _plots(digest)
    config = started.get("config") or {}
    name = html.escape(str(started.get("scenario", "run")))
    arrived, served = finished["arrived"], finished["served"]
    lost = finished["balked"] + finished["reneged"] + finished["unserved"]
    cards = [
        (f"{served:,}", f"customers served: {_share(served, arrived)} of {arrived:,} arrivals"),
        (_duration(finished.get("wait_mean")), "average wait of served customers"),
        (_duration(finished.get("wait_p90")), "9 in 10 served customers waited less than"),
        (
            f"{lost:,}",
            f"customers lost: {_share(lost, arrived)} of arrivals (turned away, gave up, unserved)",
        ),
        (f"{finished['queue_length_max']:,}", "longest line (the most in any one line)"),
    ]
    rows = "".join(
        f'<tr><td>{html.escape(label)}</td><td class="num" data-figure="{key}" '
        f'data-value="{_data(finished.get(key))}">{_value_text(finished.get(key), kind)}</td></tr>'
        for key, label, kind in _SUMMARY_ROWS
    )
    description = html.escape(str(config.get("description") or ""))
    interrupted = " — interrupted before the end" if finished.get("interrupted") else ""
    which = _which_run(digest)
    sampled = digest.sample.seen > len(digest.sample.points)
    dots = (
        f"Each dot is one served customer (a random {SAMPLE_SIZE:,} of the {digest.sample.seen:,}), "
        if sampled
        else "Each dot is one served customer, "
    )
    settings = html.escape(settings_text(config))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>checkout-sim report: {name}</title><style>{_STYLE}</style></head>
<body>
<h1>{name}</h1>
<p class="sub">{description}</p>
<p class="sub">{_span(started, finished["elapsed"])}{_duration(finished["elapsed"])} simulated, {html.escape(str(started.get("clock")))} clock, seed {html.escape(str(started.get("seed", "–")))}{interrupted}</p>
{f'<p class="sub" id="which-run">{which}</p>' if which else ""}
<div class="cards">{"".join(f'<div class="card"><div class="v">{v}</div><div class="k">{html.escape(k)}</div></div>' for v, k in cards)}</div>
<p>{_over_served(lost)}</p>
<section id="line"><h2>How many people were waiting</h2>{plots["line"]}</section>
<section id="waits"><h2>How long served customers waited</h2><p>{dots}placed at the moment they reached a till. Dashed lines: half, 9 in 10 and 99 in 100 served customers waited less than this.</p>{plots["waits"]}</section>
<section id="cashiers"><h2>Tills open and busy</h2>{plots["cashiers"]}</section>
<section id="segments"><h2>Waits by customer group</h2>
<table><tr><th>group</th><th class="num">arrived</th><th class="num">served</th><th class="num">average wait of served</th><th class="num">9 in 10 served waited less than</th><th class="num">lost</th><th class="num">lost share of arrivals</th></tr>{_segment_rows(finished.get("segments") or {})}</table>
{plots["segments"]}</section>
{_lanes_section(finished.get("lanes"))}
{_intervals_section(finished, config)}
<section id="lost"><h2>Customers lost</h2>{plots["lost"]}</section>
<section id="summary"><h2>Summary</h2><table>{rows}</table></section>
{_runs_section(digest)}
<section id="settings"><h2>Scenario settings</h2><p>The scenario as the run read it, defaults included.</p><pre>{settings}</pre></section>
</body></html>
"""
