"""Money: staff, lost customers, lost sales and revenue, for the shop, each group and each interval.

Checked against the log and the scenario: baskets re-drawn from the customers' own
stream (the same customers whatever else happens: common random numbers), staff cost
from the till-hours the log shows, and the intervals adding up to the run.
"""

from __future__ import annotations

import io
import math
import random
from pathlib import Path
from typing import Any

import orjson
import pytest

from checkout_sim import ScenarioError, parse_scenario, run
from checkout_sim.cli import main
from checkout_sim.engine.customers import CustomerFactory

SHOP = """
name: money
duration: 2h
products:
  - {name: bread, checkout_time: {dist: exponential, mean: 10s}, price: 2.5}
  - {name: wine, checkout_time: {dist: exponential, mean: 15s}, price: 12, popularity: 0.3}
basket: {items: {dist: uniform_int, low: 1, high: 10}}
segments: [{name: shopper, patience: {dist: exponential, mean: 4m}}]
arrivals: {pattern: poisson, rate: 190/h}
lanes:
  - {name: tills, count: 2, line: per_till, queue: {capacity: 2, when_full: balk}}
  - {name: kiosks, count: 3, attendants: 1, staff_per_hour: 0, assist: {probability: 0.2, time: 30s},
     queue: {capacity: 3, when_full: balk}}
intervals: 30m
costs: {currency: EUR, staff_per_hour: 18, lost_customer: basket_value}
"""


def logged(text: str, seed: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    buffer = io.BytesIO()
    run(parse_scenario(text, "money.yaml"), seed=seed, log=buffer)
    events = [orjson.loads(line) for line in buffer.getvalue().splitlines()]
    return events, events[-1]


def basket_values(text: str, seed: int, customers: int) -> list[float]:
    """The value of each customer's basket, drawn again from the customers' stream alone."""
    scenario = parse_scenario(text, "money.yaml")
    factory = CustomerFactory(scenario, random.Random(f"checkout-sim/{seed}/customers"))
    prices = [product.price or 0.0 for product in scenario.products]
    return [math.fsum(prices[p] for p in factory.make(n, 0.0).products) for n in range(1, customers + 1)]


def test_lost_sales_and_revenue_add_up_to_every_arriving_basket() -> None:
    """Revenue is the served baskets' value, lost sales the others'; together every basket that came."""
    events, summary = logged(SHOP, seed=3)
    values = basket_values(SHOP, 3, summary["arrived"])
    served = {e["customer"] for e in events if e["event"] == "checkout_finished"}
    lost = {e["customer"] for e in events if e["event"] in ("customer_balked", "customer_reneged")}
    assert lost and summary["balked"] and summary["reneged"]  # both ways of being lost are here
    assert summary["revenue"] == pytest.approx(math.fsum(values[c - 1] for c in served), rel=1e-12)
    assert summary["lost_sales"] == pytest.approx(math.fsum(values[c - 1] for c in lost), rel=1e-12)
    assert summary["lost_sales"] + summary["revenue"] == pytest.approx(math.fsum(values), rel=1e-12)
    assert summary["lost_cost"] == summary["lost_sales"]  # lost_customer: basket_value


def test_staff_cost_is_till_hours_and_attendants_at_their_rates() -> None:
    """Tills at 18 an hour, kiosk tills at 0, the kiosks' attendant at 18 for the whole run."""
    _, summary = logged(SHOP, seed=4)
    tills, kiosks = summary["lanes"]["tills"], summary["lanes"]["kiosks"]
    attendant = summary["elapsed"] / 3600.0 * 18
    assert tills["staff_cost"] == pytest.approx(tills["lane_hours"] * 18, rel=1e-12)
    assert kiosks["staff_cost"] == pytest.approx(attendant, rel=1e-12)
    assert summary["staff_cost"] == pytest.approx(tills["staff_cost"] + kiosks["staff_cost"], rel=1e-12)
    assert summary["total_cost"] == pytest.approx(summary["staff_cost"] + summary["lost_cost"], rel=1e-12)
    assert sum(group["revenue"] for group in summary["lanes"].values()) == pytest.approx(summary["revenue"])


def test_intervals_add_up_to_the_run_in_money_too() -> None:
    for seed in (1, 2):
        _, summary = logged(SHOP, seed)
        for name in ("staff_cost", "lost_cost", "lost_sales", "revenue", "total_cost"):
            total = math.fsum(interval[name] for interval in summary["intervals"])
            assert total == pytest.approx(summary[name], rel=1e-9), name


def test_a_fixed_cost_per_lost_customer_and_no_prices() -> None:
    """lost_customer: 25 costs 25 a lost customer; without prices there are no sales figures."""
    text = SHOP.replace("lost_customer: basket_value", "lost_customer: 25").replace(", price: 2.5", "")
    _, summary = logged(text, seed=5)
    lost = summary["balked"] + summary["reneged"] + summary["unserved"]
    assert lost > 0 and summary["lost_cost"] == 25 * lost
    assert summary["lost_sales"] is None and summary["revenue"] is None


def test_without_costs_no_money_anywhere() -> None:
    text = SHOP.replace("costs: {currency: EUR, staff_per_hour: 18, lost_customer: basket_value}\n", "")
    text = text.replace(", staff_per_hour: 0", "")
    _, summary = logged(text, seed=1)
    for figures in (summary, *summary["lanes"].values(), *summary["intervals"]):
        assert "staff_cost" not in figures and "total_cost" not in figures


def test_costs_need_what_they_use() -> None:
    """basket_value needs every product's price; a group's own rate needs costs."""
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(SHOP.replace(", price: 12", ""), "money.yaml")
    assert "money.yaml:6:5: products.1: needs a price: costs.lost_customer is basket_value" in str(
        caught.value
    )
    text = SHOP.replace("costs: {currency: EUR, staff_per_hour: 18, lost_customer: basket_value}\n", "")
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "money.yaml")
    assert "lanes.1.staff_per_hour: needs costs" in str(caught.value)


def test_a_sweep_with_costs_picks_the_lowest_total_cost(
    capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """With costs, the cheapest variant meeting the goals is the lowest total_cost (staff against lost
    sales), and --minimize takes an expression."""
    path = tmp_path / "money.yaml"
    path.write_text(SHOP, encoding="utf-8")
    common = [str(path), "--sweep", "lanes.0.count=1..4", "--replications", "3", "--log", "none"]
    assert main([*common, "--goal", "lost_share <= 0.5"]) == 0
    err = capfd.readouterr().err
    assert "cheapest variant meeting every goal (lowest total_cost, " in err
    assert main([*common, "--goal", "lost_share <= 0.5", "--minimize", "staff_cost + 2 * lost_cost"]) == 0
    assert "(lowest staff_cost + 2 * lost_cost, " in capfd.readouterr().err
    assert main([*common, "--minimize", "staff_cost +", "--check"]) == 2
    assert "--minimize 'staff_cost +': not a swept key, a figure or an expression" in capfd.readouterr().err
