"""Every event of the log and its fields, defined once.

The engine writes events with these names and exactly these fields (a test reads the
engine's source and checks every event it builds against :data:`EVENTS`); the README's
event table lists the same (tested); ``scenario-report`` checks each line it reads
with :func:`check_event`; the tests' log checker takes its types from here.

Every line starts with ``t`` (simulated seconds) and ``event``; with ``--replications``
``run`` follows. A field marked ``only_with`` appears exactly when the scenario uses
that setting. The three events written once per customer are built as dict literals
in the hot path (a call per event would cost about 3 % of a logged run), in the order
given here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple, get_type_hints

if TYPE_CHECKING:
    from ..engine.customers import Customer

__all__ = [
    "EVENTS",
    "EVENT_FIELDS",
    "SCHEMA_VERSION",
    "SEGMENT_FIGURES",
    "Event",
    "Field",
    "check_event",
    "sweep_run",
]

#: Bumped whenever an event or field changes meaning or disappears.
SCHEMA_VERSION = 1


def _count(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return "is not a whole number"
    return "is negative" if value < 0 else None


def _count_or_null(value: Any) -> str | None:
    if value is None:
        return None
    problem = _count(value)
    return "is not a whole number or null" if problem == "is not a whole number" else problem


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


def _text_or_null(value: Any) -> str | None:
    return None if value is None or isinstance(value, str) else "is not a string or null"


def _flag(value: Any) -> str | None:
    return None if isinstance(value, bool) else "is not true or false"


def _mapping(value: Any) -> str | None:
    return None if isinstance(value, dict) else "is not an object"


def _list(value: Any) -> str | None:
    return None if isinstance(value, list) else "is not a list"


Check = Callable[[Any], "str | None"]

#: What each kind of field holds: its JSON type (for readers) and its check.
_KINDS: dict[str, tuple[type, Check]] = {
    "count": (int, _count),
    "seconds": (float, _seconds),
    "seconds or null": (float, _seconds_or_null),
    "number": (float, _seconds),
    "number or null": (float, _seconds_or_null),
    "count or null": (int, _count_or_null),
    "text": (str, _text),
    "text or null": (str, _text_or_null),
    "flag": (bool, _flag),
    "object": (dict, _mapping),
    "list": (list, _list),
}


@dataclass(frozen=True)
class Field:
    """One field of an event: its name, its kind (see :data:`_KINDS`) and a setting it needs."""

    name: str
    kind: str
    only_with: str | None = None  # the scenario setting without which the field is absent

    @property
    def type(self) -> type:
        """The Python type of the field's value once read from JSON (when it is not null)."""
        return _KINDS[self.kind][0]

    @property
    def nullable(self) -> bool:
        return self.kind.endswith("or null")

    def check(self, value: Any) -> str | None:
        """What is wrong with ``value`` for this field, or None."""
        return _KINDS[self.kind][1](value)


@dataclass(frozen=True)
class Event:
    """An event: its name and its fields, in the order they are written."""

    name: str
    fields: tuple[Field, ...]
    only_with: str | None = None  # the setting or option without which the event is not written
    meaning: str = field(default="", compare=False)

    def names(self, *, used: frozenset[str] = frozenset()) -> list[str]:
        """The field names a line has, when the scenario uses the settings ``used``."""
        return [f.name for f in self.fields if f.only_with is None or f.only_with in used]


def _fields(text: str) -> tuple[Field, ...]:
    """``"customer:count segment:text"`` → fields (a third part is the setting it needs)."""
    found = []
    for spec in text.split():
        name, kind, *needs = spec.split(":")
        found.append(Field(name, kind.replace("_", " "), needs[0] if needs else None))
    return tuple(found)


#: The counts and wait figures of a segment (and, first, of the whole run).
SEGMENT_FIGURES = _fields(
    "arrived:count served:count balked:count reneged:count unserved:count waited:count "
    "wait_mean:seconds_or_null wait_sd:seconds_or_null wait_p50:seconds_or_null "
    "wait_p90:seconds_or_null wait_p99:seconds_or_null wait_max:seconds_or_null"
)


class Kind:
    """An event field's kind (see :data:`_KINDS`), the setting it needs, and its name in the log
    when the record cannot use it (``from`` is a Python keyword)."""

    __slots__ = ("kind", "logged_as", "only_with")

    def __init__(self, kind: str, only_with: str | None = None, logged_as: str | None = None) -> None:
        self.kind, self.only_with, self.logged_as = kind, only_with, logged_as


# The kinds of the records' fields. A field not annotated with a Kind (the customer
# object, the group's index) is the engine's, for the observers: it is not written.
Count = Annotated[int, Kind("count")]
CountOrNull = Annotated[int | None, Kind("count or null")]
Seconds = Annotated[float, Kind("seconds")]
Text = Annotated[str, Kind("text")]
Object = Annotated[dict[str, Any], Kind("object")]
#: ``lane``: the group's name, written only in a scenario with lanes.
Lane = Annotated[str | None, Kind("text", "lanes")]
#: ``lane`` that may be null (no line: the customer was in none), with lanes only.
LaneOrNull = Annotated[str | None, Kind("text or null", "lanes")]
#: ``till``: the till whose own line was joined, only where some group has lines per till.
TillOrNull = Annotated[int | None, Kind("count or null", "per_till")]


class RunStarted(NamedTuple):
    """the run begins: the scenario's name, the seed, the clock and the validated scenario"""

    t: float
    scenario: Text
    seed: Count
    clock: Text
    schema_version: Count
    config: Object


class CashierOpened(NamedTuple):
    """a till opens (its number is the same till all run long, unique in the shop)"""

    group: int
    t: float
    lane: Lane
    cashier: Count
    queue_length: Count


class CashierClosed(CashierOpened):
    """a till closes"""


class CustomerArrived(NamedTuple):
    """a customer comes in; queue_length is the line before they join
    (till: the till whose own line they joined)"""

    who: Customer
    group: int | None
    t: float
    customer: Count
    segment: Text
    items: Count
    lane: LaneOrNull
    till: TillOrNull
    queue_length: Count


class CustomerAdmitted(NamedTuple):
    """a customer held at the door gets a place in a line"""

    who: Customer
    group: int
    t: float
    customer: Count
    lane: Annotated[str | None, Kind("text")]
    till: TillOrNull
    queue_length: Count


class CustomerJockeyed(NamedTuple):
    """the last in the line at till from moves to the end of the line at till to
    (in group lane), where queue_length were waiting"""

    who: Customer
    group: int
    t: float
    customer: Count
    from_: Annotated[int | None, Kind("count", logged_as="from")]
    to: Annotated[int | None, Kind("count")]
    lane: Annotated[str | None, Kind("text")]
    queue_length: Count


class CustomerBalked(NamedTuple):
    """the line was full: the customer left at once"""

    who: Customer
    t: float
    customer: Count
    queue_length: Count


class CheckoutStarted(NamedTuple):
    """a customer reaches a till after waiting"""

    who: Customer
    group: int
    t: float
    customer: Count
    lane: Lane
    cashier: Count
    wait: Seconds


class ItemScanned(NamedTuple):
    """one item scanned"""

    who: Customer
    group: int
    t: float
    customer: Count
    lane: Lane
    cashier: Count
    product: Text
    scan: Seconds


class AssistRequested(NamedTuple):
    """a customer at a kiosk needs an attendant"""

    who: Customer
    group: int
    t: float
    customer: Count
    lane: Annotated[str | None, Kind("text")]
    cashier: Count


class AssistStarted(NamedTuple):
    """an attendant arrives, after wait"""

    who: Customer
    group: int
    t: float
    customer: Count
    lane: Annotated[str | None, Kind("text")]
    cashier: Count
    attendant: Count
    wait: Seconds


class AssistFinished(NamedTuple):
    """the attendant leaves, after helping for assist seconds"""

    who: Customer
    group: int
    t: float
    customer: Count
    lane: Annotated[str | None, Kind("text")]
    cashier: Count
    attendant: Count
    assist: Seconds
    #: How long the customer waited for the attendant (for the group's figures; not written).
    waited: float


class CheckoutFinished(NamedTuple):
    """a customer leaves the till, served"""

    who: Customer
    group: int
    t: float
    customer: Count
    lane: Lane
    cashier: Count
    service: Seconds
    items: Count


class CustomerReneged(NamedTuple):
    """patience ran out"""

    who: Customer
    group: int | None
    t: float
    customer: Count
    lane: LaneOrNull
    wait: Seconds


class CustomerUnserved(CustomerReneged):
    """still waiting when the shop closed, or when the run was interrupted"""


class WarmupEnded(NamedTuple):
    """the warm-up is over: figures count the customers after last_customer"""

    #: For each group, the start times of its checkouts under way (their time from now
    #: on counts as busy); not written.
    in_service: tuple[tuple[float, ...], ...]
    t: float
    last_customer: Count
    queue_length: Count


class IntervalFinished(NamedTuple):
    """an interval of the day is over and every customer who arrived in it has left: its figures"""

    t: float
    #: The interval's figures (see :mod:`.intervals`): written as the line's fields.
    figures: dict[str, Any]


class RunFinished(NamedTuple):
    """the run's summary"""

    t: float
    #: :meth:`.summary.Summary.to_dict`: written as the line's fields (listed in :data:`EVENTS`).
    summary: dict[str, Any]


#: Every event's record, in the order of the README's table.
RECORDS: tuple[type[NamedTuple], ...] = (
    RunStarted,
    CashierOpened,
    CashierClosed,
    CustomerArrived,
    CustomerAdmitted,
    CustomerJockeyed,
    CustomerBalked,
    CheckoutStarted,
    ItemScanned,
    AssistRequested,
    AssistStarted,
    AssistFinished,
    CheckoutFinished,
    CustomerReneged,
    CustomerUnserved,
    WarmupEnded,
    IntervalFinished,
    RunFinished,
)


#: The events written only when the run uses a setting or option (the others always may be).
ONLY_WITH: dict[type[NamedTuple], str] = {
    CustomerAdmitted: "lanes",
    CustomerJockeyed: "jockey",
    ItemScanned: "--items",
    AssistRequested: "assist",
    AssistStarted: "assist",
    AssistFinished: "assist",
    WarmupEnded: "warmup",
    IntervalFinished: "intervals",
}


def event_name(record: type[Any]) -> str:
    """``CheckoutFinished`` -> ``checkout_finished``: the event a record class is."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", record.__name__).lower()


def written(record: type[Any]) -> tuple[tuple[str, str, Kind], ...]:
    """A record's written fields after ``t``: (attribute, name in the log, kind), in order.

    Read once per record class (the table at import, each run's log writer after).
    """
    found = _WRITTEN.get(record)
    if found is None:
        found = _WRITTEN[record] = _read_written(record)
    return found


#: :func:`written`, by record class.
_WRITTEN: dict[type[Any], tuple[tuple[str, str, Kind], ...]] = {}


def _read_written(record: type[Any]) -> tuple[tuple[str, str, Kind], ...]:
    hints = get_type_hints(record, include_extras=True, localns={"Customer": object})
    found = []
    for attribute, hint in hints.items():
        kind = next((meta for meta in getattr(hint, "__metadata__", ()) if isinstance(meta, Kind)), None)
        if kind is not None:
            found.append((attribute, kind.logged_as or attribute, kind))
    return tuple(found)


def _event(record: type[Any]) -> Event:
    return Event(
        event_name(record),
        tuple(Field(name, kind.kind, kind.only_with) for _, name, kind in written(record)),
        only_with=ONLY_WITH.get(record),
        meaning=" ".join((record.__doc__ or "").split()),
    )


#: The money figures of a scenario with ``costs``, in a summary and an interval's line.
_MONEY_FIELDS = (
    "staff_cost:number:costs lost_cost:number:costs lost_sales:number_or_null:costs "
    "revenue:number_or_null:costs total_cost:number:costs"
)

#: Every event, by name: each record's written fields; ``run_finished``'s are the summary's.
EVENTS: dict[str, Event] = {
    event.name: event
    for event in (
        *(_event(record) for record in RECORDS if record not in (IntervalFinished, RunFinished)),
        Event(
            "interval_finished",
            (
                *_fields(
                    "start:seconds end:seconds arrived:count served:count balked:count reneged:count "
                    "unserved:count wait_mean:seconds_or_null wait_p90:seconds_or_null "
                    "service_level:number_or_null:service_level tills:number lane_hours:number "
                    "utilisation:number_or_null queue_length_max:count "
                    f"{_MONEY_FIELDS} lanes:object:lanes"
                ),
            ),
            only_with="intervals",
            meaning=(IntervalFinished.__doc__ or "").strip(),
        ),
        Event(
            "run_finished",
            (
                *SEGMENT_FIGURES,
                *_fields(
                    "service_level:number_or_null:service_level "
                    "queue_length_mean:number queue_length_max:count waiting_mean:number "
                    "wait_mean_all:seconds_or_null utilisation:number_or_null "
                    "throughput_per_hour:number_or_null lanes_max:count lane_hours:number "
                    "elapsed:seconds seed:count interrupted:flag segments:object "
                    "warmup:seconds:warmup realtime_lag_max:seconds:realtime lanes:object:lanes "
                    f"jockeyed:count:jockey intervals:list:intervals {_MONEY_FIELDS}"
                ),
            ),
            meaning=(RunFinished.__doc__ or "").strip(),
        ),
    )
}

#: Every event's fields and their Python types (a field of a setting not used is absent).
EVENT_FIELDS: dict[str, dict[str, type]] = {
    name: {f.name: f.type for f in event.fields} for name, event in EVENTS.items()
}

#: Fields whose absence ``check_event`` forgives: what the report has a fallback for.
_LENIENT = {
    "run_started": {"scenario", "seed", "clock", "schema_version", "config"},
    "run_finished": {"lane_hours"},
}
#: Ids that tie an event to others, checked after the event's own figures.
_IDS = ("customer", "cashier")


def _checks(event: Event) -> tuple[dict[str, Check], dict[str, Check]]:
    """(required, checked only when present) fields of an event, ids last."""
    ordered = sorted(event.fields, key=lambda f: f.name in _IDS)
    required: dict[str, Check] = {"t": _seconds}
    optional: dict[str, Check] = {"run": _count}
    for f in ordered:
        if f.only_with is None and f.name not in _LENIENT.get(event.name, ()):
            required[f.name] = f.check
        else:
            optional[f.name] = f.check
    return required, optional


_CHECKS = {name: _checks(event) for name, event in EVENTS.items()}
_UNKNOWN: tuple[dict[str, Check], dict[str, Check]] = ({"t": _seconds}, {"run": _count})
_SEGMENT_CHECKS = {f.name: f.check for f in SEGMENT_FIGURES}


def _first_fault(event: Mapping[str, Any], fields: Mapping[str, Check], prefix: str = "") -> str | None:
    """The first of ``fields`` missing from ``event`` (`` lacks x``) or of the wrong kind (``: x is …``)."""
    for name, check in fields.items():
        if name not in event:
            return f" lacks {prefix}{name}"
        problem = check(event[name])
        if problem is not None:
            return f": {prefix}{name} {problem}"
    return None


def check_event(event: Any) -> str | None:
    """What is wrong with one parsed log line (``customer_arrived lacks segment``), or None.

    Events this version does not know are let through (a later one may add some).
    """
    if not isinstance(event, dict):
        return "not an event (a JSON object with t and event)"
    kind = event.get("event")
    if not isinstance(kind, str):
        return "lacks event" if kind is None else "event is not a string"
    required, optional = _CHECKS.get(kind, _UNKNOWN)
    fault = _first_fault(event, required)
    if fault is None:
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
        fault = _first_fault(figures, _SEGMENT_CHECKS, f"segments.{name}.")
        if fault is not None:
            return fault
    return None


def sweep_run(
    t: float, variant: int, settings: Mapping[str, Any], run: int, summary: Mapping[str, Any]
) -> dict[str, Any]:
    """A sweep's line for one run: ``run_finished`` with the variant, its settings and the run number."""
    return {
        "t": t,
        "event": "run_finished",
        "variant": variant,
        "settings": dict(settings),
        "run": run,
        **summary,
    }
