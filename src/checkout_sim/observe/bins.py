"""Time bins: figures added up per stretch of time, the one place a run's time is cut up.

Three readers cut a run into stretches of time: the batch means (:mod:`.batches`,
equal stretches after the warm-up), the report's time series
(:mod:`checkout_sim.analysis.report_data`, bins that start a millisecond wide and
double as the run goes on) and, next, the figures per interval of the day. Each holds
a :class:`Bins` and adds to it; none cuts time itself, so a busy stretch that crosses a
boundary, an event just past the end, or two neighbours merged are handled once, here.

A :class:`Bins` has a fixed number of equal bins over ``[start, end)`` and a column of
numbers per figure, each with a :class:`Rule` that says what an empty bin holds and how
two neighbouring bins merge (added, the lesser, the greater). Two kinds of figure go in:

- a point event (someone arrived, was served, waited so long): :meth:`Bins.at` names
  the bin holding its time, :meth:`Bins.add` adds to it;
- a quantity held over a span of time (tills open, a till busy, people waiting):
  :meth:`Bins.overlaps` splits the span over the bins it covers, :meth:`Bins.spread`
  adds level × overlap to each, so a bin holds the time-weighted area.

What falls outside ``[start, end)`` is left out (the batches start after the warm-up
and stop at the duration). :class:`Doubling` is the other policy, by composition: a
:class:`Bins` from ``start`` whose bins double in width (neighbours merged, the upper
half emptied) whenever time runs past the end, for a run whose length is not known
ahead; nothing is ever left out, and memory stays fixed.

A bin's bounds are ``start + index × width`` wherever they are needed, as the batches
and the report computed them before they shared this module, so their figures are the
same floats to the last bit.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from math import floor
from typing import Any, NamedTuple

__all__ = ["COUNT", "LEAST", "MOST", "SUM", "Bins", "Doubling", "Rule"]


class Rule(NamedTuple):
    """How one column behaves: what an empty bin holds, and how two neighbours merge into one."""

    empty: Any
    merge: Callable[[Any, Any], Any]


#: Seconds, areas, sums of waits: added, from 0.0.
SUM = Rule(0.0, operator.add)
#: Whole counts of events: added, from 0 (they stay ints).
COUNT = Rule(0, operator.add)
#: The least value seen in a bin (infinity while none).
LEAST = Rule(math.inf, min)
#: The greatest value seen in a bin (minus infinity while none).
MOST = Rule(-math.inf, max)


class Bins:
    """``count`` equal bins of ``width`` seconds from ``start``, with a column per figure.

    ``columns`` names each column and its :class:`Rule`; :attr:`columns` holds each
    as a list with one value per bin. The lists are changed in place only (also when
    bins merge), so a caller may keep a column and index it on its own fast path.
    """

    __slots__ = ("columns", "count", "end", "rules", "start", "width")

    def __init__(self, start: float, width: float, count: int, columns: Mapping[str, Rule]) -> None:
        if not width > 0 or count < 1:
            raise ValueError(f"bins need a positive width and count (got {width!r} and {count!r})")
        self.start = start
        self.width = width
        self.count = count
        self.end = start + count * width
        self.rules = dict(columns)
        self.columns: dict[str, list[Any]] = {name: [rule.empty] * count for name, rule in columns.items()}

    # --- where things fall -------------------------------------------------------

    def at(self, t: float) -> int | None:
        """The number of the bin holding time ``t``, or None when ``t`` is outside the bins."""
        try:
            index = floor((t - self.start) / self.width)
        except OverflowError:  # infinitely many bins away
            return None
        return index if 0 <= index < self.count else None

    def overlaps(self, start: float, end: float) -> Sequence[tuple[int, float]]:
        """Each bin the span [start, end) covers, and by how much (parts outside the bins are cut)."""
        origin, width, count = self.start, self.width, self.count
        try:
            first = floor((start - origin) / width)
            last = floor((end - origin) / width)
        except OverflowError:  # a bound infinitely many bins away
            first, last = self._number(start), self._number(end)
        if first < 0:  # noqa: PLR1730 - cheaper than max() on a customer's path
            first = 0
        if last >= count:
            last = count - 1
        if first == last:  # the common case, on a customer's path: within one bin
            low = origin + first * width
            high = low + width
            overlap = (end if end < high else high) - (start if start > low else low)
            return ((first, overlap),) if overlap > 0 else ()
        found = []
        for index in range(first, last + 1):
            low = origin + index * width
            high = low + width
            overlap = (end if end < high else high) - (start if start > low else low)
            if overlap > 0:
                found.append((index, overlap))
        return found

    def _number(self, t: float) -> int:
        """The number of the bin holding ``t``, -1 before the bins and ``count`` after them."""
        if t < self.start:
            return -1
        if t >= self.end:
            return self.count
        return min(self.count - 1, floor((t - self.start) / self.width))

    def bounds(self, index: int) -> tuple[float, float]:
        """Where bin ``index`` starts and ends."""
        low = self.start + index * self.width
        return low, low + self.width

    # --- adding ------------------------------------------------------------------

    def add(self, name: str, t: float, value: float = 1) -> None:
        """A point event at ``t``: ``value`` added to column ``name`` of its bin (none outside)."""
        index = self.at(t)
        if index is not None:
            self.columns[name][index] += value

    def spread(self, name: str, start: float, end: float, level: float = 1) -> None:
        """``level`` held from ``start`` to ``end``: level × overlap added to each bin it covers."""
        column = self.columns[name]
        for index, overlap in self.overlaps(start, end):
            column[index] += level * overlap

    # --- merging -----------------------------------------------------------------

    def merged(self) -> Bins:
        """New bins twice as wide: neighbours merged in pairs (an odd last bin is dropped, its
        partner missing: every bin of the result covers the same length of time)."""
        if self.count < 2:
            raise ValueError("one bin has no neighbour to merge with")
        found = Bins(self.start, self.width * 2, self.count // 2, self.rules)
        for name, column in self.columns.items():
            pairs = list(map(self.rules[name].merge, column[0::2], column[1::2]))
            found.columns[name][: len(pairs)] = pairs
        return found

    def double(self) -> None:
        """Twice as wide in place, over twice the time: bins 2k and 2k+1 become bin k (an odd
        last bin alone), the rest start empty. The column lists stay the same objects."""
        for name, column in self.columns.items():
            rule = self.rules[name]
            merged = list(map(rule.merge, column[0::2], column[1::2]))
            if self.count % 2:
                merged.append(column[-1])
            column[:] = merged + [rule.empty] * (self.count - len(merged))
        self.width *= 2
        self.end = self.start + self.count * self.width


class Doubling:
    """Bins from ``start`` that double in width whenever time runs past their end.

    For a run whose length is unknown: it starts fine (``width``) and ends with
    between ``count / 2`` and ``count`` bins in use whatever its length. Time is
    split at the resolution of the moment (:meth:`overlaps`), so a stretch is added to
    the narrow bins it covers before they merge, as it would be were it added as it
    went. Once the bins reach the largest float, the last bin holds everything after.
    """

    __slots__ = ("bins",)

    def __init__(self, start: float, width: float, count: int, columns: Mapping[str, Rule]) -> None:
        self.bins = Bins(start, width, count, columns)

    def locate(self, t: float) -> int:
        """The bin holding time ``t``, doubling the widths first as needed (a time before
        ``start`` falls in the first bin)."""
        bins = self.bins
        if t >= bins.end:
            self._grow(t)
        elif t < bins.start:
            return 0
        index = int((t - bins.start) / bins.width)  # int() is floor() at or after start
        return index if index < bins.count else bins.count - 1

    def _grow(self, t: float) -> None:
        """Double the widths until the bins reach past ``t`` (or the largest float)."""
        bins = self.bins
        while t >= bins.end and bins.end < math.inf:
            bins.double()

    def upper(self, index: int) -> float:
        """Where bin ``index`` ends (at the current width)."""
        bins = self.bins
        return bins.start + (index + 1) * bins.width

    def overlaps(self, start: float, end: float) -> Iterator[tuple[int, float]]:
        """Each bin [start, end) covers and by how much, the bins doubling as it reaches their end."""
        bins = self.bins
        while start < end:
            index = self.locate(start)
            stop = bins.start + (index + 1) * bins.width
            if stop > end or stop <= start:  # the span ends in this bin (or a bound rounded onto start)
                stop = end
            yield index, stop - start
            start = stop

    def add(self, name: str, t: float, value: float = 1) -> None:
        """A point event at ``t``: ``value`` added to column ``name`` of its bin."""
        self.bins.columns[name][self.locate(t)] += value

    def spread(self, name: str, start: float, end: float, level: float = 1) -> None:
        """``level`` held from ``start`` to ``end``: level × overlap added to each bin it covers."""
        column = self.bins.columns[name]
        for index, overlap in self.overlaps(start, end):
            column[index] += level * overlap
