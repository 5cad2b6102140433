"""Goals such as ``wait_p90 <= 5m`` or ``balked / arrived <= 0.01``, judged with confidence.

A goal is two arithmetic expressions over a run's figures joined by one comparison.
Numbers may carry a time unit (``5m`` is 300 seconds). Across replications a goal is
met only if the whole 95 % confidence interval of (left - right) is on the right side.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ..config.units import UNITS
from .confidence import mean_interval

__all__ = [
    "DEFAULT_MINIMIZE",
    "INTERVAL_FIGURES",
    "MONEY_FIGURES",
    "PERCENTILE",
    "PER_INTERVAL",
    "Expression",
    "Goal",
    "GoalError",
    "Verdict",
    "default_minimize",
    "is_figure",
    "parse_expression",
    "parse_goal",
]

#: What a sweep's cheapest variant has least of unless --minimize names another key:
#: the staffed till-hours (the manager's extra lanes included).
DEFAULT_MINIMIZE = "lane_hours"


def default_minimize(*, costs: bool) -> str:
    """What a sweep minimizes unless told: ``total_cost`` for a scenario with ``costs``
    (staff and lost customers in money), else the staffed till-hours."""
    return "total_cost" if costs else DEFAULT_MINIMIZE


#: ``wait_pNN``: the NN-th percentile of the waits of served customers, for any whole NN from
#: 1 to 99 (read off the run's wait sketch when a goal names it; p50, p90 and p99 are logged).
PERCENTILE = re.compile(r"wait_p([1-9][0-9]?)")
_PERCENTILE_HINT = "wait_pNN for NN from 1 to 99"
#: ``min_interval(service_level)``: the worst (or best) interval's figure, for a scenario with
#: ``intervals``; the figures an interval has (:mod:`checkout_sim.observe.intervals`).
PER_INTERVAL = re.compile(r"(min|max)_interval\((\w+)\)")
INTERVAL_FIGURES = (
    "arrived",
    "served",
    "balked",
    "reneged",
    "unserved",
    "wait_mean",
    "wait_p90",
    "service_level",
    "tills",
    "lane_hours",
    "utilisation",
    "queue_length_max",
    "staff_cost",
    "lost_cost",
    "lost_sales",
    "revenue",
    "total_cost",
)
#: The money figures, of a scenario with ``costs`` (see :mod:`checkout_sim.observe.money`).
MONEY_FIGURES = ("staff_cost", "lost_cost", "lost_sales", "revenue", "total_cost")
_INTERVAL_HINT = "min_interval(FIGURE) and max_interval(FIGURE) with intervals"

Figures = Mapping[str, float | None]
_Expression = Callable[[Figures], float | None]

_TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)(?P<unit>ms|min|sec|hr|s|m|h|d)?(?![A-Za-z_])"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*(?:\[[^\]]+\])?)"
    r"|(?P<op><=|>=|<|>|[-+*/()])"
    r")"
)
_COMPARATORS = ("<=", ">=", "<", ">")
_COMPARISONS = "<=, <, >= and >"
#: How an unreadable rest starts when someone wrote a comparison the goals lack (=, ==, !=, ≤).
_LOOKS_LIKE_A_COMPARISON = "=!≤≥≠"
#: A number and a word: ``2 min`` (a space before the unit), ``2minutes`` or ``2 minutes`` (a long name).
_NUMBER_AND_WORD = re.compile(
    r"((?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)(\s*)([A-Za-z]+)(?![A-Za-z0-9_.\[])"
)
#: Names people write for the units, and the unit a goal takes for each.
_UNIT_WORDS = {
    **{unit: unit for unit in UNITS},
    **dict.fromkeys(("msec", "msecs", "millisecond", "milliseconds"), "ms"),
    **dict.fromkeys(("secs", "second", "seconds"), "s"),
    **dict.fromkeys(("mins", "minute", "minutes"), "min"),
    **dict.fromkeys(("hrs", "hour", "hours"), "h"),
    **dict.fromkeys(("day", "days"), "d"),
}


class GoalError(ValueError):
    """A goal that cannot be read; the message says where."""


@dataclass(frozen=True)
class Verdict:
    """A goal judged across replications: the left side's mean, the interval, and the answer."""

    mean: float | None
    half_width: float | None
    meets: bool


@dataclass(frozen=True)
class Goal:
    """One goal: ``left comparator right``, both sides expressions over a run's figures."""

    text: str
    left: _Expression
    comparator: str
    right: _Expression
    #: The figures the goal names (so that a run works out only those it lacks, such as ``wait_p80``).
    names: frozenset[str] = frozenset()

    def margins(self, figures: Figures) -> tuple[float | None, float | None]:
        """(left value, left - right) for one run; None where a figure is undefined."""
        left, right = self.left(figures), self.right(figures)
        if left is None or right is None:
            return left, None
        return left, left - right

    def judge(self, runs: Sequence[Figures]) -> Verdict:
        """Met only if the 95 % interval of (left - right) lies wholly on the goal's side."""
        pairs = [self.margins(figures) for figures in runs]
        lefts = [left for left, _ in pairs]
        margins = [margin for _, margin in pairs]
        if any(margin is None for margin in margins) or any(left is None for left in lefts):
            return Verdict(None, None, meets=False)
        mean, half = mean_interval([m for m in margins if m is not None], 0.95)
        left_mean = math.fsum(left for left in lefts if left is not None) / len(lefts)
        half = half if math.isfinite(half) else 0.0
        meets = {
            "<=": mean + half <= 0,
            "<": mean + half < 0,
            ">=": mean - half >= 0,
            ">": mean - half > 0,
        }[self.comparator]
        return Verdict(left_mean, half, meets)


def parse_goal(text: str, known: Sequence[str]) -> Goal:
    """Read ``text`` as a goal over the figure names in ``known``."""
    tokens = _tokenize(text)
    comparators = [
        index for index, (kind, value) in enumerate(tokens) if kind == "op" and value in _COMPARATORS
    ]
    if len(comparators) != 1:
        raise GoalError(f"goal {text!r}: expected one of <=, <, >=, > exactly once")
    at = comparators[0]
    names: set[str] = set()
    left = _Parser(tokens[:at], text, known, names).parse()
    right = _Parser(tokens[at + 1 :], text, known, names).parse()
    return Goal(text, left, tokens[at][1], right, frozenset(names))


@dataclass(frozen=True)
class Expression:
    """An arithmetic expression over a run's figures (``--minimize 'total_cost + 10 * reneged'``)."""

    text: str
    value: _Expression
    names: frozenset[str]


def parse_expression(text: str, known: Sequence[str], what: str = "--minimize") -> Expression:
    """Read ``text`` as an expression over the figure names in ``known``; errors name ``what``."""
    names: set[str] = set()
    try:
        value = _Parser(_tokenize(text), text, known, names).parse()
    except GoalError as error:
        raise GoalError(str(error).replace(f"goal {text!r}", f"{what} {text!r}", 1)) from None
    return Expression(text, value, frozenset(names))


def is_figure(name: str, known: Sequence[str]) -> bool:
    """``name`` is one of ``known``, or a percentile of the waits (``wait_p80``)."""
    return name in known or PERCENTILE.fullmatch(name) is not None


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            rest = text[position:].strip()
            hint = f" (the comparisons are {_COMPARISONS})" if rest[:1] in _LOOKS_LIKE_A_COMPARISON else ""
            raise GoalError(f"goal {text!r}: cannot read {rest!r}{hint or _unit_hint(rest)}")
        if match["number"] is not None and match["unit"] is None:
            _refuse_a_loose_unit(text, match.start("number"))
        position = match.end()
        if match["number"] is not None:
            scale = UNITS[match["unit"]] if match["unit"] else 1.0
            tokens.append(("number", repr(float(match["number"]) * scale)))
        elif match["name"] is not None:
            tokens.append(("name", match["name"]))
        else:
            tokens.append(("op", match["op"]))
    return tokens


def _refuse_a_loose_unit(text: str, start: int) -> None:
    """``2 min`` or ``2 minutes`` where ``2min`` was meant: a number followed by a unit's name
    can only be that (no figure is named after a unit), so say how to write it."""
    found = _NUMBER_AND_WORD.match(text, start)
    if found is None or found[3] not in _UNIT_WORDS:
        return
    number, space, word = found[1], found[2], found[3]
    how = f"{number}{_UNIT_WORDS[word]}"
    if space and word in UNITS:
        how += ", without a space"
    raise GoalError(f"goal {text!r}: cannot read {found[0]!r} (write {how})")


def _unit_hint(rest: str) -> str:
    """For ``2minutes`` or ``2fortnights``: how to write the time, or which units there are."""
    found = _NUMBER_AND_WORD.match(rest)
    if found is None:
        return ""
    unit = _UNIT_WORDS.get(found[3])
    if unit is not None:
        return f" (write {found[1]}{unit})"
    return f" (units: {', '.join(UNITS)})"


class _Parser:
    """Recursive descent over + - * / and parentheses; builds a function of the figures."""

    def __init__(
        self, tokens: list[tuple[str, str]], text: str, known: Sequence[str], names: set[str]
    ) -> None:
        self._tokens = tokens
        self._at = 0
        self._text = text
        self._known = known
        self._names = names

    def parse(self) -> _Expression:
        if not self._tokens:
            raise GoalError(f"goal {self._text!r}: a side of the comparison is empty")
        expression = self._sum()
        if self._at != len(self._tokens):
            raise GoalError(f"goal {self._text!r}: unexpected {self._tokens[self._at][1]!r}")
        return expression

    def _peek(self) -> str | None:
        return self._tokens[self._at][1] if self._at < len(self._tokens) else None

    def _sum(self) -> _Expression:
        expression = self._product()
        while self._peek() in ("+", "-"):
            operator = self._tokens[self._at][1]
            self._at += 1
            expression = _combine(expression, operator, self._product())
        return expression

    def _product(self) -> _Expression:
        expression = self._factor()
        while self._peek() in ("*", "/"):
            operator = self._tokens[self._at][1]
            self._at += 1
            expression = _combine(expression, operator, self._factor())
        return expression

    def _factor(self) -> _Expression:
        if self._at >= len(self._tokens):
            raise GoalError(f"goal {self._text!r}: ends too early")
        kind, value = self._tokens[self._at]
        self._at += 1
        if kind == "number":
            number = float(value)
            return lambda figures: number
        if kind == "name":
            if value in ("min_interval", "max_interval") and self._peek() == "(":
                value = self._per_interval(value)
            elif not is_figure(value, self._known):
                listed = [name for name in self._known if PER_INTERVAL.fullmatch(name) is None]
                known = ", ".join([*listed, _PERCENTILE_HINT, _INTERVAL_HINT])
                raise GoalError(f"goal {self._text!r}: unknown figure {value!r} (known: {known})")
            self._names.add(value)
            return lambda figures: figures.get(value)
        if value == "-":
            inner = self._factor()
            return lambda figures: None if (x := inner(figures)) is None else -x
        if value == "(":
            inner = self._sum()
            if self._peek() != ")":
                raise GoalError(f"goal {self._text!r}: missing ')'")
            self._at += 1
            return inner
        raise GoalError(f"goal {self._text!r}: unexpected {value!r}")

    def _per_interval(self, function: str) -> str:
        """``min_interval(service_level)``: the worst interval's figure, by the name a run's figures use."""
        inner = self._tokens[self._at + 1 : self._at + 3]
        if len(inner) < 2 or inner[0][0] != "name" or inner[1] != ("op", ")"):
            raise GoalError(f"goal {self._text!r}: write {function}(FIGURE), one figure of an interval")
        figure = inner[0][1]
        if figure not in INTERVAL_FIGURES:
            raise GoalError(
                f"goal {self._text!r}: {function}({figure}): an interval has no figure {figure!r} "
                f"(it has: {', '.join(INTERVAL_FIGURES)})"
            )
        name = f"{function}({figure})"
        if name not in self._known:
            raise GoalError(
                f"goal {self._text!r}: {function}() needs intervals in the scenario (intervals: 1h)"
            )
        self._at += 3
        return name


def _combine(left: _Expression, operator: str, right: _Expression) -> _Expression:
    def apply(figures: Figures) -> float | None:
        a, b = left(figures), right(figures)
        if a is None or b is None:
            return None
        if operator == "+":
            return a + b
        if operator == "-":
            return a - b
        if operator == "*":
            return a * b
        return a / b if b != 0 else None

    return apply
