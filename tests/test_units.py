"""Durations and rates are read the way people write them."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError
from pydantic_core import PydanticCustomError

from checkout_sim.config.units import (
    Duration,
    NonNegativeRate,
    PositiveDuration,
    Rate,
    parse_clock_time,
    parse_duration,
    parse_rate,
)

DURATION: TypeAdapter[float] = TypeAdapter(Duration)
POSITIVE_DURATION: TypeAdapter[float] = TypeAdapter(PositiveDuration)
RATE: TypeAdapter[float] = TypeAdapter(Rate)
NON_NEGATIVE_RATE: TypeAdapter[float] = TypeAdapter(NonNegativeRate)
WRITE_A_RATE = "(write N/s, N/min, N/h, N/d or N/hour, or N per a duration: 5/10min)"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        (5, 5.0),
        (2.5, 2.5),
        ("250ms", 0.25),
        ("30s", 30.0),
        ("5m", 300.0),
        ("5min", 300.0),
        ("2h", 7200.0),
        ("1h30m", 5400.0),
        ("1h 30m 15s", 5415.0),
        ("1.5h", 5400.0),
        (".5s", 0.5),
        ("2d", 172800.0),
        ("45", 45.0),
        ("1e3", 1000.0),
        (0, 0.0),
    ],
)
def test_durations(text: object, seconds: float) -> None:
    """Numbers are seconds; strings may combine units."""
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("5 parsecs", "cannot read '5 parsecs' as a duration (units: ms, s, sec, m, min, h, hr, d)"),
        ("1:30", "cannot read '1:30' as a duration (write 1m30s, not 1:30)"),
        ("-5s", "must not be negative"),
        (-1, "must not be negative"),
        (float("nan"), "must be a finite number"),
        (float("inf"), "must be a finite number"),
        ("inf", "must be a finite number"),
        ("", "cannot read '' as a duration (units: ms, s, sec, m, min, h, hr, d)"),
        (True, "expected a duration: a number of seconds or a string like '30s'"),
        ([1], "expected a duration: a number of seconds or a string like '30s'"),
        ("\r\n", "cannot read '\\r\\n' as a duration (units: ms, s, sec, m, min, h, hr, d)"),
        ("5s\x07", "cannot read '5s\\x07' as a duration (units: ms, s, sec, m, min, h, hr, d)"),
    ],
)
def test_bad_durations(text: object, message: str) -> None:
    """Anything else is refused with a message that says what to write."""
    with pytest.raises(PydanticCustomError) as caught:
        parse_duration(text)
    assert caught.value.message() == message


@pytest.mark.parametrize(
    ("text", "per_second"),
    [
        (2, 2.0),
        ("30/h", 30 / 3600),
        ("2.5/min", 2.5 / 60),
        ("4/s", 4.0),
        ("5/10min", 5 / 600),
        ("1 / 2h", 1 / 7200),
        ("0/h", 0.0),
        ("120/hour", 120 / 3600),
        ("120/minute", 120 / 60),
        ("120/day", 120 / 86400),
        ("4/second", 4.0),
        ("5/10 minutes", 5 / 600),
        ("3/2hours", 3 / 7200),
        ("7 / days", 7 / 86400),
        ("1/hr", 1 / 3600),
        ("1/sec", 1.0),
    ],
)
def test_rates(text: object, per_second: float) -> None:
    """Numbers are per second; N/unit, N/duration and the period in words (120/hour) are understood."""
    assert parse_rate(text) == pytest.approx(per_second, rel=1e-15)


def test_words_for_the_period_are_for_rates_only() -> None:
    """`2 hours` as a duration stays refused (write 2h), as a goal's time is; only a rate's period
    may be a word, as people say `120 an hour`."""
    with pytest.raises(PydanticCustomError) as caught:
        parse_duration("2 hours")
    assert (
        caught.value.message() == "cannot read '2 hours' as a duration (units: ms, s, sec, m, min, h, hr, d)"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("3/fortnight", f"cannot read '3/fortnight' as a rate {WRITE_A_RATE}"),
        ("30 per hour", f"cannot read '30 per hour' as a rate {WRITE_A_RATE}"),
        ("3/hourly", f"cannot read '3/hourly' as a rate {WRITE_A_RATE}"),
        ("3/0s", "the period of '3/0s' is zero"),
        (-2, "must not be negative"),
    ],
)
def test_bad_rates(text: object, message: str) -> None:
    """Unknown units, zero periods and negative rates are refused."""
    with pytest.raises(PydanticCustomError) as caught:
        parse_rate(text)
    assert caught.value.message() == message


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        (DURATION, 1e308, "must be at most 1000000000 seconds (about 31 years)"),
        (DURATION, "1e308h", "must be at most 1000000000 seconds (about 31 years)"),
        (POSITIVE_DURATION, "11575d", "must be at most 1000000000 seconds (about 31 years)"),
        (RATE, "2e9/s", "must be at most 1000000000 per second"),
        (RATE, 1e-10, "must be at least 1 per 1000000000 seconds"),
        (RATE, "1/1e10s", "must be at least 1 per 1000000000 seconds"),
        (NON_NEGATIVE_RATE, 1e300, "must be at most 1000000000 per second"),
    ],
)
def test_times_and_rates_have_bounds(kind: TypeAdapter[float], value: object, message: str) -> None:
    """Times above 10**9 s, and rates above 10**9/s or (arrivals) below one per 10**9 s, are refused."""
    with pytest.raises(ValidationError) as caught:
        kind.validate_python(value)
    assert [error["msg"] for error in caught.value.errors()] == [message]


@pytest.mark.parametrize(
    ("kind", "value", "seconds"),
    [
        (DURATION, "1e9s", 1e9),
        (POSITIVE_DURATION, 5e-324, 5e-324),
        (RATE, "1e9/s", 1e9),
        (RATE, "1/1e9s", 1e-9),
        (NON_NEGATIVE_RATE, 5e-324, 5e-324),
        (NON_NEGATIVE_RATE, 0, 0.0),
    ],
)
def test_the_bounds_themselves_are_allowed(kind: TypeAdapter[float], value: object, seconds: float) -> None:
    """Exactly 10**9 s, 10**9/s and one per 10**9 s are valid; a phase rate may be nearly 0."""
    assert kind.validate_python(value) == seconds


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("08:00", 28800.0),
        ("8:00", 28800.0),
        ("00:00", 0.0),
        ("12:30:15", 45015.0),
        ("24:00", 86400.0),
        (" 9:05 ", 32700.0),
    ],
)
def test_clock_times(text: str, seconds: float) -> None:
    assert parse_clock_time(text) == seconds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("8", "cannot read '8' as a time of day (write HH:MM or HH:MM:SS)"),
        (480, "cannot read 480 as a time of day (write HH:MM or HH:MM:SS)"),
        ("8:60", "'8:60' is not a time of day (00:00 to 24:00)"),
        ("24:01", "'24:01' is not a time of day (00:00 to 24:00)"),
        ("25:00", "'25:00' is not a time of day (00:00 to 24:00)"),
        ("8:00:60", "'8:00:60' is not a time of day (00:00 to 24:00)"),
        ("1h", "cannot read '1h' as a time of day (write HH:MM or HH:MM:SS)"),
    ],
)
def test_bad_clock_times(text: object, message: str) -> None:
    with pytest.raises(PydanticCustomError) as caught:
        parse_clock_time(text)
    assert str(caught.value) == message
