"""Issue 19, the scenario format: errors at keys that exist, rules broken by a ``--set`` named
by that flag, settings that do nothing or repeat, hints among the keys valid at a place, rates
per hour in words, and every problem of a file at once."""

from __future__ import annotations

import json

import jsonschema
import pytest

from checkout_sim import Problem, ScenarioError, parse_scenario
from checkout_sim.config.loader import MAX_PROBLEMS
from checkout_sim.config.schema import render

HEAD = (
    "name: s\nduration: 1h\nproducts: [{name: bread, checkout_time: 5s}]\n"
    "arrivals: {pattern: poisson, rate: 60/h}\n"
)
KIOSKS = HEAD + (
    "lanes:\n"
    "  - {name: tills, count: 2}\n"
    "  - {name: express, count: 1, max_items: 10}\n"
    "  - {name: kiosks, count: 4, attendants: 1, assist: {probability: 0.1, time: 30s}}\n"
)


def problems(text: str, overrides: tuple[str, ...] = ()) -> list[str]:
    """The lines a scenario that cannot be used is refused with."""
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "s.yaml", overrides)
    return str(caught.value).splitlines()


def warnings(text: str, overrides: tuple[str, ...] = ()) -> list[str]:
    """The warnings a valid scenario gives."""
    found: list[Problem] = []
    parse_scenario(text, "s.yaml", overrides, on_warning=found.append)
    return [str(problem) for problem in found]


# --- item 7: errors point at a key that exists; a rule a --set breaks names the flag --------------


def test_the_default_basket_without_a_lane_is_shown_at_the_lanes_max_items() -> None:
    """No `basket` in the file: the problem is at the lane's `max_items` (line 5), not `items` at 1:1."""
    text = HEAD + "lanes: [{name: t, count: 1, max_items: 0}]\n"
    assert problems(text) == [
        "s.yaml:5:40: lanes.0.max_items: no lane takes the baskets of segment 'regular' "
        "(1 item each: basket.items is 1 by default); t takes at most 0"
    ]


def test_a_basket_in_the_file_is_where_the_problem_is() -> None:
    """With `basket` given, the problem is at its `items`, which the user wrote."""
    text = HEAD + "basket: {items: 12}\nlanes: [{name: t, count: 1, max_items: 10}]\n"
    assert problems(text) == [
        "s.yaml:5:17: basket.items: baskets of up to 12 items have no lane (t takes at most 10) "
        "for segment 'regular'"
    ]


@pytest.mark.parametrize(
    ("text", "assignment", "line"),
    [
        (  # the issue's: max_items set on the command line, basket at its default
            HEAD + "lanes: [{name: t, count: 1}]\n",
            "lanes.0.max_items=0",
            "--set lanes.0.max_items=0: lanes.0.max_items: no lane takes the baskets of segment "
            "'regular' (1 item each: basket.items is 1 by default); t takes at most 0",
        ),
        (  # the basket is in the file; the flag shrank the only lane that took it
            HEAD + "basket: {items: 3}\nlanes: [{name: t, count: 1, max_items: 5}]\n",
            "lanes.0.max_items=2",
            "--set lanes.0.max_items=2: basket.items: baskets of up to 3 items have no lane "
            "(t takes at most 2) for segment 'regular'",
        ),
        (  # the issue's: the attendants go, the assist in the file is left without them
            KIOSKS,
            "lanes.2.attendants=0",
            "--set lanes.2.attendants=0: lanes.2.assist: needs attendants (at least 1) to give the help",
        ),
        (  # a shorter day leaves the warm-up in the file too long
            HEAD + "warmup: 30min\ncashiers: {count: 1}\n",
            "duration=20min",
            "--set duration=20min: warmup: must end before the duration (1200s), or no customer would count",
        ),
        (  # inside a distribution: the low end raised above the high end in the file
            HEAD.replace("checkout_time: 5s", "checkout_time: {dist: uniform, low: 1s, high: 5s}")
            + "cashiers: {count: 1}\n",
            "products.0.checkout_time.low=10s",
            "--set products.0.checkout_time.low=10s: products.0.checkout_time.high: must not be below low",
        ),
        (  # the scaling in the file, the count from the flag
            HEAD + "cashiers: {count: 1, scaling: {max: 3, open_at: 4}}\n",
            "cashiers.count=5",
            "--set cashiers.count=5: cashiers.scaling.max: must not be below count",
        ),
        (  # a lane renamed from the command line leaves the file's prefer naming nothing
            HEAD + "segments: [{name: regular, prefer: [express]}]\n"
            "lanes: [{name: tills, count: 2}, {name: express, count: 1}]\n",
            "lanes.1.name=quick",
            "--set lanes.1.name=quick: segments.0.prefer.0: no lane is called 'express'",
        ),
    ],
    ids=["default-basket", "basket-in-file", "attendants", "warmup", "distribution", "scaling", "rename"],
)
def test_a_rule_broken_by_a_set_names_the_flag(text: str, assignment: str, line: str) -> None:
    """The file alone is valid; the flag breaks a rule across keys: the flag is named, with no position."""
    parse_scenario(text, "s.yaml")
    assert problems(text, (assignment,)) == [line]


def test_a_rule_broken_in_the_file_stays_at_its_line_despite_an_unrelated_set() -> None:
    """A --set of a key the rule does not involve does not take the problem from the file."""
    text = KIOSKS.replace("attendants: 1", "attendants: 0")
    expected = ["s.yaml:8:53: lanes.2.assist: needs attendants (at least 1) to give the help"]
    assert problems(text) == expected
    assert problems(text, ("lanes.2.count=5", "lanes.0.scan_factor=2")) == expected


def test_a_set_inside_a_key_a_rule_involves_does_not_take_the_problem() -> None:
    """Giving both lanes and cashiers is the file's doing, not that of a --set of a lane's scan
    factor: a flag counts only if it set a key the rule reads (or a key above it)."""
    text = KIOSKS + "cashiers: {count: 2}\n"
    expected = problems(text)
    assert any(line.startswith("s.yaml:9:11: cashiers: give lanes or cashiers") for line in expected), (
        expected
    )
    assert problems(text, ("lanes.0.scan_factor=2",)) == expected
    flagged = problems(text, ("lanes=[{name: a, count: 1}]",))
    assert "--set lanes=[{name: a, count: 1}]: cashiers: give lanes or cashiers, not both" in flagged[0]


@pytest.mark.parametrize(
    ("assignment", "key"),
    [
        ("lanes.2.assist=null", "lanes.2.attendants"),  # in the file; the flag made them idle
        ("lanes.0.queue.kind=fifo", "segments.0.priority"),
        ("lanes.0.line=shared", "segments.0.jockey"),
    ],
)
def test_a_warning_a_set_brings_about_names_the_flag(assignment: str, key: str) -> None:
    """A setting in the file that a --set makes do nothing: the warning is the flag's, as a rule's is."""
    tills = "{name: tills, count: 2, line: per_till, queue: {kind: priority}}"
    text = KIOSKS.replace("{name: tills, count: 2}", tills)
    text += "segments: [{name: regular, priority: 1, jockey: {min_gain: 2}}]\n"
    assert warnings(text) == []
    assert f"--set {assignment}: {key}: warning: " in "\n".join(warnings(text, (assignment,)))


# --- item 8: settings that repeat or do nothing ----------------------------------------------------


def test_prefer_naming_a_lane_twice_is_refused_at_the_second() -> None:
    """`prefer: [tills, tills]` changed the log though it says nothing new: refused, at the repeat,
    and the schema says so to editors."""
    text = KIOSKS + "segments: [{name: regular, prefer: [tills, express, tills]}]\n"
    schema = json.loads(render())["$defs"]["Segment"]["properties"]["prefer"]["anyOf"][0]
    assert schema["uniqueItems"] is True
    assert problems(text) == [
        "s.yaml:9:53: segments.0.prefer.2: 'tills' is listed already (prefer.0); name each lane once"
    ]


@pytest.mark.parametrize(
    ("tills", "line"),
    [
        (
            "lanes:\n  - name: tills\n    count: 2\n    line: per_till\n"
            "    queue: {capacity: 3, when_full: balk}\n    scaling: {max: 8, open_at: 5}\n",
            "s.yaml:10:32: lanes.0.scaling.open_at: warning: has no effect: each till's line holds at most 3 "
            "(lanes.0.queue.capacity), so it never reaches 5 and no extra till ever opens; "
            "set open_at to at most 3",
        ),
        (
            "queue: {capacity: 4}\ncashiers: {count: 1, scaling: {max: 3, open_at: 6}}\n",
            "s.yaml:6:49: cashiers.scaling.open_at: warning: has no effect: the line holds at most 4 "
            "(queue.capacity), so it never reaches 6 and no extra till ever opens; set open_at to at most 4",
        ),
    ],
    ids=["per-till", "shared"],
)
def test_open_at_above_a_lines_capacity_is_a_warning(tills: str, line: str) -> None:
    """A line never holds more than its capacity, so a manager waiting for more never opens a till."""
    assert warnings(HEAD + tills) == [line]
    capacity = 3 if "per_till" in tills else 4
    key = "lanes.0.queue.capacity" if "per_till" in tills else "queue.capacity"
    open_at = "lanes.0.scaling.open_at" if "per_till" in tills else "cashiers.scaling.open_at"
    assert warnings(HEAD + tills, (f"{open_at}={capacity}",)) == []  # a line of `capacity` reaches it
    # The capacity lowered from the command line: the warning is the flag's.
    assert warnings(
        HEAD + tills.replace("open_at: 5", "open_at: 3").replace("open_at: 6", "open_at: 4"), (f"{key}=2",)
    ) == [
        f"--set {key}=2: {open_at}: warning: has no effect: "
        + ("each till's line" if "per_till" in tills else "the line")
        + f" holds at most 2 ({key}), so it never reaches {capacity} and no extra till ever opens; "
        "set open_at to at most 2"
    ]


LIMITED = (
    "name: s\nproducts: [{name: x, checkout_time: 2}]\n"
    "arrivals: {pattern: poisson, rate: 40/min, limit: 1000}\ncashiers: {count: 1}\n"
)


def test_an_overload_bounded_by_the_limit_says_how_long_the_line_gets() -> None:
    """1,000 customers at 40/min, 1 till of 2 s: the last arrives after 1000/40 = 25 min, when the line
    holds about 1000 - 25 min x 30/min = 250 people; it does not grow 'without limit'."""
    rate, service, limit = 40 / 60, 2.0, 1000
    last = limit / rate
    people = limit - last / service
    assert warnings(LIMITED) == [
        f"s.yaml:3:36: arrivals.rate: warning: arrivals 40/min need {rate * service:.3g} tills (2s each on "
        f"average); 1 is open at most: the line will grow to about {people:.3g} people until the last of the "
        f"1,000 customers has arrived (after about {last / 60:.3g}min)"
    ]


def test_a_long_line_is_said_in_whole_people() -> None:
    """100,000 customers: about 25,000 in line at the end, said so, not as 2.5e+04."""
    (line,) = warnings(LIMITED.replace("limit: 1000}", "limit: 100000}"))
    assert "the line will grow to about 25,000 people until the last of the 100,000 customers" in line, line


def test_a_closing_time_before_the_limit_keeps_the_unbounded_message() -> None:
    """Closing after 10 min comes before the 1,000th customer (about 400 by then): the old words stand."""
    assert warnings(LIMITED, ("duration=10min",)) == [
        "s.yaml:3:36: arrivals.rate: warning: arrivals 40/min need 1.33 tills (2s each on average); "
        "1 is open at most: the line will grow without limit"
    ]


def test_a_phase_after_the_last_customer_gives_no_warning() -> None:
    """Phases of 600/h then 3,600/h with 1 till of 2 s; the 100th customer arrives within the first
    phase (at 10 min), so the overloaded second phase never comes."""
    text = LIMITED.replace(
        "{pattern: poisson, rate: 40/min, limit: 1000}",
        "{pattern: schedule, limit: 100, phases: [{until: 1h, rate: 600/h}, {until: 2h, rate: 3600/h}]}",
    )
    assert warnings(text) == []
    # With 1,000 customers it comes: 600 arrive in the first hour, the other 400 in 400 s of the second.
    grows = (3600 / 3600 - 1 / 2.0) * 400
    assert warnings(text.replace("limit: 100,", "limit: 1000,")) == [
        "s.yaml:3:97: arrivals.phases.1.rate: warning: phase 2 (until 2h): arrivals 1/s need 2 tills "
        "(2s each on average); 1 is open at most: the line will grow by about "
        f"{grows:.3g} people until the last of the 1,000 customers has arrived (after about 1h07m)"
    ]  # 3600/h has its unit: no hint that a bare number is per second


@pytest.mark.parametrize(
    ("rate", "hinted"), [("2", True), ("2/s", False), ("120/minute", False), ("7200/h", False)]
)
def test_the_per_second_hint_is_for_a_rate_written_without_a_unit(rate: str, hinted: bool) -> None:
    """'a rate without a unit is per second' is said of a bare number only, not of 120/minute."""
    text = HEAD.replace("rate: 60/h", f"rate: {rate}") + "cashiers: {count: 1}\n"
    (line,) = warnings(text)
    assert "arrivals 2/s need 10 tills" in line, line
    assert ("(a rate without a unit is per second: for 2 an hour write 2/h)" in line) is hinted, line


# --- item 9: did-you-mean among the keys of the place; where a key belongs ------------------------


@pytest.mark.parametrize(
    ("extra", "line"),
    [
        ("payment: 30s", "s.yaml:5:1: payment: unknown key; payment_time belongs under cashiers or a lane"),
        (
            "payment_time: 30s",
            "s.yaml:5:1: payment_time: unknown key here; it belongs under cashiers or a lane",
        ),
        ("capacity: 3", "s.yaml:5:1: capacity: unknown key here; it belongs under queue or a lane's queue"),
        (
            "every: 1min",
            "s.yaml:5:1: every: unknown key here; it belongs under arrivals (pattern: batch), "
            "cashiers.breaks or a lane's breaks",
        ),
        ("limit: 10", "s.yaml:5:1: limit: unknown key here; it belongs under arrivals"),
        ("lane: []", "s.yaml:5:1: lane: unknown key (did you mean 'lanes'?)"),
    ],
)
def test_an_unknown_key_gets_a_hint_valid_where_it_is(extra: str, line: str) -> None:
    """Only keys of the place are suggested; a key of another place is said to belong there."""
    assert problems(HEAD + extra + "\ncashiers: {count: 1}\n") == [line]


def test_a_key_of_another_distribution_says_which_it_belongs_to() -> None:
    """`sd` under an exponential is a normal's or a lognormal's."""
    text = HEAD.replace("checkout_time: 5s", "checkout_time: {dist: exponential, mean: 5s, sd: 1s}")
    assert problems(text + "cashiers: {count: 1}\n") == [
        "s.yaml:3:71: products.0.checkout_time.sd: unknown key here; it belongs under a distribution "
        "(dist: normal, lognormal)"
    ]


def test_a_close_key_of_the_place_is_still_suggested() -> None:
    """`payment_tim` under cashiers, `cuont` from a --set: the key of that place."""
    assert problems(HEAD + "cashiers: {count: 1, payment_tim: 5s}\n") == [
        "s.yaml:5:22: cashiers.payment_tim: unknown key (did you mean 'payment_time'?)"
    ]


# --- item 12: every problem at once ---------------------------------------------------------------


def test_the_issues_bad_warmup_and_duplicate_lane_are_shown_together() -> None:
    """Two independent rules broken: both lines, in file order (was: only the warm-up)."""
    text = HEAD + "warmup: 2h\nlanes: [{name: a, count: 1}, {name: a, count: 1}]\n"
    assert problems(text) == [
        "s.yaml:5:9: warmup: must end before the duration (3600s), or no customer would count",
        "s.yaml:6:37: lanes.1.name: duplicate name 'a'",
    ]


def test_an_unknown_key_does_not_hide_the_rules() -> None:
    """An unknown key stopped pydantic before any rule across keys; now both are said."""
    text = HEAD + "drain: false\nwarmup: 2h\ncashiers: {count: 1, count_extra: 2}\n"
    assert problems(text) == [
        "s.yaml:6:9: warmup: must end before the duration (3600s), or no customer would count",
        "s.yaml:7:22: cashiers.count_extra: unknown key",
    ]


def test_what_a_misspelt_key_causes_is_not_said_twice() -> None:
    """`durration` for `duration`: the missing duration (and drain: false without one) follow from the
    typo, so only the typo is said."""
    text = HEAD.replace("duration:", "durration:") + "drain: false\ncashiers: {count: 1}\n"
    assert problems(text) == ["s.yaml:2:1: durration: unknown key (did you mean 'duration'?)"]


def test_field_errors_and_rule_errors_of_different_parts_come_together() -> None:
    """A bad value in one lane and a broken rule in another: both, in file order; and the rule of
    lane b that its bad probability hid (a max below its count), which the probability does not
    bear on. Lane b's own 'assist needs attendants' involves the bad assist: left out."""
    text = HEAD + (
        "lanes:\n"
        "  - {name: a, count: 0}\n"
        "  - {name: b, count: 3, scaling: {max: 2, open_at: 4}, assist: {probability: 2, time: 1s}}\n"
        "  - {name: c, count: 1, assist: {probability: 0.1, time: 1s}}\n"
    )
    assert problems(text) == [
        "s.yaml:6:22: lanes.0.count: must be at least 1",
        "s.yaml:7:40: lanes.1.scaling.max: must not be below count",
        "s.yaml:7:78: lanes.1.assist.probability: must be at most 1",
        "s.yaml:8:33: lanes.2.assist: needs attendants (at least 1) to give the help",
    ]


def test_every_phase_out_of_order_is_said() -> None:
    """Two phases out of order and none with a rate: three lines, not one."""
    text = (
        HEAD.replace(
            "{pattern: poisson, rate: 60/h}",
            "{pattern: schedule, phases: "
            "[{until: 2h, rate: 0}, {until: 1h, rate: 0}, {until: 30min, rate: 0}]}",
        )
        + "cashiers: {count: 1}\n"
    )
    in_order = "phases must be in order: each until must be later than the one before"
    assert problems(text) == [
        "s.yaml:4:39: arrivals.phases: at least one phase must have a rate above 0",
        f"s.yaml:4:70: arrivals.phases.1.until: {in_order}",
        f"s.yaml:4:92: arrivals.phases.2.until: {in_order}",
    ]


def test_at_most_twenty_problems_then_how_many_more() -> None:
    """26 products with one name: the first 20 of the 25 repeats in file order, then a count of the rest."""
    products = "".join(f"  - {{name: bread, checkout_time: {second}s}}\n" for second in range(1, 27))
    text = HEAD.replace("products: [{name: bread, checkout_time: 5s}]\n", "products:\n" + products)
    text += "cashiers: {count: 1}\n"
    lines = problems(text)
    assert MAX_PROBLEMS == 20
    assert lines[:-1] == [
        f"s.yaml:{4 + index}:12: products.{index}.name: duplicate name 'bread'" for index in range(1, 21)
    ]
    assert lines[-1] == "s.yaml: 5 more problems not shown"


# --- item 11: rates per hour, minute, day in words ------------------------------------------------


def test_a_rate_in_words_runs_like_its_short_unit() -> None:
    """`120/hour` is `120/h`: the same scenario, and the schema accepts it too."""
    validator = jsonschema.Draft202012Validator(json.loads(render()))
    for words, short in [
        ("120/hour", "120/h"),
        ("2/minute", "2/min"),
        ("1000/day", "1000/d"),
        ("5/10 minutes", "5/10min"),
    ]:
        said = parse_scenario(HEAD.replace("60/h", words) + "cashiers: {count: 1}\n")
        assert said == parse_scenario(HEAD.replace("60/h", short) + "cashiers: {count: 1}\n")
        data = {"name": "s", "duration": 60, "products": [{"name": "a", "checkout_time": 1}]}
        data |= {"arrivals": {"pattern": "poisson", "rate": words}, "cashiers": {"count": 1}}
        assert list(validator.iter_errors(data)) == []


def test_warnings_come_in_file_order() -> None:
    """A priority (line 4) and an overload (line 5, worked out first) are said top to bottom."""
    text = (
        "name: s\nduration: 1h\nproducts: [{name: x, checkout_time: 1min}]\n"
        "segments: [{name: a, priority: 1}]\n"
        "arrivals: {pattern: poisson, rate: 3/min}\ncashiers: {count: 1}\n"
    )
    lines = warnings(text)
    assert [line.split(":")[1] for line in lines] == ["4", "5"], lines


def test_a_bad_value_does_not_hide_the_rules_across_the_scenario() -> None:
    """A rate that cannot be read, a product and a lane named twice, a prefer of no lane and a
    warm-up past closing: every one at once (pydantic checks no rule of a model whose values
    are not all valid; the loader checks again with a stand-in for each bad value)."""
    text = (
        "name: s\nduration: 1h\nwarmup: 2h\n"
        "products: [{name: x, checkout_time: 5s}, {name: x, checkout_time: 5s}]\n"
        "arrivals: {pattern: poisson, rate: fast}\n"
        "segments: [{name: r, prefer: [nope]}]\n"
        "lanes: [{name: a, count: 1}, {name: a, count: 2}]\n"
    )
    assert [line.split(": ")[1] for line in problems(text)] == [
        "warmup",
        "products.1.name",
        "arrivals.rate",
        "segments.0.prefer.0",
        "lanes.1.name",
    ]
    # A bad value set on the command line: the file's own problems are still said.
    found = problems(text.replace("rate: fast", "rate: 1/min"), ("lanes.0.count=0",))
    assert found[-1] == "--set lanes.0.count=0: lanes.0.count: must be at least 1"
    assert [line.split(": ")[1] for line in found[:-1]] == [
        "warmup", "products.1.name", "segments.0.prefer.0", "lanes.1.name"
    ]  # fmt: skip


@pytest.mark.parametrize(("value", "said"), [("null", "null"), ("true", "true"), ("false", "false")])
def test_a_yaml_word_is_said_as_written(value: str, said: str) -> None:
    """`--set clock=null` said 'unknown value None': Python's words, not the user's."""
    (line,) = problems(HEAD + "cashiers: {count: 1}\n", (f"clock={value}",))
    assert line == f"--set clock={value}: clock: unknown value {said}; expected virtual or realtime"
