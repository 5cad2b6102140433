"""Durations and rates as people write them (``1h30m``, ``30/h``), turned into seconds.

Every simulated quantity inside checkout-sim is in seconds; this module is the one
place where the units a scenario author writes are understood.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from .base import shown

__all__ = [
    "DURATION_JSON_SCHEMA",
    "MAX_RATE",
    "MAX_SECONDS",
    "MIN_RATE",
    "RATE_WORDS",
    "Count",
    "Duration",
    "NonNegativeRate",
    "PositiveDuration",
    "Rate",
    "parse_clock_time",
    "parse_duration",
    "parse_rate",
]

#: Seconds per unit. ``m`` is minutes (never metres or months).
UNITS: dict[str, float] = {
    "ms": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "m": 60.0,
    "min": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "d": 86400.0,
}

#: The period of a rate may also be a word, as people say it: ``120/hour``, ``5/10 minutes``.
#: (Durations keep to the short units: ``2 hours`` is ``2h``.)
RATE_WORDS: dict[str, str] = {
    "second": "s",
    "seconds": "s",
    "minute": "min",
    "minutes": "min",
    "hour": "h",
    "hours": "h",
    "day": "d",
    "days": "d",
}

_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_UNIT = "|".join(sorted(UNITS, key=len, reverse=True))
_PER = "|".join(sorted([*UNITS, *RATE_WORDS], key=len, reverse=True))
_PART = re.compile(rf"\s*({_NUMBER})\s*({_UNIT})\s*")
DURATION_PATTERN = rf"^\s*(?:{_NUMBER}\s*(?:{_UNIT})\s*)+$"
RATE_PATTERN = rf"^\s*{_NUMBER}\s*/\s*(?:{_NUMBER}\s*)?(?:{_PER})\s*$"
_DURATION_RE = re.compile(DURATION_PATTERN)
_RATE_RE = re.compile(rf"^\s*({_NUMBER})\s*/\s*(.+?)\s*$")
_PER_WORD_RE = re.compile(rf"^({_NUMBER})?\s*({'|'.join(RATE_WORDS)})$")

_UNIT_HINT = "units: " + ", ".join(UNITS)
_BAD_RATE = (
    "cannot read {value} as a rate (write N/s, N/min, N/h, N/d or N/hour, or N per a duration: 5/10min)"
)

#: The longest time a scenario may give (about 31.7 years). Sums of such times over
#: every item of every customer a run may take stay far below float overflow.
MAX_SECONDS = 1e9
#: The fastest rate (per second), and the slowest above 0 for arrivals: 1/rate stays
#: a finite, positive gap.
MAX_RATE = 1e9
MIN_RATE = 1 / MAX_SECONDS


def _finite_number(value: Any) -> float | None:
    """Return ``value`` as a float when it is a real (non-bool) number, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    if not math.isfinite(number):
        raise PydanticCustomError("finite_number", "must be a finite number")
    return number


def parse_duration(value: Any) -> float:
    """Seconds from a number or a string such as ``250ms``, ``5min`` or ``1h30m``."""
    number = _finite_number(value)
    if number is not None:
        if number < 0:
            raise PydanticCustomError("duration", "must not be negative")
        return number
    if not isinstance(value, str):
        raise PydanticCustomError(
            "duration", "expected a duration: a number of seconds or a string like '30s'"
        )
    text = value.strip()
    if text.startswith("-"):
        raise PydanticCustomError("duration", "must not be negative")
    if _DURATION_RE.match(text):
        return sum(float(num) * UNITS[unit] for num, unit in _PART.findall(text))
    try:
        number = float(text)
    except ValueError:
        return _bad_duration(value)
    return parse_duration(number)


def _bad_duration(value: str) -> float:
    hint = " (write 1m30s, not 1:30)" if ":" in value else f" ({_UNIT_HINT})"
    raise PydanticCustomError("duration", "cannot read {value} as a duration" + hint, {"value": shown(value)})


_CLOCK_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d*)?))?\s*$")


def parse_clock_time(value: Any) -> float:
    """Seconds since midnight from a time of day written ``HH:MM`` or ``HH:MM:SS``.

    A day runs from ``00:00`` to ``24:00`` (the end of the day, so a shop may close at
    midnight); minutes and seconds stay below 60. Durations never take this form
    (``1:30`` is not 90 seconds): only points in time do, and only where the scenario
    gives ``opens_at``, which the caller checks.
    """
    match = _CLOCK_RE.match(value) if isinstance(value, str) else None
    if match is None:
        raise PydanticCustomError(
            "clock_time",
            "cannot read {value} as a time of day (write HH:MM or HH:MM:SS)",
            {"value": shown(value)},
        )
    hours, minutes = int(match[1]), int(match[2])
    seconds = float(match[3]) if match[3] else 0.0
    if minutes >= 60 or seconds >= 60 or hours > 24 or (hours == 24 and (minutes or seconds)):
        raise PydanticCustomError(
            "clock_time", "{value} is not a time of day (00:00 to 24:00)", {"value": shown(value)}
        )
    return hours * 3600.0 + minutes * 60.0 + seconds


def parse_rate(value: Any) -> float:
    """Events per second from a number or a string such as ``30/h``, ``120/hour`` or ``5/10min``."""
    number = _finite_number(value)
    if number is not None:
        if number < 0:
            raise PydanticCustomError("rate", "must not be negative")
        return number
    if not isinstance(value, str):
        raise PydanticCustomError("rate", "expected a rate: a number per second or a string like '30/h'")
    match = _RATE_RE.match(value)
    if match is None:
        raise PydanticCustomError(
            "rate",
            _BAD_RATE,
            {"value": shown(value)},
        )
    count, per = match.groups()
    word = _PER_WORD_RE.match(per)
    if word is not None:
        per = (word[1] or "") + RATE_WORDS[word[2]]
    per = per if per[0].isdigit() or per[0] == "." else "1" + per
    try:
        seconds = parse_duration(per)
    except PydanticCustomError:
        raise PydanticCustomError(
            "rate",
            _BAD_RATE,
            {"value": shown(value)},
        ) from None
    if seconds <= 0:
        raise PydanticCustomError("rate", "the period of {value} is zero", {"value": shown(value)})
    return float(count) / seconds


def _positive(value: float) -> float:
    if value <= 0:
        raise PydanticCustomError("greater_than", "must be greater than 0")
    return value


def _bounded_duration(value: Any) -> float:
    seconds = parse_duration(value)
    if seconds > MAX_SECONDS:
        raise PydanticCustomError("too_long", f"must be at most {MAX_SECONDS:.0f} seconds (about 31 years)")
    return seconds


def _parse_positive_duration(value: Any) -> float:
    return _positive(_bounded_duration(value))


def _bounded_rate(value: Any) -> float:
    rate = parse_rate(value)
    if rate > MAX_RATE:
        raise PydanticCustomError("too_fast", f"must be at most {MAX_RATE:.0f} per second")
    return rate


def _parse_positive_rate(value: Any) -> float:
    rate = _positive(_bounded_rate(value))
    if rate < MIN_RATE:
        raise PydanticCustomError("too_slow", f"must be at least 1 per {MAX_SECONDS:.0f} seconds")
    return rate


def _parse_count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PydanticCustomError("int_type", "expected a whole number")
    if value < 0:
        raise PydanticCustomError("count", "must not be negative")
    return value


_MOST = int(MAX_SECONDS)
DURATION_JSON_SCHEMA = {
    "anyOf": [
        {"type": "number", "minimum": 0, "maximum": _MOST},
        {"type": "string", "pattern": DURATION_PATTERN},
    ],
    "description": "Seconds, or a string with units such as 250ms, 30s, 5min, 2h, 1h30m.",
}
_POSITIVEDURATION_JSON_SCHEMA = {
    "anyOf": [
        {"type": "number", "exclusiveMinimum": 0, "maximum": _MOST},
        {"type": "string", "pattern": DURATION_PATTERN},
    ],
    "description": "Seconds (> 0), or a string with units such as 30s, 5min, 2h, 1h30m.",
}
_RATE_SCHEMA = {
    "anyOf": [
        {"type": "number", "minimum": MIN_RATE, "maximum": int(MAX_RATE)},
        {"type": "string", "pattern": RATE_PATTERN},
    ],
    "description": "Per second, or a string such as 30/h, 2.5/min, 120/hour, 5/10min.",
}
_NON_NEGATIVE_RATE_SCHEMA = {
    "anyOf": [
        {"type": "number", "minimum": 0, "maximum": int(MAX_RATE)},
        {"type": "string", "pattern": RATE_PATTERN},
    ],
    "description": "Per second (0 allowed), or a string such as 30/h, 2.5/min, 120/hour.",
}

#: Seconds, zero allowed (``checkout_time: 0``).
Duration = Annotated[float, BeforeValidator(_bounded_duration), WithJsonSchema(DURATION_JSON_SCHEMA)]
#: Seconds, strictly positive (``duration``, ``every``, a mean).
PositiveDuration = Annotated[
    float, BeforeValidator(_parse_positive_duration), WithJsonSchema(_POSITIVEDURATION_JSON_SCHEMA)
]
#: Events per second, strictly positive.
Rate = Annotated[float, BeforeValidator(_parse_positive_rate), WithJsonSchema(_RATE_SCHEMA)]
#: Events per second, zero allowed (a closed phase of a schedule).
NonNegativeRate = Annotated[float, BeforeValidator(_bounded_rate), WithJsonSchema(_NON_NEGATIVE_RATE_SCHEMA)]
#: A whole number of things, zero allowed.
Count = Annotated[int, BeforeValidator(_parse_count), WithJsonSchema({"type": "integer", "minimum": 0})]
