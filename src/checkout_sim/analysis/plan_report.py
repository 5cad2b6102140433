"""``run-scenario SCENARIO --plan --report plan.html``: the plan as one self-contained page (issue 22).

The page shows what the stderr table (:mod:`.plan_display`) says, drawn: the staff of each
planned group per interval over the arrivals, each goal's figure per interval against its
target for every whole-day plan compared on the verification seeds (the simulated plan
with its 95 % band), and what each of those plans costs. It is made from the
:class:`.planning.PlanResult` alone, which holds run summaries, never customers, so its
size is fixed by the number of intervals, groups and plans. Plots are inline SVG from
matplotlib, styles inline, and the page needs no network and no script, like the run
report (:mod:`.report_page`), whose helpers and styles it shares.
"""

# ruff: noqa: E501 - the HTML template reads better unwrapped

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from .goals import PER_INTERVAL, Goal
from .plan_display import (
    PLAN_NAMES,
    _erlang_kind,
    interval_cells,
    method_sentences,
    moment_of,
    money_text,
    shift_sentences,
    worst_interval,
)
from .planning import Judged, PlanResult, day_total, goal_holds
from .report import _write_page, require_plotting
from .report_page import _LEGEND_ABOVE, _STYLE, _duration, _duration_text, _svg

__all__ = ["plan_page", "write_plan_report"]

#: Each whole-day plan's line: colour, line style, width. The plan itself is drawn boldest.
_LOOKS: dict[str, tuple[str, str, float]] = {
    "simulated": ("#2980b9", "-", 2.2),
    "shifts": ("#27ae60", "--", 1.6),
    "offered_load": ("#8e44ad", "-.", 1.3),
    "pointwise": ("#e67e22", ":", 1.8),
}
#: The plans drawn over the arrivals: the plan, what is rostered, and the textbook answer.
_STAFF_PLANS = ("simulated", "shifts", "pointwise")
#: Figures that are shares (drawn in %, their band cut at 0 and 100 %).
_SHARES = frozenset({"service_level", "utilisation"})
#: Axes get about this many labelled ticks at most.
_TICKS = 12
_STAFF_COST_COLOUR, _LOST_COST_COLOUR, _HOURS_COLOUR = "#2980b9", "#c0392b", "#95a5a6"

_PLAN_STYLE = """
th.group{text-align:center;border-bottom:1px solid #bbb}
td.miss{color:#c0392b;font-weight:600}
ul.goals{margin:.3rem 0}
"""


def write_plan_report(result: PlanResult, path: str) -> None:
    """Write :func:`plan_page` to ``path``; :class:`.report.ReportUnwritable` (one line naming
    the path) when it cannot be written, as the run report does."""
    _write_page(path, plan_page(result))


def plan_page(result: PlanResult) -> str:
    """The whole page of a plan, as a string (nothing is written: a caller or a test decides where).

    :class:`.report.ReportError` with the install hint when matplotlib is missing.
    """
    require_plotting()
    import matplotlib

    matplotlib.use("Agg")
    # The run report's settings, but only for these plots: a page made in a process that
    # also plots for itself does not change its settings.
    with matplotlib.rc_context(
        {
            "svg.hashsalt": "checkout-sim",
            "font.size": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    ):
        staff = _staff_plot(result)
        goals = "".join(_goal_plots(result))
        costs = _cost_plot(result)
    scenario = result.scenario
    name = html.escape(scenario.name)
    description = html.escape(scenario.description or "")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>checkout-sim plan: {name}</title><style>{_STYLE}{_PLAN_STYLE}</style></head>
<body>
<h1>Staffing plan: {name}</h1>
{f'<p class="sub">{description}</p>' if description else ""}
<p class="sub" id="day">{html.escape(_day_text(result))}</p>
{_cards(result)}
{_method_section(result)}
<section id="staff"><h2>Tills per interval over the arrivals</h2>
<p>{html.escape(_staff_words(result))}</p>{staff}{_shifts_list(result)}</section>
<section id="goals"><h2>The goals interval by interval</h2>
<p>{html.escape(_goal_words(result))}</p>{goals}</section>
<section id="costs"><h2>What each plan costs</h2>
<p>{html.escape(_cost_words(result))}</p>{costs}{_cost_table(result)}</section>
<section id="intervals"><h2>Interval by interval</h2>
<p>{html.escape(_table_words(result))}</p>{_interval_table(result)}</section>
</body></html>
"""


# --- words -------------------------------------------------------------------------------


def _length_text(seconds: float) -> str:
    """An interval's length as a scenario writes it (``30min``, ``1h30min``)."""
    spelled = _duration_text(seconds)
    return spelled if isinstance(spelled, str) else _duration(seconds)


def _day_text(result: PlanResult) -> str:
    """``09:00–11:00 by the clock, 4 intervals of 30min``."""
    scenario, grid = result.scenario, result.grid
    moment = moment_of(scenario)
    kind = "by the clock" if scenario.opens_at is not None else "from opening"
    many = "interval" if grid.count == 1 else "intervals"
    return f"{moment(0)}–{moment(grid.day)} {kind}, {grid.count} {many} of {_length_text(grid.length)}"


def _method_section(result: PlanResult) -> str:
    """The goals and how the plan was found, so the page says what its numbers rest on."""
    scenario = result.scenario
    goals = "".join(
        f"<li><code>{html.escape(goal.text)}</code> in every interval</li>" for goal in result.goals
    )
    level = scenario.service_level
    defined = (
        f"<p>Service level: the share of customers who reached a till within {html.escape(_length_text(level.target))}.</p>"
        if level is not None
        else ""
    )
    said = [sentence[0].upper() + sentence[1:] + "." for sentence in method_sentences(result)]
    said.insert(1, "Every figure below is from the verification runs.")
    paragraphs = "".join(f"<p>{html.escape(text)}</p>" for text in said)
    return f'<section id="method"><h2>Goals and method</h2><ul class="goals">{goals}</ul>{defined}{paragraphs}</section>'


def _staff_words(result: PlanResult) -> str:
    several = len(result.groups) > 1
    return (
        "Tills open in each interval: the simulated plan (solid), "
        + ("the shifts that cover it (dashed), " if "shifts" in result.compared else "")
        + ("the pointwise Erlang answer (dotted), " if "pointwise" in result.compared else "")
        + "over the customers arriving in the interval (shaded, right axis"
        + (", the darker part those the group gets" if several else "")
        + "; mean of the verification runs)."
    )


def _goal_words(result: PlanResult) -> str:
    return (
        "Each goal's figure per interval (its mean over the verification runs) for each whole-day plan, "
        "against the goal's target (dashed). The band is the simulated plan's 95 % interval; a cross "
        "marks an interval whose mean misses the goal. A gap: nobody arrived in that interval."
    )


def _cost_words(result: PlanResult) -> str:
    if result.scenario.costs is None:
        return (
            "The scenario gives no costs: each plan is weighed by its till-hours "
            "(mean per day of the verification runs)."
        )
    return (
        "Mean per day of the verification runs: the staff's wages and what lost customers cost "
        "(turned away, gave up or unserved)."
    )


def _table_words(result: PlanResult) -> str:
    return (
        "Per planned group: the Erlang answer for the interval alone (C, or A where every customer "
        "it serves may give up), the offered-load Erlang answer and the simulated plan"
        + (", and the shifts" if "shifts" in result.compared else "")
        + "; then the first goal's figure (the simulated plan with its 95 % half-width). "
        "“miss”: the mean misses the goal."
    )


def _left_text(goal: Goal) -> str:
    """The goal's left side as written (``min_interval(service_level)``)."""
    return goal.text.split(goal.comparator, 1)[0].strip()


def _figure_of(goal: Goal) -> str | None:
    """The interval figure a goal's left side is, when it is one alone (``service_level``)."""
    found = PER_INTERVAL.fullmatch(_left_text(goal))
    return found[2] if found is not None else None


# --- cards ---------------------------------------------------------------------------------


def _means(judged: Judged) -> tuple[float, float | None, float | None]:
    """Mean per day of (till-hours, staff cost, lost cost); the costs None without ``costs``."""
    summaries = judged.summaries
    runs = max(1, len(summaries))
    hours = math.fsum(day_total(s, "lane_hours") or 0.0 for s in summaries) / runs
    if not any(s.staff_cost is not None for s in summaries):
        return hours, None, None
    staff = math.fsum(day_total(s, "staff_cost") or 0.0 for s in summaries) / runs
    lost = math.fsum(day_total(s, "lost_cost") or 0.0 for s in summaries) / runs
    return hours, staff, lost


def _cards(result: PlanResult) -> str:
    verified = result.verified
    hours, _, _ = _means(verified)
    mean, half = verified.cost
    missing = len(verified.misses)
    if result.scenario.costs is not None:
        cards = [
            (f"{hours:,.1f}", "till-hours in the day (the simulated plan)"),
            (f"{money_text(result, mean)} ±{half:,.0f}", "total cost per day (95 % interval)"),
        ]
    else:  # the plan's cost is its till-hours: one card
        cards = [(f"{mean:,.1f} ±{half:,.1f}", "till-hours in the day (the simulated plan, 95 % interval)")]
    cards.append(
        (
            f"{missing}",
            f"interval{'' if missing == 1 else 's'} of {result.grid.count} where a goal's mean misses",
        )
    )
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><div class="v">{html.escape(value)}</div><div class="k">{html.escape(key)}</div></div>'
            for value, key in cards
        )
        + "</div>"
    )


# --- plots ---------------------------------------------------------------------------------


def _plain(text: str) -> str:
    """A user's name as matplotlib text: a ``$`` would start mathematics."""
    return text.replace("$", r"\$")


def _edges(result: PlanResult) -> list[float]:
    """The intervals' starts and the day's end, in seconds since opening."""
    grid = result.grid
    return [*grid.starts(), grid.day]


def _steps(values: Sequence[float | None]) -> list[float]:
    """Per-interval values for a step plot over :func:`_edges` (None: a gap)."""
    shown = [math.nan if value is None else float(value) for value in values]
    return [*shown, shown[-1]]


def _tick_step(length: float, edges: int) -> int:
    """Every how many intervals a tick goes: at most about :data:`_TICKS` ticks, on whole hours
    or their parts where the intervals allow (15-minute intervals: every hour, not every 75 min)."""
    least = max(1, math.ceil(edges / _TICKS))
    for step in range(least, 4 * least + 1):
        span = round(step * length)
        if span and (span % 3600 == 0 or 3600 % span == 0):
            return step
    return least


def _time_axis(axes: Any, result: PlanResult) -> None:
    """Ticks on interval starts (about :data:`_TICKS` of them), labelled by the clock or from opening."""
    edges = _edges(result)
    step = _tick_step(result.grid.length, len(edges))
    ticks = edges[::step]
    moment = moment_of(result.scenario)
    axes.set_xticks(ticks, [moment(tick) for tick in ticks])
    axes.set_xlim(edges[0], edges[-1])
    since = "time of day" if result.scenario.opens_at is not None else "time since opening"
    axes.set_xlabel(f"{since} (intervals of {_length_text(result.grid.length)})")


def _staff_plot(result: PlanResult) -> str:
    """Per planned group a panel: each plan's tills as steps, over the arrivals shaded."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    groups = result.groups
    edges = _edges(result)
    plans = [(name, result.compared[name][0]) for name in _STAFF_PLANS if name in result.compared]
    if "simulated" not in result.compared:
        plans.insert(0, ("simulated", result.plan))
    figure, panels = plt.subplots(
        len(groups), 1, figsize=(9, 0.6 + 2.6 * len(groups)), sharex=True, squeeze=False
    )
    handles: list[Any] = []
    for number, (group, row) in enumerate(zip(groups, panels, strict=True)):
        axes = row[0]
        arrivals = axes.twinx()
        # The tills in front of the shaded arrivals (a twin axes is drawn above its host).
        axes.set_zorder(arrivals.get_zorder() + 1)
        axes.patch.set_visible(False)
        shaded = [
            arrivals.fill_between(
                edges,
                _steps(result.shop_arrivals),
                step="post",
                color="#bdc3c7",
                alpha=0.5,
                linewidth=0,
                label="customers arriving at the shop",
            )
        ]
        if len(groups) > 1:
            shaded.append(
                arrivals.fill_between(
                    edges,
                    _steps(result.arrivals[number]),
                    step="post",
                    color="#7f8c8d",
                    alpha=0.45,
                    linewidth=0,
                    label="of them reaching the group",
                )
            )
        arrivals.set_ylim(bottom=0)
        arrivals.set_ylabel("customers per interval")
        arrivals.spines["right"].set_visible(True)
        lines = []
        for name, staffing in plans:
            colour, style, width = _LOOKS.get(name, ("#2c3e50", "-", 1.2))
            (line,) = axes.step(
                edges,
                _steps([float(count) for count in staffing[number]]),
                where="post",
                color=colour,
                linestyle=style,
                linewidth=width,
                label=PLAN_NAMES.get(name, name),
            )
            lines.append(line)
        top = max(max(staffing[number]) for _, staffing in plans)
        axes.set_ylim(0, top + 1)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_ylabel("tills" if group.name == "tills" else f"{_plain(group.name)}: tills")
        if number == 0:
            handles = lines + shaded
    _time_axis(panels[-1][0], result)
    panels[0][0].legend(handles, [handle.get_label() for handle in handles], **_LEGEND_ABOVE)
    return _svg(figure)


def _goal_plots(result: PlanResult) -> list[str]:
    """Per goal a plot: its figure per interval for each compared plan against the target.

    One figure each, not panels of one: every goal's legend sits above its own axes."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import PercentFormatter

    edges = _edges(result)
    middles = [(start + end) / 2 for start, end in pairwise(edges)]
    compared = dict(result.compared) or {"simulated": (result.plan, result.verified)}
    plots = []
    for number, goal in enumerate(result.goals):
        figure, axes = plt.subplots(figsize=(9, 3.2))
        figure_name = _figure_of(goal)
        minutes = figure_name is not None and figure_name.startswith("wait")
        scale = 60.0 if minutes else 1.0
        share = figure_name in _SHARES
        right = goal.right({})
        drawn: list[float] = []  # every value shown, in the axis's unit
        for name, (_, judged) in compared.items():
            colour, style, width = _LOOKS.get(name, ("#2c3e50", "-", 1.2))
            sides = judged.sides[number]
            means = [None if mean is None else mean / scale for mean, _ in sides]
            drawn += [mean for mean in means if mean is not None]
            if name == "simulated":
                low, high = [], []
                for mean, half in sides:
                    if mean is None or half is None:
                        low.append(math.nan)
                        high.append(math.nan)
                        continue
                    lower, upper = mean - half, mean + half
                    if figure_name is not None:  # every interval figure is at least 0; shares at most 1
                        lower = max(0.0, lower)
                        upper = min(1.0, upper) if share else upper
                    low.append(lower / scale)
                    high.append(upper / scale)
                    drawn.append(lower / scale)
                axes.fill_between(
                    edges,
                    _steps(low),
                    _steps(high),
                    step="post",
                    color=colour,
                    alpha=0.18,
                    linewidth=0,
                    label="simulated: 95 % interval",
                )
            axes.step(
                edges,
                _steps(means),
                where="post",
                color=colour,
                linestyle=style,
                linewidth=width,
                label=PLAN_NAMES.get(name, name),
            )
            missed = [
                (middle, mean / scale)
                for middle, (mean, _) in zip(middles, sides, strict=True)
                if mean is not None and not goal_holds(goal, mean)
            ]
            if missed:
                axes.plot(
                    [x for x, _ in missed],
                    [y for _, y in missed],
                    linestyle="none",
                    marker="x",
                    markersize=7,
                    color=colour,
                )
        if right is not None:
            axes.axhline(
                right / scale,
                color="#c0392b",
                linestyle="--",
                linewidth=1.2,
                label=f"goal: {_plain(_left_text(goal))} {goal.comparator} {_target_text(right, figure_name)}",
            )
        label = _plain(_left_text(goal) if figure_name is None else figure_name.replace("_", " "))
        if minutes:
            label += " (minutes)"
        axes.set_ylabel(label)
        if share:
            # From a tenth below the lowest shown (a service level near 90 % is not squashed at the top).
            # (a share's axis is unscaled: right is in its unit)
            shown = [value for value in (*drawn, right) if value is not None and math.isfinite(value)]
            bottom = max(0.0, math.floor((min(shown, default=0.0) - 0.05) * 10) / 10)
            axes.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
            axes.set_ylim(bottom, 1.02)
        elif figure_name is not None:
            axes.set_ylim(bottom=0)
        axes.legend(**_LEGEND_ABOVE)
        _time_axis(axes, result)
        plots.append(_svg(figure))
    return plots


def _target_text(right: float, figure_name: str | None) -> str:
    """A goal's target as the goal says it: ``0.8``, ``5 min`` for a wait."""
    if figure_name is not None and figure_name.startswith("wait"):
        return _duration(right)
    return f"{right:g}"


def _cost_plot(result: PlanResult) -> str:
    """Each compared plan's day: staff cost and lost cost stacked (till-hours without costs)."""
    import matplotlib.pyplot as plt

    compared = dict(result.compared) or {"simulated": (result.plan, result.verified)}
    names = list(compared)
    means = [_means(judged) for _, judged in compared.values()]
    money = result.scenario.costs is not None and all(staff is not None for _, staff, _ in means)
    positions = list(range(len(names)))[::-1]  # the first plan on top
    figure, axes = plt.subplots(figsize=(9, 0.9 + 0.5 * len(names)))
    if money:
        staff = [value or 0.0 for _, value, _ in means]
        lost = [value or 0.0 for _, _, value in means]
        axes.barh(positions, staff, height=0.6, color=_STAFF_COST_COLOUR, label="staff cost")
        axes.barh(positions, lost, left=staff, height=0.6, color=_LOST_COST_COLOUR, label="lost customers")
        currency = result.scenario.costs.currency if result.scenario.costs is not None else None
        axes.set_xlabel(f"{_plain(currency)} per day (mean)" if currency else "cost per day (mean)")
        axes.legend(**_LEGEND_ABOVE)
    else:
        axes.barh(positions, [hours for hours, _, _ in means], height=0.6, color=_HOURS_COLOUR)
        axes.set_xlabel("till-hours per day (mean)")
    axes.set_yticks(positions, [_plain(PLAN_NAMES.get(name, name)) for name in names])
    return _svg(figure)


# --- tables --------------------------------------------------------------------------------


def _cost_table(result: PlanResult) -> str:
    """The numbers of the cost plot, with each plan's worst interval and misses (as on stderr)."""
    compared = dict(result.compared) or {"simulated": (result.plan, result.verified)}
    money = result.scenario.costs is not None
    moment = moment_of(result.scenario)
    heading = ["whole-day plan", "till-hours"]
    heading += ["staff cost", "lost cost", "total (95 %)"] if money else ["cost (95 %)"]
    heading += ["worst interval", "intervals missing"]
    rows = []
    for name, (_, judged) in compared.items():
        hours, staff, lost = _means(judged)
        cells = [("lane_hours", f"{hours:,.1f}")]
        mean, half = judged.cost
        if money:
            cells += [
                ("staff_cost", money_text(result, staff or 0.0)),
                ("lost_cost", money_text(result, lost or 0.0)),
                ("total_cost", f"{money_text(result, mean)} ±{half:,.0f}"),
            ]
        else:
            cells.append(("cost", f"{mean:,.1f} ±{half:,.1f}"))
        worst = worst_interval(result, judged)
        cells.append(
            ("worst", "–" if worst is None else f"{worst[0]:.3f} at {moment(worst[1] * result.grid.length)}")
        )
        cells.append(("misses", str(len(judged.misses))))
        rows.append(
            f'<tr data-plan="{html.escape(name)}"><td>{html.escape(PLAN_NAMES.get(name, name))}</td>'
            + "".join(f'<td class="num" data-figure="{key}">{html.escape(text)}</td>' for key, text in cells)
            + "</tr>"
        )
    head = "<th>whole-day plan</th>" + "".join(f'<th class="num">{html.escape(h)}</th>' for h in heading[1:])
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _shifts_list(result: PlanResult) -> str:
    """The shifts each group's people work, as the stderr lines say them."""
    items = [f"<li>{html.escape(text)}</li>" for text in shift_sentences(result)]
    return f"<ul>{''.join(items)}</ul>" if items else ""


def _interval_table(result: PlanResult) -> str:
    """The stderr table (:func:`.plan_display.format_plan`) as HTML: a header row per group."""
    grid = result.grid
    shifts = result.compared.get("shifts")
    pointwise = result.compared.get("pointwise")
    per_group = 4 if shifts is not None else 3
    figure_name = _figure_of(result.goals[0])
    first = figure_name if figure_name is not None else _left_text(result.goals[0])
    levels = 1 + (shifts is not None) + (pointwise is not None)
    top = (
        '<th rowspan="2">from</th><th rowspan="2" class="num">arrivals</th>'
        + "".join(
            f'<th class="group" colspan="{per_group}">{html.escape(group.name)}</th>'
            for group in result.groups
        )
        + f'<th class="group" colspan="{levels}">{html.escape(first)}</th>'
    )
    under = ""
    for number in range(len(result.groups)):
        under += f'<th class="num">Erlang {_erlang_kind(result, number)}</th><th class="num">offered</th><th class="num">sim</th>'
        if shifts is not None:
            under += '<th class="num">shifts</th>'
    under += '<th class="num">sim ±95%</th>'
    if shifts is not None:
        under += '<th class="num">shifts</th>'
    if pointwise is not None:
        under += '<th class="num">pointwise</th>'
    per_group_first = 2  # a group's cells start after "from" and "arrivals"
    sims = {per_group_first + number * per_group + 2: number for number in range(len(result.groups))}
    body = []
    for index in range(grid.count):
        cells = []
        for position, (text, missed) in enumerate(interval_cells(result, index)):
            if position == 0:
                cells.append(f"<td>{html.escape(text or '')}</td>")
                continue
            shown = "–" if text is None else html.escape(text) + (" miss" if missed else "")
            kind = "num miss" if missed else "num"
            sim = f' data-sim="{sims[position]}"' if position in sims else ""
            cells.append(f'<td class="{kind}"{sim}>{shown}</td>')
        body.append(f'<tr data-interval="{index}">{"".join(cells)}</tr>')
    return f"<table><tr>{top}</tr><tr>{under}</tr>{''.join(body)}</table>"
