"""Issue 21, item 1: an opening time, and points in time written as times of day.

A scenario with ``opens_at`` and times of day is the same shop as one written in seconds
since opening: the same run, the same log but for the scenario it records.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from pydantic_core import PydanticCustomError

from checkout_sim import ScenarioError, parse_scenario, run
from checkout_sim.analysis import format_summary
from checkout_sim.cli import main
from checkout_sim.config.times import clock_text, point_in_time

BY_THE_CLOCK = """
name: day
seed: 4
opens_at: "08:00"
closes_at: "12:00"
products: [{name: bread, checkout_time: {dist: exponential, mean: 50s}}]
arrivals:
  pattern: schedule
  phases:
    - {until: "09:30", rate: 40/h}
    - {until: "10:15:30", rate: 90/h}
    - {until: 4h, rate: 30/h}
cashiers: {count: 1}
"""

SINCE_OPENING = """
name: day
seed: 4
duration: 4h
products: [{name: bread, checkout_time: {dist: exponential, mean: 50s}}]
arrivals:
  pattern: schedule
  phases:
    - {until: 1h30m, rate: 40/h}
    - {until: 8130, rate: 90/h}
    - {until: 4h, rate: 30/h}
cashiers: {count: 1}
"""


def log_lines(text: str, *changes: str) -> list[dict[str, object]]:
    buffer = io.BytesIO()
    run(parse_scenario(text, "day.yaml", changes), log=buffer)
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


OPENS = (8 * 3600.0, "08:00")


@pytest.mark.parametrize(
    ("value", "opens_at", "seconds"),
    [
        ("12:00", OPENS, 4 * 3600.0),
        ("08:00", OPENS, 0.0),
        ("24:00", OPENS, 16 * 3600.0),
        ("10:15:30", OPENS, 2 * 3600.0 + 15 * 60 + 30),
        ("4h", OPENS, 4 * 3600.0),
        ("4h", None, 4 * 3600.0),
        (90, None, 90.0),
    ],
)
def test_a_point_in_time_is_seconds_since_opening(
    value: object, opens_at: tuple[float, str] | None, seconds: float
) -> None:
    assert point_in_time(value, opens_at) == seconds


@pytest.mark.parametrize(
    ("value", "opens_at", "after", "message"),
    [
        ("12:00", None, False, "'12:00' is a time of day, which needs opens_at"),
        ("07:59", OPENS, False, "'07:59' is before opens_at (08:00)"),
        ("08:00", OPENS, True, "'08:00' must be after opens_at (08:00)"),
        ("0", OPENS, True, "must be greater than 0"),
        ("12:60", OPENS, False, "'12:60' is not a time of day (00:00 to 24:00)"),
        ("1:30pm", OPENS, False, "cannot read '1:30pm' as a time of day"),
        (2e9, None, False, "must be at most 1000000000 seconds"),
    ],
)
def test_a_point_in_time_that_cannot_be_says_why(
    value: object, opens_at: tuple[float, str] | None, after: bool, message: str
) -> None:
    with pytest.raises(PydanticCustomError) as caught:
        point_in_time(value, opens_at, after_opening=after)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(8 * 3600, "08:00"), (20 * 3600 + 14 * 60 + 37.4, "20:14:37"), (86400 + 3600 + 600, "01:10+1d")],
)
def test_clock_text(seconds: float, text: str) -> None:
    assert clock_text(seconds) == text


def test_times_of_day_run_as_the_same_times_since_opening() -> None:
    """Every event but run_started is the same; the log keeps t in seconds since opening."""
    by_clock, since = log_lines(BY_THE_CLOCK), log_lines(SINCE_OPENING)
    assert by_clock[1:] == since[1:]
    assert len(since) > 100
    config = by_clock[0]["config"]
    assert isinstance(config, dict)
    assert config["opens_at"] == "08:00"  # as written
    assert config["closes_at"] == 4 * 3600.0
    assert "duration" not in config  # closes_at gave it: the config reads back as written
    assert [phase["until"] for phase in config["arrivals"]["phases"]] == [5400.0, 8130.0, 14400.0]
    # And it does read back: the logged scenario is a valid scenario of the same run.
    again = parse_scenario(json.dumps(config))
    assert again.duration == 4 * 3600.0


def test_a_scenario_without_an_opening_time_logs_no_new_keys() -> None:
    config = log_lines(SINCE_OPENING)[0]["config"]
    assert isinstance(config, dict)
    assert "opens_at" not in config and "closes_at" not in config
    assert config["duration"] == 4 * 3600.0


def test_set_opens_at_moves_every_time_of_day() -> None:
    """An hour later opening: the times of day come an hour sooner after opening; durations stay."""
    scenario = parse_scenario(BY_THE_CLOCK, "day.yaml", ["opens_at=09:00"])
    assert scenario.duration == 3 * 3600.0
    assert [phase.until for phase in scenario.arrivals.phases] == [1800.0, 4530.0, 14400.0]  # type: ignore[union-attr]


def test_set_closes_at() -> None:
    assert parse_scenario(BY_THE_CLOCK, "day.yaml", ["closes_at=11:00"]).duration == 3 * 3600.0
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(SINCE_OPENING, "day.yaml", ["closes_at=3h"])
    assert str(caught.value) == (
        "--set closes_at=3h: closes_at: give closes_at or duration, not both "
        "(duration is the time from opening to closing)"
    )


def test_durations_stay_durations() -> None:
    """``1:30`` as a duration keeps its message, with or without an opening time."""
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(BY_THE_CLOCK, "day.yaml", ["warmup=1:30"])
    assert (
        str(caught.value)
        == "--set warmup=1:30: warmup: cannot read '1:30' as a duration (write 1m30s, not 1:30)"
    )


def test_the_summary_shows_the_span_by_the_clock() -> None:
    scenario = parse_scenario(BY_THE_CLOCK)
    summary = run(scenario)
    first = format_summary(scenario, summary).splitlines()[0]
    span = r"day: 08:00–12:\d\d(:\d\d)?, 4h\d\dm simulated"
    assert re.fullmatch(span + r" \(virtual clock, seed 4\)", first), first
    plain = parse_scenario(SINCE_OPENING)
    assert format_summary(plain, run(plain)).startswith("day: 4h")


def test_the_report_reads_by_the_clock(tmp_path: Path) -> None:
    """The report's header gives the span, its time axes are labelled with times of day."""
    path = tmp_path / "day.yaml"
    path.write_text(BY_THE_CLOCK)
    report = tmp_path / "day.html"
    assert main([str(path), "--log", "none", "--quiet", "--report", str(report)]) == 0
    page = report.read_text()
    assert "08:00–12:" in page
    assert page.count("<!-- time of day") == 4 and "<!-- time of day (when they reached a till) -->" in page
    assert "<!-- 10:00 -->" in page and "hours since opening" not in page
    assert "until: &#x27;09:30&#x27;" in page  # the settings, as written


def test_the_interval_table_reads_by_the_clock(tmp_path: Path) -> None:
    """With opens_at the terminal's and the report's interval tables give times of day."""
    from checkout_sim.analysis import format_intervals

    text = BY_THE_CLOCK.replace("cashiers: {count: 1}", "cashiers: {count: 1}\nintervals: 1h")
    scenario = parse_scenario(text)
    table = format_intervals(scenario, [run(scenario)]).splitlines()
    assert [line.split()[:2] for line in table[2:6]] == [
        ["08:00", "09:00"],
        ["09:00", "10:00"],
        ["10:00", "11:00"],
        ["11:00", "12:00"],
    ]
    path = tmp_path / "day.yaml"
    path.write_text(text)
    report = tmp_path / "day.html"
    assert main([str(path), "--log", "none", "--quiet", "--report", str(report)]) == 0
    page = report.read_text()
    assert 'data-figure="start" data-value="3600.0">09:00<' in page
    assert "<!-- interval, time of day -->" in page
