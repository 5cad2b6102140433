"""A one-file HTML report of a run, built from its event log: what a store manager reads.

Everything is derived from the log's events (so a report can be made later from a
saved log) and embedded: plots are inline SVG from matplotlib, styles are inline, and
the page needs no network. ``scenario-report run.jsonl -o report.html`` makes one.
"""

from __future__ import annotations

import argparse
import html
import io
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

__all__ = ["ReportError", "build_report", "main", "read_events"]


class ReportError(ValueError):
    """The events cannot make a report (not a log, or a log without a finished run)."""


@dataclass
class _Run:
    """The series a report plots, rebuilt from one run's events."""

    started: dict[str, Any]
    finished: dict[str, Any]
    waiting: list[tuple[float, int]] = field(default_factory=list)
    open_lanes: list[tuple[float, int]] = field(default_factory=list)
    busy: list[tuple[float, int]] = field(default_factory=list)
    waits: list[tuple[float, float, str]] = field(default_factory=list)
    balks: list[float] = field(default_factory=list)
    reneges: list[float] = field(default_factory=list)


def read_events(lines: Iterable[bytes]) -> list[dict[str, Any]]:
    """Parse JSON lines; blank lines are skipped, anything else that is not an object is an error."""
    events = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            event = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            raise ReportError(f"line {number}: not JSON ({error})") from None
        if not isinstance(event, dict) or "event" not in event:
            raise ReportError(f"line {number}: not an event")
        events.append(event)
    return events


def _rebuild(events: Sequence[dict[str, Any]]) -> _Run:
    first_run = events[0].get("run") if events else None
    mine = [event for event in events if event.get("run") == first_run]
    started = next((e for e in mine if e["event"] == "run_started"), None)
    finished = next((e for e in mine if e["event"] == "run_finished"), None)
    if started is None or finished is None:
        raise ReportError("the log has no complete run (run_started ... run_finished)")
    run = _Run(started, finished)
    segment: dict[int, str] = {}
    waiting = lanes = busy = 0
    for event in mine:
        kind, t = event["event"], event["t"]
        if kind == "customer_arrived":
            segment[event["customer"]] = event["segment"]
            waiting += 1
        elif kind in ("customer_balked", "customer_reneged", "customer_unserved"):
            waiting -= 1
            if kind == "customer_balked":
                run.balks.append(t)
            elif kind == "customer_reneged":
                run.reneges.append(t)
        elif kind == "checkout_started":
            waiting -= 1
            busy += 1
            run.waits.append((t, event["wait"], segment.get(event["customer"], "")))
        elif kind == "checkout_finished":
            busy -= 1
        elif kind == "cashier_opened":
            lanes += 1
        elif kind == "cashier_closed":
            lanes -= 1
        else:
            continue
        for series, value in ((run.waiting, waiting), (run.open_lanes, lanes), (run.busy, busy)):
            if series and series[-1][0] == t:
                series[-1] = (t, value)  # only the state after an instant counts: no zero-width spikes
            else:
                series.append((t, value))
    return run


# --- plots ----------------------------------------------------------------------


def _time_scale(end: float) -> tuple[float, str]:
    if end > 3 * 3600:
        return 3600.0, "hours since opening"
    if end > 180:
        return 60.0, "minutes since opening"
    return 1.0, "seconds since opening"


def _svg(figure: Any) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    import matplotlib.pyplot as plt

    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _plots(run: _Run) -> dict[str, str]:
    try:
        import matplotlib
    except ImportError:
        raise ReportError("reports need matplotlib: pip install 'checkout-sim[report]'") from None
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
    end = float(run.finished["t"])
    scale, unit = _time_scale(end)
    plots: dict[str, str] = {}

    figure, axes = plt.subplots(figsize=(9, 3))
    axes.step([t / scale for t, _ in run.waiting], [n for _, n in run.waiting], where="post", color="#c0392b")
    axes.set(xlabel=unit, ylabel="people waiting", xlim=(0, end / scale))
    axes.set_ylim(bottom=0)
    plots["line"] = _svg(figure)

    waits = [w / 60 for _, w, _ in run.waits]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.2), gridspec_kw={"width_ratios": [3, 2]})
    left.scatter([t / scale for t, _, _ in run.waits], waits, s=4, alpha=0.4, color="#2c3e50")
    left.set(xlabel=unit + " (when they reached a till)", ylabel="wait (minutes)", xlim=(0, end / scale))
    left.set_ylim(bottom=0)
    right.hist(waits, bins=40, color="#95a5a6")
    for name, colour in (("wait_p50", "#27ae60"), ("wait_p90", "#e67e22"), ("wait_p99", "#c0392b")):
        value = run.finished.get(name)
        if value is not None:
            right.axvline(value / 60, color=colour, linestyle="--", label=f"{name[5:]}: {_duration(value)}")
    right.set(xlabel="wait (minutes)", ylabel="customers")
    if waits:
        right.legend(frameon=False)
    plots["waits"] = _svg(figure)

    figure, axes = plt.subplots(figsize=(9, 3))
    axes.fill_between(
        [t / scale for t, _ in run.busy],
        [n for _, n in run.busy],
        step="post",
        label="tills busy",
        color="#e67e22",
        alpha=0.6,
        linewidth=0,
    )
    axes.step(
        [t / scale for t, _ in run.open_lanes],
        [n for _, n in run.open_lanes],
        where="post",
        label="tills open",
        color="#2980b9",
    )
    axes.set(xlabel=unit, ylabel="tills", xlim=(0, end / scale))
    axes.set_ylim(bottom=0)
    axes.legend(frameon=False, loc="upper right")
    plots["cashiers"] = _svg(figure)

    segments = run.finished.get("segments") or {}
    names = list(segments)
    figure, axes = plt.subplots(figsize=(9, 0.5 + 0.5 * max(1, len(names))))
    means = [(segments[n]["wait_mean"] or 0) / 60 for n in names]
    p90s = [(segments[n]["wait_p90"] or 0) / 60 for n in names]
    positions = range(len(names))
    axes.barh(
        [p + 0.2 for p in positions], p90s, height=0.4, label="9 in 10 waited less than", color="#e67e22"
    )
    axes.barh([p - 0.2 for p in positions], means, height=0.4, label="average wait", color="#2c3e50")
    axes.set_yticks(list(positions), names)
    axes.set(xlabel="minutes")
    axes.legend(frameon=False, loc="lower right")
    plots["segments"] = _svg(figure)

    figure, axes = plt.subplots(figsize=(9, 3))
    for times, label, colour in (
        (run.balks, "turned away (line full)", "#8e44ad"),
        (run.reneges, "gave up waiting", "#c0392b"),
    ):
        xs = [0.0, *(t / scale for t in times), end / scale]
        axes.step(xs, [0, *range(1, len(times) + 1), len(times)], where="post", label=label, color=colour)
    axes.set(xlabel=unit, ylabel="customers lost (running total)", xlim=(0, end / scale))
    axes.set_ylim(bottom=0)
    axes.legend(frameon=False, loc="upper left")
    plots["lost"] = _svg(figure)
    return plots


# --- the page -------------------------------------------------------------------


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


_SUMMARY_ROWS = (
    ("arrived", "customers who came", "count"),
    ("served", "served", "count"),
    ("balked", "turned away (line full)", "count"),
    ("reneged", "gave up waiting", "count"),
    ("unserved", "still waiting at closing", "count"),
    ("wait_mean", "average wait", "time"),
    ("wait_p50", "half waited less than", "time"),
    ("wait_p90", "9 in 10 waited less than", "time"),
    ("wait_p99", "99 in 100 waited less than", "time"),
    ("wait_max", "longest wait", "time"),
    ("queue_length_mean", "people in line, on average", "number"),
    ("queue_length_max", "longest line", "count"),
    ("utilisation", "tills busy (share of open time)", "share"),
    ("throughput_per_hour", "served per hour", "number"),
    ("lanes_max", "most tills open at once", "count"),
    ("elapsed", "simulated time", "time"),
)


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


_STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{margin-bottom:.2rem}.sub{color:#666;margin-top:0}
.cards{display:flex;gap:1rem;flex-wrap:wrap;margin:1.5rem 0}
.card{flex:1 1 180px;border:1px solid #ddd;border-radius:8px;padding:.8rem 1rem;background:#fafafa}
.card .v{font-size:1.8rem;font-weight:600}.card .k{color:#555}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.25rem .8rem;border-bottom:1px solid #eee;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
section{margin:2rem 0}svg{max-width:100%;height:auto}
pre{background:#f6f6f6;padding:1rem;overflow:auto;font-size:.85rem}
"""


def build_report(events: Sequence[dict[str, Any]]) -> str:
    """The HTML page for the first complete run in ``events``."""
    run = _rebuild(events)
    plots = _plots(run)
    finished, started = run.finished, run.started
    config = started.get("config") or {}
    name = html.escape(str(started.get("scenario", "run")))
    lost = finished["balked"] + finished["reneged"] + finished["unserved"]
    cards = [
        (f"{finished['served']:,}", "customers served"),
        (_duration(finished.get("wait_mean")), "average wait"),
        (_duration(finished.get("wait_p90")), "9 in 10 waited less than"),
        (f"{lost:,}", "customers lost (turned away, gave up, unserved)"),
        (f"{finished['queue_length_max']:,}", "longest line"),
    ]
    rows = "".join(
        f'<tr><td>{html.escape(label)}</td><td class="num" data-figure="{key}" '
        f'data-value="{html.escape(json.dumps(finished.get(key)))}">{_value_text(finished.get(key), kind)}</td></tr>'
        for key, label, kind in _SUMMARY_ROWS
    )
    segment_rows = "".join(
        f"<tr><td>{html.escape(segment)}</td><td class='num'>{figures['served']:,}</td>"
        f"<td class='num'>{_duration(figures['wait_mean'])}</td><td class='num'>{_duration(figures['wait_p90'])}</td>"
        f"<td class='num'>{figures['balked'] + figures['reneged']:,}</td></tr>"
        for segment, figures in (finished.get("segments") or {}).items()
    )
    description = html.escape(str(config.get("description") or ""))
    interrupted = " — interrupted before the end" if finished.get("interrupted") else ""
    settings = html.escape(json.dumps(config, indent=2, ensure_ascii=False))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>checkout-sim report: {name}</title><style>{_STYLE}</style></head>
<body>
<h1>{name}</h1>
<p class="sub">{description}</p>
<p class="sub">{_duration(finished["elapsed"])} simulated, {html.escape(str(started.get("clock")))} clock, seed {started.get("seed")}{interrupted}</p>
<div class="cards">{"".join(f'<div class="card"><div class="v">{v}</div><div class="k">{html.escape(k)}</div></div>' for v, k in cards)}</div>
<section id="line"><h2>How many people were waiting</h2>{plots["line"]}</section>
<section id="waits"><h2>How long people waited</h2><p>Each dot is one customer, placed at the moment they reached a till. Dashed lines: half, 9 in 10 and 99 in 100 customers waited less than this.</p>{plots["waits"]}</section>
<section id="cashiers"><h2>Tills open and busy</h2>{plots["cashiers"]}</section>
<section id="segments"><h2>Waits by customer group</h2>
<table><tr><th>group</th><th>served</th><th>average wait</th><th>9 in 10 waited less than</th><th>lost</th></tr>{segment_rows}</table>
{plots["segments"]}</section>
<section id="lost"><h2>Customers lost</h2>{plots["lost"]}</section>
<section id="summary"><h2>Summary</h2><table>{rows}</table></section>
<section id="settings"><h2>Scenario settings</h2><p>Times in seconds, rates per second.</p><pre>{settings}</pre></section>
</body></html>
"""


def main(argv: Sequence[str] | None = None) -> int:
    """``scenario-report LOG -o report.html``: build the report of a saved event log."""
    parser = argparse.ArgumentParser(
        prog="scenario-report", description="Build an HTML report from an event log."
    )
    parser.add_argument("log", metavar="LOG", help="a JSON-lines event log (- for stdin)")
    parser.add_argument("-o", "--output", metavar="PATH", required=True, help="the HTML file to write")
    args = parser.parse_args(argv)
    try:
        raw = sys.stdin.buffer.read() if args.log == "-" else Path(args.log).read_bytes()
        page = build_report(read_events(raw.splitlines()))
        Path(args.output).write_text(page, encoding="utf-8")
    except ReportError as error:
        print(f"scenario-report: {args.log}: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"scenario-report: {error.filename}: {error.strerror}", file=sys.stderr)
        return 1
    return 0
