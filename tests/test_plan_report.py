"""The plan's page (``--plan --report``, issue 22): real plans of tiny scenarios, and what their
pages say of them."""

from __future__ import annotations

import copy
import html
import importlib.util
import math
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from checkout_sim.analysis.plan_report import plan_page, write_plan_report
from checkout_sim.analysis.planning import PlanResult, make_plan
from checkout_sim.analysis.report import ReportError, ReportUnwritable
from checkout_sim.analysis.report_page import MATPLOTLIB_HINT
from checkout_sim.analysis.sweep import Runners
from checkout_sim.config import parse_scenario

needs_matplotlib = pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None, reason=MATPLOTLIB_HINT)

#: One group of cashiers by the clock, with costs and shift lengths (so a shift plan is compared).
SHOP = """
name: corner <shop> & co
description: A <b>small</b> shop.
seed: 3
opens_at: "09:00"
closes_at: "11:00"
intervals: 30m
service_level: {target: 1m}
costs: {currency: EUR, staff_per_hour: 15, lost_customer: 20}
products: [{name: item, checkout_time: {dist: exponential, mean: 2min}}]
arrivals: {pattern: poisson, rate: 60/h}
cashiers: {count: 2, plan: {min: 1, max: 6, min_shift: 1h, max_shift: 2h}}
"""

#: Two lane groups, no costs, no opening time; the second's name needs escaping (and is no mathematics).
LANES = """
name: two groups
seed: 3
duration: 2h
intervals: 30m
service_level: {target: 1m}
products: [{name: x, checkout_time: {dist: exponential, mean: 1min}}]
segments:
  - {name: big, share: 2}
  - {name: small, share: 1}
arrivals: {pattern: poisson, rate: 2/min}
lanes:
  - {name: tills, count: 2, segments: [big], plan: {min: 1, max: 5}}
  - {name: "$5 <express>", count: 1, segments: [small], plan: {min: 1, max: 4}}
"""
LANE_GOALS = ["min_interval(service_level) >= 0.8", "max_interval(wait_p90) <= 1.5min"]


def _plan(text: str, goals: Sequence[str] = ()) -> PlanResult:
    scenario = parse_scenario(text, "<test>")
    with Runners(jobs=1) as runners:
        return make_plan(scenario, goals, replications=5, seed=1, runners=runners)


@pytest.fixture(scope="module")
def shop() -> PlanResult:
    return _plan(SHOP)


@pytest.fixture(scope="module")
def lanes() -> PlanResult:
    return _plan(LANES, LANE_GOALS)


@pytest.fixture(scope="module")
def shop_page(shop: PlanResult) -> str:
    return plan_page(shop)


@pytest.fixture(scope="module")
def lanes_page(lanes: PlanResult) -> str:
    return plan_page(lanes)


def _section(page: str, name: str) -> str:
    start = page.index(f'<section id="{name}">')
    return page[start : page.index("</section>", start)]


def _texts(svg: str) -> list[str]:
    """The words of a matplotlib SVG (each text is drawn as paths, its words in a comment)."""
    return [html.unescape(text) for text in re.findall(r"<!-- (.*?) -->", svg)]


def _svgs(section: str) -> list[str]:
    return re.findall(r"<svg.*?</svg>", section, flags=re.DOTALL)


def _rows(page: str) -> list[list[str]]:
    """The interval table's cells, row by row, as text."""
    table = _section(page, "intervals")
    return [
        [html.unescape(re.sub(r"<[^>]+>", "", cell)) for cell in re.findall(r"<td[^>]*>.*?</td>", row)]
        for row in re.findall(r'<tr data-interval="\d+">(.*?)</tr>', table)
    ]


@needs_matplotlib
def test_the_page_is_self_contained_with_a_plot_per_part(shop_page: str, lanes_page: str) -> None:
    """Staff, one plot per goal, costs: inline SVG only; no script, stylesheet or image is fetched."""
    for page, goals in ((shop_page, 1), (lanes_page, 2)):
        assert page.startswith("<!doctype html>")
        assert page.count("<svg") == 2 + goals
        assert len(_svgs(_section(page, "staff"))) == 1
        assert len(_svgs(_section(page, "goals"))) == goals
        assert len(_svgs(_section(page, "costs"))) == 1
        assert "<script" not in page and "<link" not in page and "<img" not in page
        urls = set(re.findall(r"https?://[^\s\"'<>]+", page))
        assert urls <= {
            "http://www.w3.org/2000/svg",
            "http://www.w3.org/1999/xlink",
            "http://purl.org/dc/elements/1.1/",
            "http://creativecommons.org/ns#",
            "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
            "https://matplotlib.org/",
            "http://purl.org/dc/dcmitype/StillImage",
        }


@needs_matplotlib
def test_user_text_is_escaped(shop_page: str, lanes_page: str) -> None:
    """The scenario's name and description, the goal's ``>=`` and a group named ``$5 <express>``
    reach the page as text, never as markup (nor as matplotlib mathematics)."""
    assert "<h1>Staffing plan: corner &lt;shop&gt; &amp; co</h1>" in shop_page
    assert "<title>checkout-sim plan: corner &lt;shop&gt; &amp; co</title>" in shop_page
    assert "A &lt;b&gt;small&lt;/b&gt; shop." in shop_page
    assert "<shop>" not in shop_page and "<b>" not in shop_page
    assert "<code>min_interval(service_level) &gt;= 0.8</code> in every interval" in shop_page
    assert "<express>" not in lanes_page
    assert '<th class="group" colspan="3">$5 &lt;express&gt;</th>' in lanes_page
    assert "$5 <express>: tills" in _texts(_svgs(_section(lanes_page, "staff"))[0])


@needs_matplotlib
def test_the_heading_gives_the_day_goals_seeds_and_effort(shop: PlanResult, shop_page: str) -> None:
    assert '<p class="sub" id="day">09:00–11:00 by the clock, 4 intervals of 30min</p>' in shop_page
    method = _section(shop_page, "method")
    assert "Service level: the share of customers who reached a till within 1min." in method
    assert "Tuned on seeds 1..5 (5 replications" in method
    first, last = shop.verify_seeds[0], shop.verify_seeds[-1]
    assert f"verified on fresh seeds {first}..{last}; " in method
    assert f"{shop.candidates} candidate plans, {shop.days} simulated days" in method
    assert shop.candidates > 1 and shop.days == 5 * shop.candidates


@needs_matplotlib
def test_the_staff_plot_draws_each_plan_over_the_arrivals_by_the_clock(
    shop: PlanResult, shop_page: str
) -> None:
    assert set(shop.compared) == {"simulated", "shifts", "offered_load", "pointwise"}
    section = _section(shop_page, "staff")
    words = _texts(_svgs(section)[0])
    for label in ("simulated (this plan)", "shifts (rostered)", "pointwise Erlang"):
        assert label in words
    assert "customers arriving at the shop" in words
    assert "of them reaching the group" not in words  # one group: its arrivals are the shop's
    clock = [word for word in words if re.fullmatch(r"\d\d:\d\d", word)]
    assert clock == ["09:00", "09:30", "10:00", "10:30", "11:00"]
    assert "time of day (intervals of 30min)" in words
    assert "<li>shifts of tills: " in section  # the shifts the people work, as on stderr


@needs_matplotlib
def test_the_goal_plots_show_the_target_and_every_compared_plan(lanes: PlanResult, lanes_page: str) -> None:
    """The target is the goal's right side: 0.8 for the service level, 1.5 min for the wait."""
    assert [goal.right({}) for goal in lanes.goals] == [0.8, 90.0]
    level, wait = (_texts(svg) for svg in _svgs(_section(lanes_page, "goals")))
    assert "goal: min_interval(service_level) >= 0.8" in level
    assert "goal: max_interval(wait_p90) <= 1.5 min" in wait
    assert "wait p90 (minutes)" in wait
    for words in (level, wait):
        assert "simulated: 95 % interval" in words
        for name in ("simulated (this plan)", "offered-load Erlang", "pointwise Erlang"):
            assert name in words
        assert "time since opening (intervals of 30min)" in words
        assert "00:00" in words and "02:00" in words


@needs_matplotlib
def test_the_interval_table_has_each_interval_and_group(
    shop: PlanResult, shop_page: str, lanes: PlanResult, lanes_page: str
) -> None:
    """A row per interval: its start, the arrivals, per group the Erlang answers and the plan,
    then the goal's figure."""
    rows = _rows(shop_page)
    assert [row[0] for row in rows] == ["09:00", "09:30", "10:00", "10:30"]
    requirement = shop.erlang[0]
    assert requirement is not None
    shifts = shop.compared["shifts"][0]
    for index, row in enumerate(rows):
        assert row[1] == f"{shop.shop_arrivals[index]:.1f}"
        assert row[2:6] == [
            str(requirement.pointwise[index]),
            str(requirement.offered_load[index]),
            str(shop.plan[0][index]),
            str(shifts[0][index]),
        ]
        mean, half = shop.verified.sides[0][index]
        assert mean is not None and half is not None
        assert row[6] == f"{mean:.3f} ±{half:.3f}"
    table = _section(lanes_page, "intervals")
    assert '<th class="group" colspan="3">tills</th>' in table
    assert '<th class="group" colspan="2">service_level</th>' in table  # sim and pointwise
    rows = _rows(lanes_page)
    assert [row[0] for row in rows] == ["00:00", "00:30", "01:00", "01:30"]
    assert [[row[4], row[7]] for row in rows] == [
        [str(lanes.plan[0][i]), str(lanes.plan[1][i])] for i in range(lanes.grid.count)
    ]


@needs_matplotlib
def test_the_costs_are_the_means_of_the_verification_runs(shop: PlanResult, shop_page: str) -> None:
    section = _section(shop_page, "costs")
    assert "staff cost" in _texts(_svgs(section)[0]) and "EUR per day (mean)" in _texts(_svgs(section)[0])
    for name, (_, judged) in shop.compared.items():
        runs = len(judged.summaries)
        staff = math.fsum(s.staff_cost or 0.0 for s in judged.summaries) / runs
        lost = math.fsum(s.lost_cost or 0.0 for s in judged.summaries) / runs
        hours = math.fsum(s.lane_hours for s in judged.summaries) / runs
        row = re.search(rf'<tr data-plan="{name}">(.*?)</tr>', section)
        assert row is not None, name
        assert f'data-figure="staff_cost">{staff:,.0f} EUR</td>' in row[1]
        assert f'data-figure="lost_cost">{lost:,.0f} EUR</td>' in row[1]
        assert f'data-figure="lane_hours">{hours:,.1f}</td>' in row[1]
        assert f'data-figure="misses">{len(judged.misses)}</td>' in row[1]
        assert staff > 0


@needs_matplotlib
def test_without_costs_the_plans_are_weighed_in_till_hours(lanes: PlanResult, lanes_page: str) -> None:
    section = _section(lanes_page, "costs")
    assert "The scenario gives no costs" in section
    assert "staff cost" not in section and "EUR" not in lanes_page
    assert "till-hours per day (mean)" in _texts(_svgs(section)[0])
    mean, half = lanes.verified.cost
    assert f'data-figure="cost">{mean:,.1f} ±{half:,.1f}</td>' in section
    assert '<p class="sub" id="day">00:00–02:00 from opening, 4 intervals of 30min</p>' in lanes_page
    words = _texts(_svgs(_section(lanes_page, "staff"))[0])
    assert "of them reaching the group" in words  # two groups: each one's share of the arrivals


@needs_matplotlib
def test_costs_without_a_currency_are_bare_numbers() -> None:
    page = plan_page(_plan(SHOP.replace("currency: EUR, ", "")))
    assert "None" not in page
    assert "cost per day (mean)" in _texts(_svgs(_section(page, "costs"))[0])


@needs_matplotlib
def test_an_empty_interval_and_a_miss_are_shown_as_such(shop: PlanResult) -> None:
    """An interval nobody arrived in has no figure (a dash, a gap in the plot); one whose mean
    misses says so; a figure without a half-width has none."""
    changed = copy.deepcopy(shop)
    for _, judged in changed.compared.values():
        judged.sides[0][1] = (None, None)
    verified = changed.verified
    assert verified is changed.compared["simulated"][1]
    verified.sides[0][0] = (0.9, None)
    verified.sides[0][2] = (0.5, 0.1)
    verified.holds[2] = False
    page = plan_page(changed)
    rows = _rows(page)
    assert rows[0][6] == "0.900"
    assert rows[1][6:] == ["–", "–", "–"]
    assert rows[2][6] == "0.500 ±0.100 miss"
    assert '<td class="num miss">0.500 ±0.100 miss</td>' in page
    assert page.count("<svg") == 3


@needs_matplotlib
def test_the_report_file_is_the_page_and_the_same_each_time(shop: PlanResult, tmp_path: Path) -> None:
    path = tmp_path / "plan.html"
    write_plan_report(shop, str(path))
    written = path.read_text(encoding="utf-8")
    assert written == plan_page(shop) == plan_page(shop)


@needs_matplotlib
def test_a_report_that_cannot_be_written_names_its_path(shop: PlanResult, tmp_path: Path) -> None:
    path = tmp_path / "missing" / "plan.html"
    with pytest.raises(ReportUnwritable) as caught:
        write_plan_report(shop, str(path))
    assert str(caught.value) == f"cannot write the report to {path}: No such file or directory"


def test_without_matplotlib_the_page_asks_for_it(shop: PlanResult, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    with pytest.raises(ReportError, match=re.escape(MATPLOTLIB_HINT)):
        plan_page(shop)
