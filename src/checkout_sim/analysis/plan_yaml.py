"""The plan's rosters as YAML: to paste (``--plan``) or written into a copy of the scenario (``--plan-into``).

A plan is only useful once it is back in a scenario file, where the shop can run it, sweep
it and keep it. Two ways get it there:

* :func:`roster_yaml`: each planned group's ``roster`` as a small YAML document, for the
  user to paste over the group's ``count`` or ``roster``;
* :func:`planned_copy`: the scenario file's own text with each planned group's ``count:``
  or ``roster:`` replaced by its new roster, everything else (comments, order, quoting,
  line endings) kept byte for byte, so the copy reads as the file the user wrote.

The copy is made by editing text, not by dumping data (which would lose every comment and
the author's layout): PyYAML's node tree gives where each key and value starts and ends,
and only the span from the ``count``/``roster`` key to the end of its value is replaced.
Before it is returned, the copy is read back and must be the original with only those
rosters changed; a file this cannot edit safely (a count shared through an anchor or a
merge key) is a :class:`~.planning.PlanError` naming why, never a damaged copy.

Moments are written as the scenario's other moments are: a time of day (``"08:15"``) where
the scenario has ``opens_at``, else the time since opening (``1h15m``, ``0s`` at opening),
each reading back as exactly the seconds the plan gave.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import yaml
from pydantic_core import PydanticCustomError

from ..config.base import one_line
from ..config.scenario import Scenario
from ..config.staffing import Shift
from ..config.times import clock_text
from ..config.units import parse_clock_time
from .planning import PlanError, PlannedGroup

__all__ = ["moved_copy", "planned_copy", "roster_yaml"]

#: A time of day is written only before midnight: a later one (a shop open past it) has no
#: clock time a scenario can read, so such a roster is written in time since opening.
DAY = 86400.0
#: Names written unquoted: a word or words of letters, digits, ``_`` and ``-``, not one YAML
#: reads as something else (``yes``, ``null``) in any version.
_PLAIN_NAME = re.compile(r"[^\W\d][\w-]*(?: [\w-]+)*")
_YAML_WORDS = frozenset({"true", "false", "null", "yes", "no", "on", "off", "y", "n"})
_MERGE = "tag:yaml.org,2002:merge"
#: The keys a group's staffing is given by; the plan's roster replaces either.
_STAFFING_KEYS = ("count", "roster")


def roster_yaml(scenario: Scenario, groups: Sequence[PlannedGroup], rosters: Sequence[list[Shift]]) -> str:
    """Each planned group's roster as YAML to paste into the scenario, one entry per line.

    Shaped as the scenario's own keys (``lanes:`` with each group's ``name``, or
    ``cashiers:``), so what to paste where is plain; groups the plan left alone are not
    listed. ``rosters`` go with ``groups`` (:func:`.planning.roster_of` makes them).
    """
    opening = _clock_opening(scenario.opening_seconds(), rosters)
    lines = [
        f"# the plan's rosters for {one_line(scenario.name)}: paste each over its group's count or roster"
    ]
    if [group.key for group in groups] == ["cashiers"]:
        lines.append("cashiers:")
        lines.extend(_block(rosters[0], opening, "  "))
        return "\n".join(lines) + "\n"
    lines.append("lanes:")
    for group, roster in zip(groups, rosters, strict=True):
        if group.key == "cashiers":
            raise ValueError("the cashiers group is the scenario's only group")
        lines.append(f"  - name: {_name(group.name)}")
        lines.extend(_block(roster, opening, "    "))
    return "\n".join(lines) + "\n"


def planned_copy(
    text: str,
    source: str,
    groups: Sequence[PlannedGroup],
    rosters: Sequence[list[Shift]],
    opens: str | None,
) -> str:
    """``text`` (the scenario file ``source``) with each planned group's ``count`` or ``roster``
    replaced by its roster from ``rosters``, and nothing else changed.

    ``opens``: the ``opens_at`` the plan was made with (None: none). The roster is written in
    times of day only where the file's own ``opens_at`` reads as the same time, since the copy
    keeps the file's: with one given by ``--set`` alone, a time of day would not read back,
    or would read against another opening; the time since opening reads the same under any.

    In a block mapping the roster is written as a block list under ``roster:`` (as the
    shipped scenarios write one), a comment that followed the old value staying on the key's
    line; in a flow mapping (``- {name: express, count: 2}``) it is a flow list in place.
    Comments inside an old block roster go with it. A :class:`~.planning.PlanError` when the
    file cannot be edited so (its count comes through a merge key or an alias) or the copy
    would not read back as the file with only the rosters changed.
    """
    root = _compose(text, source)
    opening = _clock_opening(_own_opening(root, opens), rosters)
    shared = _references(root)
    edits: list[tuple[int, int, str]] = []
    written: list[list[tuple[str, int]]] = []
    for group, roster in zip(groups, rosters, strict=True):
        entries = [(_moment(shift.start, opening), shift.open) for shift in roster]
        written.append(entries)
        node = _group_node(root, group, source)
        key, value = _staffing(node, group, source)
        if shared[id(node)] > 1 or shared[id(value)] > 1 or value.start_mark.index < key.end_mark.index:
            raise _cannot(
                source,
                f"{group.key} is shared through an anchor (& and *); write its count or roster in the group",
            )
        edits.append(_edit(text, node, key, value, entries))
    edits.sort()
    for (_, end, _), (start, _, _) in itertools.pairwise(edits):
        if start < end:
            raise _cannot(source, "two groups' counts overlap in the file")
    copy = text
    for start, end, replacement in reversed(edits):
        copy = copy[:start] + replacement + copy[end:]
    _check(text, copy, source, groups, written)
    return copy


# Moments


def _clock_opening(opening: float | None, rosters: Sequence[list[Shift]]) -> float | None:
    """The opening (seconds since midnight) to write times of day against, or None for times
    since opening: None too where some moment would not be a time of day read back exactly
    (past midnight, or not on a whole second), so that a roster never mixes the two."""
    if opening is None or not opening.is_integer():
        return None
    for roster in rosters:
        for shift in roster:
            if not float(shift.start).is_integer() or opening + shift.start >= DAY:
                return None
    return opening


def _moment(seconds: float, opening: float | None) -> str:
    """A roster's ``from`` as read back: ``08:15`` against ``opening``, else ``1h15m``."""
    return clock_text(opening + seconds) if opening is not None else _duration(seconds)


def _duration(seconds: float) -> str:
    """A time since opening as a scenario writes one: ``0s``, ``15m``, ``1h30m``, ``26h5m10s``;
    a moment off the whole second in seconds (``12.5s``), written so that it reads back the
    same float."""
    if not float(seconds).is_integer():
        return f"{float(seconds)!r}s"
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "") + (f"{secs}s" if secs else "")
    return text or "0s"


def _entry(moment: str, open_: int) -> str:
    """``{from: "08:15", open: 2}``: a time of day quoted (YAML 1.1 would read ``08:15`` as a number)."""
    shown = f'"{moment}"' if ":" in moment else moment
    return f"{{from: {shown}, open: {open_}}}"


def _block(roster: Sequence[Shift], opening: float | None, indent: str) -> list[str]:
    return [f"{indent}roster:"] + [
        f"{indent}  - {_entry(_moment(shift.start, opening), shift.open)}" for shift in roster
    ]


def _name(name: str) -> str:
    """A group's name, quoted where YAML would read it as anything but that string."""
    if _PLAIN_NAME.fullmatch(name) and name.lower() not in _YAML_WORDS:
        return name
    return yaml.safe_dump(name, default_style='"', allow_unicode=True, width=1 << 30).strip()


# The file's nodes


def moved_copy(text: str, source: str, target: str) -> str:
    """``text`` (read from ``source``) as it must read from ``target``: an arrivals ``file``
    is relative to the scenario's folder, so a copy in another folder names the same file
    by the path from there (``--plan-into plans/saturday.yaml`` still finds the footfall
    export). Unchanged where the folders are the same, or the path is absolute."""
    here = os.path.dirname(os.path.abspath(source))
    there = os.path.dirname(os.path.abspath(target))
    if here == there:
        return text
    root = _compose(text, source)
    arrivals = _get(root, "arrivals")
    if arrivals is None or not isinstance(arrivals[1], yaml.MappingNode):
        return text
    found = _get(arrivals[1], "file")
    if found is None or not isinstance(found[1], yaml.ScalarNode) or os.path.isabs(found[1].value):
        return text
    value = found[1]
    path = os.path.relpath(os.path.join(here, value.value), there)
    return text[: value.start_mark.index] + json.dumps(path) + text[value.end_mark.index :]


def _compose(text: str, source: str) -> yaml.MappingNode:
    """The file's node tree, read by PyYAML's own parser: its marks count characters of the
    text (libyaml's count bytes), so they index ``text`` directly."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        raise _cannot(source, f"it does not read as YAML ({_first_line(error)})") from None
    if not isinstance(root, yaml.MappingNode):
        raise _cannot(source, "it is not a mapping of keys")
    return root


def _get(node: yaml.MappingNode, name: str) -> tuple[yaml.Node, yaml.Node] | None:
    """The key and value of the mapping's own key ``name`` (not one a merge key brings)."""
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.tag != _MERGE and key.value == name:
            return key, value
    return None


def _own_opening(root: yaml.MappingNode, opens: str | None) -> float | None:
    """``opens`` in seconds since midnight if the file's own ``opens_at`` reads as the same time."""
    if opens is None:
        return None
    found = _get(root, "opens_at")
    if found is None or not isinstance(found[1], yaml.ScalarNode):
        return None
    try:
        own, given = parse_clock_time(found[1].value), parse_clock_time(opens)
    except PydanticCustomError:
        return None
    return own if own == given else None


def _references(root: yaml.Node) -> Counter[int]:
    """How often each node is reached from the root: more than once when an alias names it."""
    seen: Counter[int] = Counter()
    stack = [root]
    while stack:
        node = stack.pop()
        seen[id(node)] += 1
        if seen[id(node)] > 1:
            continue
        if isinstance(node, yaml.MappingNode):
            stack.extend(part for pair in node.value for part in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return seen


def _group_node(root: yaml.MappingNode, group: PlannedGroup, source: str) -> yaml.MappingNode:
    """The mapping of ``cashiers`` or of item N of ``lanes``."""
    top, _, index = group.key.partition(".")
    found = _get(root, top)
    node = found[1] if found is not None else None
    if index:
        items = node.value if isinstance(node, yaml.SequenceNode) else []
        node = items[int(index)] if int(index) < len(items) else None
    if not isinstance(node, yaml.MappingNode):
        raise _cannot(source, f"it has no mapping at {group.key} (for {group.name})")
    return node


def _staffing(node: yaml.MappingNode, group: PlannedGroup, source: str) -> tuple[yaml.Node, yaml.Node]:
    """The group's own ``count`` or ``roster``: key and value."""
    found = [pair for name in _STAFFING_KEYS if (pair := _get(node, name)) is not None]
    if len(found) != 1:
        why = "both count and roster" if found else "no count or roster of its own (a merge key gives it?)"
        raise _cannot(source, f"{group.key} has {why}")
    return found[0]


def _content_end(node: yaml.Node) -> int:
    """Where a value's text ends. A block list or mapping's own end mark lies at the next
    token, past trailing comments and the next key's indent: its last value's end is used."""
    if not isinstance(node, yaml.CollectionNode) or node.flow_style is True or not node.value:
        return int(node.end_mark.index)
    if isinstance(node, yaml.MappingNode):
        key, value = node.value[-1]
        return max(int(key.end_mark.index), _content_end(value))
    return _content_end(node.value[-1])


def _edit(
    text: str, node: yaml.MappingNode, key: yaml.Node, value: yaml.Node, entries: Sequence[tuple[str, int]]
) -> tuple[int, int, str]:
    """The span of ``count: N`` or ``roster: ...`` in ``text`` and the roster that replaces it.

    In a block mapping the roster is a block list under ``roster:``, and the comment that
    belonged to the key stays on its line: the one after a value on the key's line
    (``count: 3  # weekdays``), or the one after the key whose value starts below it. The
    comments inside an old block roster (after its last entry too) go with its entries.
    """
    start = int(key.start_mark.index)
    end = max(int(key.end_mark.index), _content_end(value))
    while end > key.end_mark.index and text[end - 1] in " \t\r\n":
        end -= 1  # a block scalar's value ends past its line breaks: keep them
    flow = "roster: [" + ", ".join(_entry(moment, open_) for moment, open_ in entries) + "]"
    if node.flow_style is True:
        return start, end, flow
    line_end = _line_end(text, end)
    tail = text[end:line_end]
    if value.start_mark.line > key.end_mark.line:
        after_key = text[key.end_mark.index : _line_end(text, key.end_mark.index)]
        tail, rest = after_key.partition(":")[2], tail
    else:
        rest = tail
    if any(part.strip() and not part.lstrip().startswith("#") for part in (tail, rest)):
        return start, end, flow  # not seen in a block mapping; a flow list is right anywhere
    if text.startswith("\r\n", line_end):
        brk = "\r\n"
    elif line_end < len(text):
        brk = text[line_end]
    else:
        brk = "\r\n" if "\r\n" in text else "\r" if "\r" in text else "\n"
    indent = " " * (key.start_mark.column + 2)
    lines = "".join(f"{brk}{indent}- {_entry(moment, open_)}" for moment, open_ in entries)
    return start, line_end, "roster:" + tail.rstrip(" \t") + lines


def _line_end(text: str, index: int) -> int:
    """Where the line that ``index`` is on ends (its line break, or the end of the text)."""
    ends = [at for at in (text.find("\n", index), text.find("\r", index)) if at >= 0]
    return min(ends, default=len(text))


def _check(
    text: str,
    copy: str,
    source: str,
    groups: Sequence[PlannedGroup],
    written: Sequence[list[tuple[str, int]]],
) -> None:
    """The copy reads as the original with each planned group's count or roster replaced by
    its roster, and as nothing else: an edit gone wrong is an error, never a file written."""
    try:
        before, after = yaml.load(text, _TextLoader), yaml.load(copy, _TextLoader)
    except yaml.YAMLError as error:
        raise _cannot(source, f"the copy would not read as YAML ({_first_line(error)})") from None
    for group, entries in zip(groups, written, strict=True):
        top, _, index = group.key.partition(".")
        mapping: Any = before[top][int(index)] if index else before[top]
        for name in _STAFFING_KEYS:
            mapping.pop(name, None)
        mapping["roster"] = [{"from": moment, "open": str(open_)} for moment, open_ in entries]
    if _canonical(before) != _canonical(after):
        raise _cannot(source, "the copy would not read back as the file with only the rosters changed")


class _TextLoader(yaml.SafeLoader):
    """Reads every untagged scalar as its text, merge keys still merged: two readings of a file
    then compare without a scalar having to mean anything (YAML 1.1 would read ``2024-13-01``
    as a date that cannot be, ``.nan`` as a number unequal to itself)."""


_TextLoader.yaml_implicit_resolvers = {"<": [(_MERGE, re.compile(r"^(?:<<)$"))]}


def _canonical(data: Any) -> str:
    """Data as text that compares equal exactly when the data does (``.nan`` included)."""
    return yaml.safe_dump(data, sort_keys=True, allow_unicode=True)


def _first_line(error: yaml.YAMLError) -> str:
    return one_line(str(error).splitlines()[0]) if str(error) else type(error).__name__


def _cannot(source: str, why: str) -> PlanError:
    return PlanError(f"--plan-into: cannot write the plan into a copy of {source}: {why}")
