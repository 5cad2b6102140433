"""The event log's schema as the report reads it: each event's required fields and their kinds.

One table (:data:`EVENT_FIELDS`, from the README's event table) and one function that
checks an event against it, so a log the report did not expect is refused with the
line's fault (``customer_arrived lacks segment``) instead of a crash deep inside the
report. Events the table does not name are let through (a later version may add some).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["EVENT_FIELDS", "SCHEMA_VERSION", "check_event"]

#: The event log version this reader understands (``run_started.schema_version``).
SCHEMA_VERSION = 1


def _count(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return "is not a whole number"
    return "is negative" if value < 0 else None


def _seconds(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return "is not a number"
    return "is negative" if value < 0 else None


def _seconds_or_null(value: Any) -> str | None:
    if value is None:
        return None
    problem = _seconds(value)
    return "is not a number or null" if problem == "is not a number" else problem


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) else "is not a string"


def _flag(value: Any) -> str | None:
    return None if isinstance(value, bool) else "is not true or false"


def _mapping(value: Any) -> str | None:
    return None if isinstance(value, dict) else "is not an object"


Check = Callable[[Any], "str | None"]

#: The counts and wait figures of a segment (and of the whole run).
_SEGMENT: dict[str, Check] = {
    "arrived": _count,
    "served": _count,
    "balked": _count,
    "reneged": _count,
    "unserved": _count,
    "waited": _count,
    "wait_mean": _seconds_or_null,
    "wait_sd": _seconds_or_null,
    "wait_p50": _seconds_or_null,
    "wait_p90": _seconds_or_null,
    "wait_p99": _seconds_or_null,
    "wait_max": _seconds_or_null,
}

#: Every event's required fields (besides ``t`` and ``event``) and how each is checked, in
#: the order they are checked: the event's own figures first, then the ids (``customer``,
#: ``cashier``) that tie it to other events.
EVENT_FIELDS: dict[str, dict[str, Check]] = {
    "run_started": {},
    "cashier_opened": {"queue_length": _count, "cashier": _count},
    "cashier_closed": {"queue_length": _count, "cashier": _count},
    "customer_arrived": {"segment": _text, "items": _count, "queue_length": _count, "customer": _count},
    "customer_balked": {"queue_length": _count, "customer": _count},
    "checkout_started": {"wait": _seconds, "customer": _count, "cashier": _count},
    "item_scanned": {"product": _text, "scan": _seconds, "customer": _count, "cashier": _count},
    "checkout_finished": {"service": _seconds, "items": _count, "customer": _count, "cashier": _count},
    "customer_reneged": {"wait": _seconds, "customer": _count},
    "customer_unserved": {"wait": _seconds, "customer": _count},
    "run_finished": {
        **_SEGMENT,
        "queue_length_mean": _seconds,
        "queue_length_max": _count,
        "waiting_mean": _seconds,
        "wait_mean_all": _seconds_or_null,
        "utilisation": _seconds_or_null,
        "throughput_per_hour": _seconds_or_null,
        "lanes_max": _count,
        "elapsed": _seconds,
        "seed": _count,
        "interrupted": _flag,
        "segments": _mapping,
    },
}

#: Fields checked only when present: ``run`` (the replication, from 1) on any event, and
#: ``run_started``'s description of the run, for each of which the page has a fallback.
_OPTIONAL: dict[str, dict[str, Check]] = {
    "": {"run": _count},
    "run_started": {
        "scenario": _text,
        "seed": _count,
        "clock": _text,
        "schema_version": _count,
        "config": _mapping,
    },
}


def _first_fault(event: Mapping[str, Any], fields: Mapping[str, Check], prefix: str = "") -> str | None:
    """The first of ``fields`` missing from ``event`` (`` lacks x``) or of the wrong kind (``: x is …``)."""
    for name, check in fields.items():
        if name not in event:
            return f" lacks {prefix}{name}"
        problem = check(event[name])
        if problem is not None:
            return f": {prefix}{name} {problem}"
    return None


_REQUIRED = {kind: {"t": _seconds, **fields} for kind, fields in EVENT_FIELDS.items()}
_UNKNOWN = {"t": _seconds}
_OPTIONAL_BY_KIND = {kind: {**_OPTIONAL[""], **_OPTIONAL.get(kind, {})} for kind in EVENT_FIELDS}


def check_event(event: Any) -> str | None:
    """What is wrong with one parsed log line (``customer_arrived lacks segment``), or None."""
    if not isinstance(event, dict):
        return "not an event (a JSON object with t and event)"
    kind = event.get("event")
    if not isinstance(kind, str):
        return "lacks event" if kind is None else "event is not a string"
    fault = _first_fault(event, _REQUIRED.get(kind, _UNKNOWN))
    if fault is None:
        optional = _OPTIONAL_BY_KIND.get(kind, _OPTIONAL[""])
        fault = _first_fault(event, {name: check for name, check in optional.items() if name in event})
    version = event.get("schema_version", SCHEMA_VERSION) if kind == "run_started" else SCHEMA_VERSION
    if fault is None and version != SCHEMA_VERSION:
        fault = f": schema_version {version} is not {SCHEMA_VERSION}, the one this reader knows"
    if fault is None and kind == "run_finished":
        fault = _segment_fault(event["segments"])
    return None if fault is None else kind + fault


def _segment_fault(segments: Mapping[str, Any]) -> str | None:
    for name, figures in segments.items():
        if not isinstance(figures, dict):
            return f": segments.{name} is not an object"
        fault = _first_fault(figures, _SEGMENT, f"segments.{name}.")
        if fault is not None:
            return fault
    return None
