"""A line at every till: picking a line, switching lines, opening and closing, and theory."""

from __future__ import annotations

import io
import math
from collections import Counter, defaultdict
from typing import Any

import pytest

from checkout_sim import Scenario, parse_scenario, run
from checkout_sim.analysis.confidence import mean_interval
from checkout_sim.analysis.theory import jsq_wait, mg1_wait, mmc_wait, predict
from logcheck import check

TILLS = """
name: own lines
seed: 5
duration: 6h
products: [{name: item, checkout_time: {dist: exponential, mean: 5min}}]
arrivals: {pattern: poisson, rate: 0.54/min}
segments:
  - {name: shoppers, choice: shortest, jockey: {min_gain: 2}}
lanes:
  - {name: tills, count: 3, line: per_till}
"""

VARIANTS = {
    "jockeying": [],
    "random": ["segments.0.choice=random", "segments.0.jockey=null"],
    "fewest items": [
        "segments.0.choice=fewest_items",
        "basket.items={dist: poisson, mean: 5}",
        "products.0.checkout_time=20s",
    ],
    "least work": [
        "segments.0.choice=least_work",
        "basket.items={dist: poisson, mean: 5}",
        "products.0.checkout_time=20s",
    ],
    "move time": ["segments.0.jockey={min_gain: 2, move_time: 30s}"],
    "patience": [
        "segments.0.jockey={min_gain: 3, move_time: 1m}",
        "segments.0.patience={dist: exponential, mean: 10m}",
    ],
    "balk": ["lanes.0.queue={capacity: 2, when_full: balk}"],
    "wait at the door": [
        "lanes.0.queue={capacity: 2, when_full: wait}",
        "segments.0.patience={dist: exponential, mean: 20m}",
    ],
    "manager": ["lanes.0.scaling={max: 6, open_at: 2, close_at: 0}", "arrivals.rate=1.2/min"],
    "manager and move time": [
        "lanes.0.scaling={max: 6, open_at: 2, close_at: 1}",
        "arrivals.rate=1.2/min",
        "segments.0.jockey={min_gain: 2, move_time: 20s}",
    ],
    "warm-up": ["warmup=1h", "segments.0.jockey={min_gain: 2, move_time: 20s}"],
    "closing time": [
        "drain=false",
        "segments.0.jockey={min_gain: 2, move_time: 20s}",
        "arrivals.rate=0.7/min",
    ],
    "lifo": ["lanes.0.queue={kind: lifo}"],
    "beside a shared line": [
        "lanes.1={name: kiosks, count: 2, scan_factor: 1.5}",
        "segments.0.choice=least_work",
    ],
}


def logged(text: str, *changes: str, **options: Any) -> tuple[Scenario, Any, list[dict[str, Any]]]:
    """Run a scenario with its log; check the log's invariants; return scenario, summary and events."""
    scenario = parse_scenario(text, "own.yaml", changes)
    buffer = io.BytesIO()
    summary = run(scenario, log=buffer, **options)
    return scenario, summary, check(buffer.getvalue(), scenario).events


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_every_variant_tells_one_consistent_story(name: str) -> None:
    """Each customer has one outcome, is served at the till of their line, and switches are counted."""
    _, summary, events = logged(TILLS, *VARIANTS[name])
    assert summary.arrived > 100
    moves = [e for e in events if e["event"] == "customer_jockeyed"]
    if summary.jockeyed is None:
        assert not moves
    else:
        assert summary.jockeyed == sum(1 for e in moves if e["t"] >= (summary.warmup or 0.0))
        assert summary.lanes is not None
        assert summary.lanes["tills"].jockeyed == summary.jockeyed
    if name in ("jockeying", "move time", "manager", "manager and move time"):
        assert moves, "at this load, somebody switches"


class Lines:
    """People at each till (in its line, at the till, on the way to it), rebuilt from the log alone."""

    def __init__(self) -> None:
        self.people: Counter[int] = Counter()
        self.waiting: Counter[int] = Counter()
        self.open: set[int] = set()
        self.line_of: dict[int, int] = {}

    def apply(self, event: dict[str, Any]) -> None:
        kind, customer = event["event"], event.get("customer", 0)
        if kind == "cashier_opened":
            self.open.add(event["cashier"])
        elif kind == "cashier_closed":
            self.open.discard(event["cashier"])
        elif kind in ("customer_arrived", "customer_admitted") and event.get("till") is not None:
            self._join(customer, event["till"])
        elif kind == "customer_jockeyed":
            self._leave(customer)
            self._join(customer, event["to"])
        elif kind == "checkout_started" and customer in self.line_of:
            self.waiting[self.line_of[customer]] -= 1
        elif kind == "checkout_finished" and customer in self.line_of:
            self.people[self.line_of.pop(customer)] -= 1
        elif kind in ("customer_reneged", "customer_unserved") and customer in self.line_of:
            self._leave(customer)

    def _join(self, customer: int, till: int) -> None:
        self.line_of[customer] = till
        self.people[till] += 1
        self.waiting[till] += 1

    def _leave(self, customer: int) -> None:
        till = self.line_of.pop(customer)
        self.people[till] -= 1
        self.waiting[till] -= 1


def test_shortest_joins_a_line_with_fewest_people_and_ties_go_any_way() -> None:
    """Replayed from the log: each arrival joined a line with fewest people; among equals, any at random."""
    _, summary, events = logged(TILLS, "segments.0.jockey=null", "duration=20h")
    lines = Lines()
    tied_choices: Counter[int] = Counter()
    checked = 0
    for event in events:
        if event["event"] == "customer_arrived":
            fewest = min(lines.people[till] for till in lines.open)
            assert lines.people[event["till"]] == fewest, (event, lines.people)
            assert event["queue_length"] == lines.waiting[event["till"]]
            if all(lines.people[till] == fewest for till in lines.open):
                tied_choices[event["till"]] += 1
            checked += 1
        lines.apply(event)
    assert checked == summary.arrived > 500
    # When all three lines are equal, each till is chosen about a third of the time (not the first).
    total = sum(tied_choices.values())
    assert total > 100
    for till in (1, 2, 3):
        assert abs(tied_choices[till] / total - 1 / 3) < 4 * math.sqrt(2 / 9 / total), tied_choices


def test_switching_at_a_gain_of_two_keeps_lines_within_one_and_no_till_idle() -> None:
    """With min_gain 2, whenever time moves on, lines differ by 1 at most and no till idles if one waits."""
    _, summary, events = logged(TILLS, "duration=20h")
    lines = Lines()
    moments = 0
    for index, event in enumerate(events[:-1]):
        lines.apply(event)
        if events[index + 1]["t"] == event["t"] or not lines.open:
            continue  # look only once everything at this instant has happened
        counts = [lines.people[till] for till in lines.open]
        assert max(counts) - min(counts) <= 1, (event, counts)
        assert min(counts) > 0 or sum(lines.waiting.values()) == 0, (event, counts)
        moments += 1
    assert moments > 500 and summary.jockeyed and summary.jockeyed > 20


def test_a_switch_with_a_move_time_arrives_that_much_later() -> None:
    """A shopper who switches with move_time 30s reaches the new till no sooner than 30 s after leaving."""
    _, _, events = logged(TILLS, "segments.0.jockey={min_gain: 2, move_time: 30s}", "duration=20h")
    moved = {e["customer"]: e for e in events if e["event"] == "customer_jockeyed"}
    assert len(moved) > 20
    started = 0
    for event in events:
        if event["event"] == "checkout_started" and event["customer"] in moved:
            move = moved[event["customer"]]
            assert event["t"] >= move["t"] + 30 - 1e-9
            started += 1
    assert started > 20


KIOSKS = """
name: tills and kiosks
seed: 2
duration: 10h
products: [{name: item, checkout_time: {dist: exponential, mean: 6s}}]
basket: {items: {dist: poisson, mean: 10}}
arrivals: {pattern: poisson, rate: 120/h}
segments: [{name: shoppers, choice: least_work}]
lanes:
  - {name: tills, count: 2, line: per_till}
  - {name: kiosks, count: 2, line: per_till, scan_factor: 3}
"""


@pytest.mark.parametrize(
    ("shop", "changes", "pace"),
    [
        (
            TILLS,
            [*VARIANTS["fewest items"], "segments.0.jockey=null", "arrivals.rate=1.5/min", "duration=10h"],
            {1: 1.0, 2: 1.0, 3: 1.0},
        ),
        (KIOSKS, [], {1: 6.0, 2: 6.0, 3: 18.0, 4: 18.0}),
    ],
    ids=["fewest_items", "least_work"],
)
def test_items_and_work_ahead_pick_the_line_replayed_from_the_log(
    shop: str, changes: list[str], pace: dict[int, float]
) -> None:
    """Replayed with item events: each arrival joined a line with the least items (or expected seconds) ahead.

    ``pace`` weighs an item at each till: 1 for fewest_items; for least_work the expected
    scan time there (6 s at a till, three times that at a kiosk).
    """
    _, summary, events = logged(shop, *changes, item_events=True)
    items: Counter[int] = Counter()  # items still to scan at each till, in its line and at it
    lines = Lines()
    checked = 0
    for event in events:
        kind = event["event"]
        if kind == "customer_arrived":
            ahead = {till: items[till] * pace[till] for till in lines.open}
            assert ahead[event["till"]] <= min(ahead.values()) + 1e-9, (event, ahead)
            items[event["till"]] += event["items"]
            checked += 1
        elif kind == "customer_jockeyed":
            raise AssertionError("nobody switches here")
        elif kind == "item_scanned":
            items[event["cashier"]] -= 1
        lines.apply(event)
    assert checked == summary.arrived > 200
    assert all(count == 0 for count in items.values())


def test_the_manager_opens_a_till_when_the_shortest_line_reaches_open_at() -> None:
    """Every extra till opened when the shortest line was at open_at; each closed with its own line empty."""
    _, summary, events = logged(TILLS, *VARIANTS["manager"], "duration=20h")
    lines = Lines()
    opened = closed = 0
    for event in events:
        if event["event"] == "cashier_opened" and event["t"] > 0:
            assert min(lines.waiting[till] for till in lines.open) >= 2, (event, lines.waiting)
            opened += 1
        if event["event"] == "cashier_closed" and event["t"] < summary.elapsed:
            assert lines.waiting[event["cashier"]] == 0 and lines.people[event["cashier"]] == 0
            closed += 1
        lines.apply(event)
    assert opened > 5 and closed > 5
    assert summary.lanes is not None and summary.lanes["tills"].tills_max > 3


def test_jockeying_with_one_line_is_a_warning_and_a_gain_of_one_an_error() -> None:
    """A segment with one line at a till open to it is warned; min_gain 1 is refused with its place."""
    scenario = parse_scenario(TILLS, "own.yaml", ["lanes.0.count=1"])
    assert (
        "segments.0.jockey",
        "has no effect: customers switch between lines at tills of their own (line: per_till), "
        "and only one is open to them",
    ) in scenario.warnings()
    shared = parse_scenario(TILLS, "own.yaml", ["lanes.0.line=shared"])
    assert any(key == "segments.0.jockey" and "none is open" in text for key, text in shared.warnings())
    with pytest.raises(Exception, match=r"own.yaml:8:\d+: segments.0.jockey.min_gain: must be at least 2"):
        parse_scenario(TILLS.replace("min_gain: 2", "min_gain: 1"), "own.yaml")


# ---- theory: three identical exponential tills at utilisation 0.9, 1 min each -------------

LAM, MU, C = 2.7, 1.0, 3  # per minute
REPLICATIONS = 8
CONFIDENCE = 0.999
SHOPS = {
    "pooled": ("shared", "shortest", ""),
    "shortest": ("per_till", "shortest", ""),
    "jockeying": ("per_till", "shortest", ", jockey: {min_gain: 2}"),
    "random": ("per_till", "random", ""),
}


def theory_shop(name: str, seed: int) -> Scenario:
    line, choice, jockey = SHOPS[name]
    return parse_scenario(f"""
name: {name}
seed: {seed}
duration: 170h
warmup: 20h
products: [{{name: item, checkout_time: {{dist: exponential, mean: 1min}}}}]
arrivals: {{pattern: poisson, rate: {LAM}/min}}
segments: [{{name: shoppers, choice: {choice}{jockey}}}]
lanes: [{{name: tills, count: {C}, line: {line}}}]
""")


@pytest.fixture(scope="module")
def waits() -> dict[str, list[float]]:
    """Mean wait in minutes of each shop, replication by replication; seed k is the same customers in each."""
    found: dict[str, list[float]] = {}
    for name in SHOPS:
        found[name] = []
        for seed in range(1, REPLICATIONS + 1):
            summary = run(theory_shop(name, seed))
            assert summary.wait_mean is not None
            found[name].append(summary.wait_mean / 60)
    return found


THEORY = {
    "pooled": lambda: mmc_wait(LAM, MU, C),
    "shortest": lambda: jsq_wait(LAM, MU, C).value,
    "jockeying": lambda: mmc_wait(LAM, MU, C),
    "random": lambda: mg1_wait(LAM / C, 1 / MU, 2 / MU**2),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SHOPS))
def test_each_way_of_queueing_matches_its_theory(name: str, waits: dict[str, list[float]]) -> None:
    """Pooled and jockeying are Erlang C, shortest the solved chain, random c M/M/1s: in the 99.9 % CI."""
    mean, half = mean_interval(waits[name], CONFIDENCE)
    expected = THEORY[name]()
    assert abs(mean - expected) <= half, (
        f"{name}: simulated {mean:.4g} ± {half:.3g} min, theory {expected:.4g}"
    )
    assert half < 0.5 * expected, "the interval is too wide to mean anything"


@pytest.mark.slow
@pytest.mark.parametrize(("better", "worse"), [("pooled", "shortest"), ("shortest", "random")])
def test_pooled_beats_join_the_shortest_beats_random(
    better: str, worse: str, waits: dict[str, list[float]]
) -> None:
    """On the same customers, the difference of mean waits is positive and matches theory's difference."""
    differences = [w - b for w, b in zip(waits[worse], waits[better], strict=True)]
    mean, half = mean_interval(differences, CONFIDENCE)
    expected = THEORY[worse]() - THEORY[better]()
    assert mean - half > 0, f"{worse} − {better}: {mean:.4g} ± {half:.3g} min"
    assert abs(mean - expected) <= half, f"{worse} − {better}: {mean:.4g} ± {half:.3g}, theory {expected:.4g}"


@pytest.mark.slow
def test_jockeying_at_a_gain_of_two_waits_as_long_as_one_pooled_line(waits: dict[str, list[float]]) -> None:
    """On the same customers, jockeying and one pooled line differ by no more than chance (theory: equal)."""
    differences = [j - p for j, p in zip(waits["jockeying"], waits["pooled"], strict=True)]
    mean, half = mean_interval(differences, CONFIDENCE)
    assert abs(mean) <= half < 0.05 * THEORY["pooled"](), f"{mean:.4g} ± {half:.3g} min"


def test_compare_theory_names_the_model_for_each_way_of_picking() -> None:
    """predict names the model of a group with a line per till, or says why there is none."""
    models = {name: predict(theory_shop(name, 1)).model for name in SHOPS}
    assert models["pooled"].endswith("tills M/M/3")
    assert "3 × M/G/1 (random choice)" in models["random"]
    assert "M/M/3 (switching at a gain of 2" in models["jockeying"]
    assert "join-the-shortest-queue, 3 tills: a Markov chain" in models["shortest"]
    slow = parse_scenario(TILLS, "own.yaml", ["segments.0.jockey={min_gain: 3}"])
    assert predict(slow).missing["lane_wait_mean[tills]"] == (
        "switching at a gain above 2, or with a move time, has no closed form"
    )
    four = parse_scenario(TILLS, "own.yaml", ["segments.0.jockey=null", "lanes.0.count=4"])
    assert predict(four).missing["lane_wait_mean[tills]"] == (
        "join-the-shortest-queue is solved here for up to 3 tills"
    )


def test_the_chain_agrees_with_known_cases() -> None:
    """One till is M/M/1; two lie between one pooled line and two random ones, nearer pooled at high load."""
    assert jsq_wait(0.8, 1.0, 1).value == pytest.approx(0.8 / (1.0 - 0.8), rel=1e-8)
    for rho in (0.5, 0.9):
        solved = jsq_wait(2 * rho, 1.0, 2)
        assert solved.error < 1e-10
        assert mmc_wait(2 * rho, 1.0, 2) < solved.value < mg1_wait(rho, 1.0, 2.0)
    assert (jsq_wait(1.8, 1.0, 2).value / mmc_wait(1.8, 1.0, 2)) < (
        jsq_wait(1.0, 1.0, 2).value / mmc_wait(1.0, 1.0, 2)
    )


def test_per_group_counts_of_switches_add_up() -> None:
    """Across two groups with lines per till, each group's jockeyed count is the moves into its lines."""
    shop = TILLS + "  - {name: more, count: 2, line: per_till}\n"
    _, summary, events = logged(shop, "arrivals.rate=0.9/min")
    into: defaultdict[str, int] = defaultdict(int)
    for event in events:
        if event["event"] == "customer_jockeyed":
            into[event["lane"]] += 1
    assert summary.lanes is not None
    assert {name: lane.jockeyed for name, lane in summary.lanes.items()} == {
        "tills": into["tills"],
        "more": into["more"],
    }
    assert summary.jockeyed == sum(into.values()) > 0


def test_the_group_summary_agrees_with_the_log() -> None:
    """A group with a line per till: served, waits, most tills open, mean waiting, the longest line."""
    _, summary, events = logged(TILLS, *VARIANTS["manager"], "duration=20h")
    assert summary.lanes is not None
    figures = summary.lanes["tills"]
    waits = [e["wait"] for e in events if e["event"] == "checkout_started"]
    assert figures.served == len(waits) == summary.served
    assert figures.wait_mean == pytest.approx(math.fsum(waits) / len(waits), rel=1e-9)
    assert figures.wait_max == max(waits)
    lines = Lines()
    area, longest, most, last = 0.0, 0, 0, 0.0
    for event in events:
        if event["t"] > last:  # lengths that lasted
            area += sum(lines.waiting.values()) * (event["t"] - last)
            longest = max(longest, *lines.waiting.values(), 0)
            last = event["t"]
        lines.apply(event)
        most = max(most, len(lines.open))
    assert figures.queue_length_mean == pytest.approx(area / summary.elapsed, rel=1e-9)
    assert figures.queue_length_max == longest == summary.queue_length_max
    assert figures.tills_max == most > 3


def test_a_shopper_balks_only_when_every_line_is_full() -> None:
    """With a capacity of 2 per line, each balk finds every open till's line at 2, and no line passes 2."""
    _, summary, events = logged(TILLS, *VARIANTS["balk"], "arrivals.rate=0.9/min", "duration=20h")
    lines = Lines()
    balks = 0
    for event in events:
        if event["event"] == "customer_balked":
            assert all(lines.waiting[till] == 2 for till in lines.open), (event, lines.waiting)
            balks += 1
        lines.apply(event)
        assert all(count <= 2 for count in lines.waiting.values())
    assert balks == summary.balked > 20


def test_a_shopper_who_switches_within_a_group_keeps_their_checkout() -> None:
    """Switching between two tills of one group neither rescales the scans again nor draws anything new."""
    shop = TILLS.replace(
        "line: per_till}", "line: per_till, scan_factor: 2, payment_time: {dist: exponential, mean: 30s}}"
    )
    changes = ["products.0.checkout_time=20s", "basket.items=3", "arrivals.rate=1.3/min", "duration=3h"]
    _, _, switching = logged(shop, *changes)
    _, _, staying = logged(shop, *changes, "segments.0.jockey=null")
    assert any(e["event"] == "customer_jockeyed" for e in switching)

    def services(events: list[dict[str, Any]]) -> dict[int, float]:
        return {e["customer"]: e["service"] for e in events if e["event"] == "checkout_finished"}

    # the same customers, each with the same work at the till, whether anyone switched or not
    assert services(switching) == pytest.approx(services(staying), rel=1e-12)
    assert all(service >= 3 * 20 * 2 for service in services(switching).values())


def test_switching_follows_prefer_and_fixes_a_random_pick_at_once() -> None:
    """A segment preferring group a never switches into b; a random pick 2 longer than an idle till moves."""
    shop = """
name: two groups
seed: 1
duration: 6h
products: [{name: item, checkout_time: {dist: exponential, mean: 4min}}]
arrivals: {pattern: poisson, rate: 0.6/min}
segments:
  - {name: loyal, prefer: [a], jockey: {min_gain: 2}}
  - {name: other, prefer: [b], choice: random}
lanes:
  - {name: a, count: 2, line: per_till}
  - {name: b, count: 2, line: per_till}
"""
    _, _, events = logged(shop)
    segment = {e["customer"]: e["segment"] for e in events if e["event"] == "customer_arrived"}
    moves = [e for e in events if e["event"] == "customer_jockeyed"]
    assert moves and all(e["lane"] == "a" and segment[e["customer"]] == "loyal" for e in moves)
    _, _, events = logged(TILLS, "segments.0.choice=random", "duration=20h")
    lines = Lines()
    for index, event in enumerate(events[:-1]):
        lines.apply(event)
        if events[index + 1]["t"] > event["t"] and lines.open:
            counts = [lines.people[till] for till in lines.open]
            assert max(counts) - min(counts) <= 1, (event, counts)


def test_on_the_way_a_place_is_kept_and_patience_still_runs() -> None:
    """With a move time and lines of one, nobody switching is turned away on arrival; patience ends walks."""
    walk = ["segments.0.jockey={min_gain: 2, move_time: 2min}", "segments.0.choice=random"]
    _, summary, events = logged(
        TILLS,
        *walk,
        "lanes.0.queue={capacity: 1, when_full: wait}",
        "products.0.checkout_time={dist: exponential, mean: 4min}",
    )
    assert summary.unserved == 0 and summary.served == summary.arrived
    _, summary, events = logged(TILLS, *walk, "segments.0.patience=12min", "duration=20h")
    moved = {e["customer"] for e in events if e["event"] == "customer_jockeyed"}
    gone = {e["customer"] for e in events if e["event"] == "customer_reneged"}
    assert moved and gone and summary.reneged == len(gone)


# ---- issue 19, item 16: `jockeyed` exactly where shoppers may switch ------------------------

SWITCHERS = """
name: switchers
seed: 4
duration: 3h
products: [{name: item, checkout_time: {dist: exponential, mean: 2min}}]
arrivals: {pattern: poisson, rate: 1.6/min}
segments:
  - {name: movers, jockey: {min_gain: 2}}
  - {name: others}
lanes:
  - {name: tills, count: 2, line: per_till}
  - {name: kiosks, count: 2}
"""

NO_EFFECT = "segments.0.jockey"


@pytest.mark.parametrize(
    ("changes", "switching"),
    [
        ([], {"tills"}),
        (["lanes.2={name: staff, count: 2, line: per_till, segments: [others]}"], {"tills"}),
        (["lanes.2={name: staff, count: 1, line: per_till}"], {"tills", "staff"}),
        (["lanes.0.segments=[others]"], set()),  # movers may use the kiosks' shared line only
        (["lanes.0.count=1"], set()),  # one line at a till of their own: nowhere to switch to
        (["lanes.0.line=shared"], set()),
    ],
    ids=["two tills", "a group closed to movers", "across groups", "shared only", "one till", "no own lines"],
)
def test_jockeyed_is_counted_exactly_where_shoppers_may_switch(
    changes: list[str], switching: set[str]
) -> None:
    """``jockeyed`` is in run_finished only where a segment with ``jockey`` has two or more lines
    at tills of their own open to it, and in a group's figures only for such a group; exactly
    where the scenario does not warn that the ``jockey`` has no effect."""
    scenario, summary, events = logged(SWITCHERS, *changes)
    finished = events[-1]
    assert ("jockeyed" in finished) == bool(switching) == (summary.jockeyed is not None)
    warned = any(key == NO_EFFECT for key, _ in scenario.warnings())
    assert warned == (not switching)
    assert {name for name, lane in finished["lanes"].items() if "jockeyed" in lane} == switching
    if switching:
        moves = Counter(event["lane"] for event in events if event["event"] == "customer_jockeyed")
        assert finished["jockeyed"] == sum(moves.values()) > 0
        assert all(finished["lanes"][name]["jockeyed"] == moves[name] for name in switching)


def test_a_segment_that_prefers_a_shared_line_has_no_switches_to_count() -> None:
    """A ``prefer`` list without two lines at tills of their own leaves nowhere to switch:
    no ``jockeyed``, as with a segment no such line takes."""
    changes = ["segments.0.prefer=[kiosks]", "segments.1.jockey={min_gain: 2}", "lanes.0.segments=[movers]"]
    _, summary, events = logged(SWITCHERS, *changes)
    assert "jockeyed" not in events[-1] and summary.jockeyed is None
    assert all("jockeyed" not in lane for lane in events[-1]["lanes"].values())
    # ... and the scenario says so: the warning follows the same rule as the count.
    warned = [key for key, _ in parse_scenario(SWITCHERS, overrides=changes).warnings()]
    assert "segments.0.jockey" in warned
