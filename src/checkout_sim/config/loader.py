"""Reading a scenario: YAML text → positioned data → ``--set`` overrides → :class:`Scenario`.

Every problem in the file is reported as ``PATH:LINE:COL: dotted.key: message``,
pointing at the offending value in the YAML, so an editor or a terminal can jump
straight to it. A problem with a value that came from the command line names the
flag and its text instead (``--set cashiers.count=0: cashiers.count: must be at
least 1``), with no file position.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import functools
import gc
import re
import types
import typing
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Union

import yaml
from pydantic import BaseModel, Tag, ValidationError
from pydantic_core import ErrorDetails

from .arrival_files import FileProblem
from .base import RULE_ERROR, TAGGED_UNIONS, one_line, shown
from .data_files import AtKey, nearest_name, read_files
from .scenario import Scenario
from .times import OPENING_ERRORS, UNREADABLE_OPENING

__all__ = ["Override", "Problem", "ScenarioError", "load_scenario", "parse_scenario"]

#: Guards against alias bombs and pathological nesting; real scenarios are far smaller.
MAX_VALUES = 100_000
MAX_DEPTH = 50
#: The most problems shown for one scenario (in file order): the first ones are enough to go on.
MAX_PROBLEMS = 20

Key = str | int
KeyPath = tuple[Key, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario: at a place in its file, or in a command-line flag.

    ``source`` is the file's path, or the flag and its text (``--set cashiers.count=0``);
    ``line`` and ``column`` are None when there is no position to show.
    """

    source: str
    line: int | None
    column: int | None
    key: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}:{self.column}"
        key = f"{self.key}: " if self.key else ""
        kind = "warning: " if self.warning else ""
        return one_line(f"{where}: {key}{kind}{self.message}")


class ScenarioError(Exception):
    """A scenario that cannot be used; ``problems`` has one entry per line to show.

    Problems in the file come first, by position; then those from flags, in order.
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.line is None, p.line or 0, p.column or 0))
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass(frozen=True)
class Override:
    """One ``dotted.key=VALUE`` setting, and the command-line text that gave it.

    ``flag`` is what problems with the value are reported against (default:
    ``--set`` and the assignment); ``note`` is added to each of their messages.
    """

    assignment: str
    flag: str | None = None
    note: str | None = None

    @property
    def source(self) -> str:
        """The flag and its text, as a problem names it."""
        return self.flag if self.flag is not None else f"--set {self.assignment}"


# --- YAML with the 1.2 core schema ------------------------------------------------

_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class _Loader(yaml.SafeLoader):
    """SafeLoader that reads scalars as YAML 1.2 does (and as editors' schema checks do).

    PyYAML follows YAML 1.1, where ``no`` is false, ``1:30`` is 90 and ``2024-01-01``
    is a date; here they stay strings, so a scenario means what it looks like.
    """


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_BOOL, _INT, _FLOAT, _TIMESTAMP)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Loader.add_implicit_resolver(
    _INT, re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
)
_Loader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if text.startswith(("0x", "0o")):
        return int(text, 0)
    return int(text, 10)


_Loader.add_constructor(_INT, _construct_int)


#: A mapping or list may carry no tag but its own: only safe_load-level data is accepted.
_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


class _Document:
    """Plain data built from a YAML node tree, with the position of every key and value."""

    def __init__(self, loader: yaml.SafeLoader) -> None:
        self._loader = loader
        #: A scalar's value comes straight from its tag's constructor (what construct_object
        #: would call for it, without the bookkeeping it needs only for collections).
        self._scalars: dict[Any, Any] = loader.yaml_constructors
        self.values: dict[KeyPath, yaml.Mark] = {}
        self.keys: dict[KeyPath, yaml.Mark] = {}
        self._built = 0

    def build(self, node: yaml.Node, path: KeyPath = ()) -> Any:
        self._built += 1
        if self._built > MAX_VALUES:
            raise _YamlProblem(
                node.start_mark, f"the document has more than {MAX_VALUES:,} values (alias expansion?)"
            )
        if len(path) > MAX_DEPTH:
            raise _YamlProblem(node.start_mark, f"the document is nested more than {MAX_DEPTH} levels deep")
        self.values[path] = node.start_mark
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _PLAIN_TAGS:
            raise _YamlProblem(node.start_mark, f"unsupported tag {shown(node.tag)}")
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
        construct = self._scalars.get(node.tag)
        if construct is not None:
            return construct(self._loader, node)
        return self._loader.construct_object(node, deep=True)  # an unknown tag: refused there

    def _mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[Any, Any]:
        own = sum(1 for key, _ in node.value if key.tag != "tag:yaml.org,2002:merge")
        self._loader.flatten_mapping(node)
        merged = len(node.value) - own
        result: dict[Any, Any] = {}
        own_keys: set[Any] = set()
        for index, (key_node, value_node) in enumerate(node.value):
            if not isinstance(key_node, yaml.ScalarNode):
                raise _YamlProblem(key_node.start_mark, "a key must be a plain name")
            key = self._loader.construct_object(key_node)
            if index >= merged:
                if key in own_keys:
                    raise _YamlProblem(key_node.start_mark, f"duplicate key {shown(key)}")
                own_keys.add(key)
            self.keys[(*path, key)] = key_node.start_mark
            result[key] = self.build(value_node, (*path, key))
        return result


class _YamlProblem(Exception):
    def __init__(self, mark: yaml.Mark | None, message: str) -> None:
        super().__init__(message)
        self.mark = mark
        self.message = message


def _fast_loader() -> type[Any] | None:
    """:class:`_Loader`'s reading of scalars on libyaml's parser, when PyYAML was built with it.

    A scenario of 10,000 schedule phases took PyYAML's own parser 1.3 s to read (most of
    a run of 200,000 customers); libyaml reads it several times faster.
    """
    base = getattr(yaml, "CSafeLoader", None)
    if base is None:  # pragma: no cover - PyYAML built without libyaml
        return None
    return type(
        "_FastLoader",
        (base,),
        {
            "yaml_implicit_resolvers": _Loader.yaml_implicit_resolvers,
            "yaml_constructors": _Loader.yaml_constructors,
        },
    )


_FAST = _fast_loader()


def _compose(text: str) -> tuple[Any, _Document]:
    """Plain data from YAML text, and where each of its keys and values is.

    Read with libyaml where PyYAML has it; a document libyaml refuses is read again by
    PyYAML's own parser, whose messages and positions the problems show (and the tests
    pin), so only the speed depends on which parser PyYAML was built with.
    """
    if _FAST is not None:
        try:
            return _compose_with(_FAST(text))
        except yaml.YAMLError:
            pass
    return _compose_with(_Loader(text))  # checks the characters first: ReaderError


def _compose_with(loader: Any) -> tuple[Any, _Document]:
    document = _Document(loader)
    try:
        root = loader.get_single_node()
        return (document.build(root) if root is not None else None), document
    finally:
        loader.dispose()


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a scenario is read and checked.

    Reading makes a node, a mark and a path for every value, and checking a model for each
    mapping, and keeps them all: the collector would only walk them again and again (half
    the time of reading 10,000 schedule phases, and more the longer the document). What
    little cyclic garbage a scenario with problems leaves (its caught errors) is collected
    after. A thread that finds the collector paused leaves it to the one that paused it.
    """
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _yaml_message(error: yaml.YAMLError) -> str:
    if isinstance(error, yaml.reader.ReaderError):
        return _character_message(error)
    if isinstance(error, yaml.MarkedYAMLError):
        message = error.problem or error.context or "invalid YAML"
        if error.context and error.problem and error.problem.startswith("but "):
            return f"{error.context} {error.problem}"
        if error.context and error.problem and error.context_mark is not None:
            message += f" ({error.context} at line {error.context_mark.line + 1})"
        return message
    return str(error)


def _character_message(error: yaml.reader.ReaderError) -> str:
    character = chr(error.character) if isinstance(error.character, int) else str(error.character)
    kind = "control character" if character.isascii() else "character"
    return f"{kind} {character!r} is not allowed in YAML"


def _reader_position(text: str, index: int) -> tuple[int, int]:
    """LINE and COL (from 1) of ``text[index]``, counting line breaks as PyYAML's marks do."""
    line, column = 1, 1
    for at, char in enumerate(text[:index]):
        if char in "\n\x85\u2028\u2029" or (char == "\r" and text[at + 1 : at + 2] != "\n"):
            line, column = line + 1, 1
        elif char != "\ufeff":
            column += 1
    return line, column


# --- errors from pydantic to file positions ---------------------------------------

_FRIENDLY = {
    "missing": "required key is missing",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "string_type": "expected a string",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "list_type": "expected a list",
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
    "finite_number": "must be a finite number",
    "string_too_short": "must not be empty",
    "string_too_long": "is too long (at most {max_length} characters)",
    "greater_than": "must be greater than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be at most {le}",
    "too_short": "must have at least {min_length} entries",
}


def _alternatives(annotation: Any, tag: str | None = None) -> Iterator[tuple[str | None, Any]]:
    """The members of a (possibly tagged, possibly optional) union, each with its tag."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        inner, *metadata = typing.get_args(annotation)
        own = next((extra.tag for extra in metadata if isinstance(extra, Tag)), tag)
        yield from _alternatives(inner, own)
    elif origin is Union or origin is types.UnionType:
        for member in typing.get_args(annotation):
            yield from _alternatives(member, tag)
    else:
        yield tag, annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _model_at(loc: Sequence[Key]) -> type[BaseModel] | None:
    """The model that validates the mapping at pydantic's ``loc`` (which names union members by tag)."""
    annotation: Any = Scenario
    for part in loc:
        members = list(_alternatives(annotation))
        tagged = [member for tag, member in members if tag is not None and tag == part]
        if tagged:
            annotation = tagged[0]
            continue
        for _, member in members:
            if _is_model(member) and part in member.model_fields:
                annotation = member.model_fields[part].annotation
                break
            if typing.get_origin(member) is list and isinstance(part, int):
                annotation = typing.get_args(member)[0]
                break
        else:
            return None
    models = [member for _, member in _alternatives(annotation) if _is_model(member)]
    return models[0] if len(models) == 1 else None


@dataclass(frozen=True)
class _Place:
    """A kind of mapping in a scenario, as a message names it: ``a lane's queue``, ``arrivals``.

    ``union`` is the key that tells a union's members apart (``pattern``, ``dist``), and
    ``tag`` the member's value of it; ``members`` how many the union has.
    """

    name: str
    union: str = ""
    tag: str = ""
    members: int = 0


def _place_name(path: tuple[str, ...]) -> str:
    """``()`` → the top level; ``lanes.N.queue`` → a lane's queue; ``cashiers.scaling`` as is."""
    if not path:
        return "the top level"
    if "N" not in path:
        return ".".join(path)
    last = len(path) - 1 - path[::-1].index("N")
    owner = path[last - 1].removesuffix("s")
    return "".join([f"a {owner}", *(f"'s {part}" for part in path[last + 1 :])])


def _places(model: type[BaseModel], path: tuple[str, ...], into: dict[str, list[_Place]]) -> None:
    """Where each key of ``model`` and the models inside it is valid, by key."""
    own = _Place(_place_name(path))
    for name in model.model_fields:
        into.setdefault(name, []).append(own)
    for name, field in model.model_fields.items():
        _places_in(field.annotation, (*path, name), into)


def _places_in(annotation: Any, path: tuple[str, ...], into: dict[str, list[_Place]]) -> None:
    members = list(_alternatives(annotation))
    tags = [tag for tag, _ in members if tag is not None]
    for tag, member in members:
        if typing.get_origin(member) is list:
            _places_in(typing.get_args(member)[0], (*path, "N"), into)
        elif _is_model(member) and tag == "constant" and "pattern" not in member.model_fields:
            continue  # a constant distribution is written as a bare number: no key of its own
        elif _is_model(member) and tag is not None:
            union = "dist" if "dist" in member.model_fields else "pattern"
            where = "a distribution" if union == "dist" else _place_name(path)
            for name in member.model_fields:
                into.setdefault(name, []).append(_Place(where, union, tag, len(tags)))
            for name, field in member.model_fields.items():
                _places_in(field.annotation, (*path, name), into)
        elif _is_model(member):
            _places(member, path, into)


def _place_list(places: Sequence[_Place]) -> str:
    """``cashiers or a lane``; members of a union as ``a distribution (dist: normal, lognormal)``."""
    names: list[str] = []
    tags: dict[str, list[str]] = {}
    wholes: dict[str, tuple[str, int]] = {}
    for place in places:
        if place.name not in tags:
            names.append(place.name)
            tags[place.name] = []
        if place.tag:
            wholes[place.name] = (place.union, place.members)
            if place.tag not in tags[place.name]:
                tags[place.name].append(place.tag)
    shown_names = []
    for name in names:
        union, members = wholes.get(name, ("", 0))
        some = union and len(tags[name]) < members  # only some members of a union: say which
        shown_names.append(f"{name} ({union}: {', '.join(tags[name])})" if some else name)
    # Named places (cashiers, queue) before kinds of entries (a lane, a segment's basket).
    return _either(sorted(shown_names, key=lambda name: name.startswith("a ")))


def _either(words: Sequence[str]) -> str:
    return ", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else "".join(words)


@functools.cache
def _key_places() -> tuple[dict[str, list[_Place]], list[str]]:
    """Where every key of the format is valid, by key, and every key sorted.

    Walked once, on the first unknown key: a scenario that loads cleanly never pays for it.
    """
    places: dict[str, list[_Place]] = {}
    _places(Scenario, (), places)
    return places, sorted(places)


def _unknown_key(loc: Sequence[Key]) -> tuple[str, str | None]:
    """The message for the unknown key at ``loc``, and the key it may have been meant as, at its place.

    A hint names only keys valid at that place; a key that is valid elsewhere (or close
    to one) is said to belong there: ``payment_time belongs under cashiers or a lane``.
    """
    key = loc[-1] if loc else ""
    places, known = _key_places()
    model = _model_at(loc[:-1])
    here = sorted(model.model_fields) if model is not None else known
    if isinstance(key, str) and key in places and key not in here:
        return f"unknown key here; it belongs under {_place_list(places[key])}", None
    close = difflib.get_close_matches(str(key), [name for name in here if name != key], n=1, cutoff=0.7)
    if close:
        return f"unknown key (did you mean {close[0]!r}?)", close[0]
    elsewhere = difflib.get_close_matches(str(key), known, n=1, cutoff=0.7)
    if elsewhere:
        return f"unknown key; {elsewhere[0]} belongs under {_place_list(places[elsewhere[0]])}", None
    return "unknown key", None


def _message(error: ErrorDetails, path: KeyPath, data: Any) -> tuple[KeyPath, str]:
    """The message for one pydantic error, and the path it belongs at (which may go deeper)."""
    kind, context = error["type"], error.get("ctx") or {}
    if kind == "extra_forbidden":
        return path, _unknown_key(error["loc"])[0]
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(context.get("expected", "")))
        return path, _unknown_choice("value", error.get("input"), choices)
    union = TAGGED_UNIONS.get(kind)  # told apart by a key such as pattern or dist
    if union is not None:
        value = _value_at(data, path)
        if isinstance(value, dict) and isinstance(value.get(union.tag), str):
            return (*path, union.tag), _unknown_choice(union.noun, value[union.tag], union.choices)
    if kind == "too_short" and context.get("min_length") == 1:
        return path, "must not be empty"
    template = _FRIENDLY.get(kind)
    if template is not None:
        try:
            return path, template.format(**{name: _show(value) for name, value in context.items()})
        except KeyError:
            pass
    message = error["msg"]
    return path, message[:1].lower() + message[1:]


def _unknown_choice(noun: str, value: Any, choices: Sequence[str]) -> str:
    """``unknown pattern 'poison' (did you mean 'poisson'?); expected poisson, constant, …``."""
    close = difflib.get_close_matches(value, choices, n=1) if isinstance(value, str) else []
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    either = ", ".join(choices[:-1]) + " or " + choices[-1] if len(choices) > 1 else "".join(choices)
    return f"unknown {noun} {shown(value)}{hint}; expected {either}"


def _value_at(data: Any, path: KeyPath) -> Any:
    for part in path:
        data = data[part]
    return data


def _show(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _real_path(data: Any, loc: Sequence[Key]) -> KeyPath:
    """The part of pydantic's ``loc`` that exists in the data (with a missing last key).

    ``loc`` also holds union tags (``poisson``, ``exponential``) and a constant's internal
    ``value``, which are not in the user's file; those are skipped.
    """
    node, real = data, []
    for index, part in enumerate(loc):
        if _has(node, part):
            real.append(part)
            node = node[part]
        elif not isinstance(node, dict):
            break
        elif index == len(loc) - 1:
            return (*real, part)
    return tuple(real)


def _split(dotted: str) -> list[Key]:
    return [int(part) if part.isdigit() else part for part in dotted.split(".")]


def _rule_paths(data: Any, loc: Sequence[Key], at: str, also: Sequence[str]) -> tuple[KeyPath, list[KeyPath]]:
    """Where a rule error is (``at`` inside the model at ``loc``), and the other keys it involves.

    ``loc`` may hold union tags, which are skipped; the keys of ``at`` are the user's. A
    key that is not in the data (``basket.items`` with the default basket) is named in
    full, not skipped: the problem is shown where it would go.
    """
    node, base = data, []
    for part in loc:
        if _has(node, part):
            base.append(part)
            node = node[part]
        elif not isinstance(node, dict):
            break

    def inside(dotted: str) -> KeyPath:
        here, path = node, list(base)
        parts = _split(dotted)
        for index, part in enumerate(parts):
            if _has(here, part):
                here = here[part]
            elif isinstance(here, dict):
                return (*path, *parts[index:])  # missing here: the key as the user would add it
            else:
                return tuple(path)  # inside a scalar (a constant): the value itself
            path.append(part)
        return tuple(path)

    return inside(at), [inside(key) for key in also]


def _has(node: Any, part: Key) -> bool:
    """Whether the mapping or list ``node`` has the key or index ``part``."""
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def _related(one: KeyPath, other: KeyPath) -> bool:
    """Whether either key is the other or inside it."""
    shorter = min(len(one), len(other))
    return one[:shorter] == other[:shorter]


@dataclass(frozen=True)
class _Origins:
    """Where a problem is shown: the file, or the flag that set the value it is about."""

    source: str
    document: _Document
    applied: Sequence[tuple[KeyPath, Override]]

    def problem(
        self,
        mark: yaml.Mark | None,
        path: KeyPath,
        message: str,
        warning: bool = False,
        involved: Sequence[KeyPath] = (),
    ) -> Problem:
        """A problem at ``path``: in the flag whose value it is about, else at ``mark`` in the file.

        ``involved`` are the other keys of a rule across keys: a flag that set any of them,
        or a key inside one, broke the rule, and the problem is that flag's.
        """
        override = self.override_of(path, involved)
        if override is None:
            return _at(self.source, mark, _dotted(path), message, warning)
        return _flag_problem(override, _dotted(path), message, warning)

    def override_of(self, path: KeyPath, involved: Sequence[KeyPath] = ()) -> Override | None:
        """The last override that set ``path`` or one of the ``involved`` keys (or a key above
        it), or that created one of them.

        ``--set cashier.count=5`` creates the unknown key ``cashier``, which is not in the file.
        A flag that sets a key inside an involved one does not count: ``--set
        lanes.0.scan_factor=2`` has nothing to do with giving both ``lanes`` and ``cashiers``.
        """
        for prefix, override in reversed(self.applied):
            if any(self._set_by(key, prefix) for key in (path, *involved)):
                return override
        return None

    def _set_by(self, key: KeyPath, prefix: KeyPath) -> bool:
        """Whether the override at ``prefix`` set ``key`` (or a key above it), or created it."""
        if key[: len(prefix)] == prefix:
            return True
        return bool(key) and prefix[: len(key)] == key and key not in self.document.values


@dataclass(frozen=True)
class _Found:
    """One pydantic error mapped to the user's data: its key, the keys it involves, its message."""

    path: KeyPath
    involved: tuple[KeyPath, ...]
    mark: yaml.Mark | None
    message: str
    unknown: bool  # an unknown key
    hint: str | None  # for an unknown key: the key at its place it may have been meant as
    value: bool = False  # a bad value (not an unknown key, not a rule across keys)


#: Bad values that another key decides, by error type, with that key: a time of day is read
#: against ``opens_at`` (a ``--set opens_at`` is to blame for it, and while ``opens_at`` is
#: itself wrong the times of day are not reported again).
_INVOLVES: dict[str, tuple[KeyPath, ...]] = dict.fromkeys(OPENING_ERRORS, (("opens_at",),))


def _found(error: ValidationError, data: Any, marks: _Document) -> list[_Found]:
    found = []
    for detail in error.errors(include_url=False):
        if detail["type"] == UNREADABLE_OPENING:
            continue  # opens_at's own problem is shown; the time of day waits for it
        involved: list[KeyPath] = []
        hint = None
        if detail["type"] == RULE_ERROR:
            context = detail.get("ctx") or {}
            path, involved = _rule_paths(data, detail["loc"], str(context["at"]), context.get("also", ()))
            message = detail["msg"]
        else:
            path, message = _message(detail, _real_path(data, detail["loc"]), data)
            involved = list(_INVOLVES.get(detail["type"], ()))
        if detail["type"] == "extra_forbidden":
            mark = marks.keys.get(path) or _nearest(marks.values, path)
            hint = _unknown_key(detail["loc"])[1]
        else:
            mark = _nearest(marks.values, path)
        # The key itself, when the path reached it (not cut short at a value that is no mapping).
        unknown = detail["type"] == "extra_forbidden" and path[-1:] == tuple(detail["loc"][-1:])
        value = detail["type"] not in (RULE_ERROR, "extra_forbidden")
        found.append(_Found(path, tuple(involved), mark, message, unknown, hint, value))
    return found


def _problems(error: ValidationError, data: Any, origins: _Origins) -> list[Problem]:
    """Every problem pydantic found, and those it could not reach past an unknown key or a bad value.

    pydantic checks a model's rules across keys only when its keys are all valid, so an
    unknown key or one bad value would hide every such rule in the models around it. The
    data is checked again without the unknown keys and with each bad value left out (or,
    where it is required, replaced by a stand-in that passes); of what that finds, a
    problem that involves a key left out or stood in for, or the key an unknown one was
    probably meant as (``durration`` for ``duration``), is left out.
    """
    found = _found(error, data, origins.document)
    unknown = [item for item in found if item.unknown]
    bad = [item for item in found if item.value and item.path]
    # With as many problems as are shown already, what the second check finds would not be
    # shown (and each stand-in is a few checks of the whole scenario).
    if (unknown or bad) and len(found) < MAX_PROBLEMS:
        trimmed = copy.deepcopy(data)
        for item in unknown:
            parent = _value_at(trimmed, item.path[:-1])
            if isinstance(parent, dict):
                parent.pop(item.path[-1], None)
        suspects = [(*item.path[:-1], item.hint) for item in unknown if item.hint is not None]
        suspects += [item.path for item in bad if _stand_in(trimmed, item.path)]
        try:
            Scenario.model_validate(trimmed)
        except ValidationError as again:
            found += [
                item
                for item in _found(again, trimmed, origins.document)
                if not any(_related(key, other) for key in (item.path, *item.involved) for other in suspects)
            ]
    problems = (origins.problem(item.mark, item.path, item.message, involved=item.involved) for item in found)
    return list(dict.fromkeys(problems))  # each once (the second check finds the first's again), in order


_LEFT_OUT: Any = object()
#: What a bad value is tried as, in turn, so the rules around it can still be checked: left
#: out (a key with a default), then a value of each kind a scenario holds.
_STAND_INS: tuple[Any, ...] = (_LEFT_OUT, 1, 1.0, "1s", "1/s", "x", True, [], {})


def _stand_in(data: Any, path: KeyPath) -> bool:
    """Put in place of the bad value at ``path`` the first stand-in that passes there.

    Found by validating the whole scenario with each in turn and asking whether any
    problem is still at ``path``. False (and the value as it was) when none passes.
    """
    parent: Any = _value_at(data, path[:-1])
    key = path[-1]
    if isinstance(parent, dict):
        old = parent.get(key, _LEFT_OUT)
    elif isinstance(parent, list) and isinstance(key, int) and 0 <= key < len(parent):
        old = parent[key]
    else:
        return False
    before = _value_problems(data)
    for candidate in _STAND_INS:
        if candidate is _LEFT_OUT:
            if not isinstance(parent, dict):
                continue
            parent.pop(key, None)
        else:
            parent[key] = copy.deepcopy(candidate)
        after = _value_problems(data)
        # It must pass where it stands and make no new problem elsewhere (leaving out lanes
        # would make cashiers missing); rules it lets through are what the stand-in is for.
        if not any(_related(other, path) for other in after) and after <= before:
            return True
    if old is _LEFT_OUT:
        parent.pop(key, None)
    else:
        parent[key] = old
    return False


def _value_problems(data: Any) -> set[KeyPath]:
    """Where the data has problems other than rules across keys."""
    try:
        Scenario.model_validate(data)
    except ValidationError as error:
        return {_real_path(data, detail["loc"]) for detail in error.errors() if detail["type"] != RULE_ERROR}
    return set()


def _flag_problem(override: Override, key: str, message: str, warning: bool = False) -> Problem:
    if override.note:
        message += f" ({_cut(override.note, 80)})"
    return Problem(_cut(override.source), None, None, key, message, warning)


def _cut(text: str, most: int = 200) -> str:
    return text if len(text) <= most else text[: most - 3] + "..."


def _nearest(marks: dict[KeyPath, yaml.Mark], path: KeyPath) -> yaml.Mark | None:
    while path not in marks and path:
        path = path[:-1]
    return marks.get(path)


def _dotted(path: KeyPath) -> str:
    return ".".join(_key_text(part) for part in path) or "(root)"


def _key_text(part: Key) -> str:
    text = str(part)
    return text if text.isprintable() and len(text) <= 60 else shown(part)


def _at(source: str, mark: yaml.Mark | None, key: str, message: str, warning: bool = False) -> Problem:
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    return Problem(source, line, column, key, message, warning)


# --- overrides ---------------------------------------------------------------------


def _apply_override(data: dict[str, Any], assignment: str) -> KeyPath:
    """Set one ``dotted.key=VALUE`` (the value read as YAML) in the data, in place."""
    dotted, equals, text = assignment.partition("=")
    if not equals or not dotted.strip():
        raise _OverrideProblem("", "expected KEY=VALUE")
    path = tuple(_split(dotted.strip()))
    try:
        value = _compose(text)[0] if text.strip() else None
    except _YamlProblem as problem:
        raise _OverrideProblem(_dotted(path), f"cannot read the value: {problem.message}") from None
    except yaml.YAMLError as error:
        raise _OverrideProblem(_dotted(path), f"cannot read the value: {_yaml_message(error)}") from None
    node: Any = data
    for depth, part in enumerate(path[:-1]):
        if isinstance(node, dict):
            node = node.setdefault(part, {})
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            raise _OverrideProblem(_dotted(path[:depth]), _no_entry(node, part))
    last = path[-1]
    if isinstance(node, dict):
        node[last] = value
    elif isinstance(node, list) and isinstance(last, int) and last <= len(node):
        if last == len(node):
            node.append(value)
        else:
            node[last] = value
    else:
        raise _OverrideProblem(_dotted(path[:-1]), _no_entry(node, last))
    return path


def _no_entry(node: Any, part: Key) -> str:
    if isinstance(node, list):
        return f"has no entry {_key_text(part)} (it has {len(node)})"
    return f"has no entry {_key_text(part)} (it is not a mapping or a list)"


class _OverrideProblem(Exception):
    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


# --- the one loading function -----------------------------------------------------


def parse_scenario(
    text: str | bytes,
    source: str = "<scenario>",
    overrides: Sequence[str | Override] = (),
    *,
    on_warning: Callable[[Problem], None] | None = None,
) -> Scenario:
    """Validate scenario YAML; raise :class:`ScenarioError` with positioned problems.

    ``overrides`` are ``dotted.key=VALUE`` strings (as ``--set`` takes them), or
    :class:`Override` objects naming the flag they came from, applied before
    validation; list items are addressed by index (``products.0.name``). A problem
    with an overridden value names the flag instead of a place in the file.
    ``on_warning`` receives settings that are valid but have no effect.
    """
    with _collector_paused():
        return _parse(text, source, overrides, on_warning)


def _parse(
    text: str | bytes,
    source: str,
    overrides: Sequence[str | Override],
    on_warning: Callable[[Problem], None] | None,
) -> Scenario:
    if isinstance(text, bytes):
        raw = text
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            before = raw[: error.start]
            line = before.count(b"\n") + 1
            column = error.start - (before.rfind(b"\n") + 1) + 1
            raise ScenarioError(
                [Problem(source, line, column, "(file)", f"not UTF-8: byte 0x{raw[error.start]:02x}")]
            ) from None
    try:
        data, document = _compose(text)
    except _YamlProblem as problem:
        raise ScenarioError([_at(source, problem.mark, "(yaml)", problem.message)]) from None
    except yaml.reader.ReaderError as error:
        line, column = _reader_position(text, error.position)
        raise ScenarioError([Problem(source, line, column, "(yaml)", _character_message(error))]) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        raise ScenarioError([_at(source, mark, "(yaml)", _yaml_message(error))]) from None
    if data is None:
        raise ScenarioError([Problem(source, 1, 1, "(root)", "the scenario is empty")])
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"the value {shown(data)}"
        raise ScenarioError(
            [
                _at(
                    source,
                    document.values.get(()),
                    "(root)",
                    f"expected a mapping of scenario keys, got {kind}",
                )
            ]
        )
    applied: list[tuple[KeyPath, Override]] = []
    for item in overrides:
        override = item if isinstance(item, Override) else Override(item)
        try:
            applied.append((_apply_override(data, override.assignment), override))
        except _OverrideProblem as problem:
            raise ScenarioError([_flag_problem(override, problem.key, problem.message)]) from None
    origins = _Origins(source, document, applied)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(_at_most(MAX_PROBLEMS, _problems(error, data, origins), source)) from None
    try:
        read_files(scenario, Path(source).parent)  # relative to the scenario file
    except FileProblem as problem:
        raise ScenarioError(
            [Problem(problem.source, problem.line, problem.column, problem.key, problem.message)]
        ) from None
    except AtKey as problem:
        at = tuple(_split(problem.key))
        raise ScenarioError([origins.problem(_nearest(document.values, at), at, problem.message)]) from None
    if on_warning is not None:
        warnings = []
        for key, message, also in scenario.warnings_involving(_bare_rates(data)):
            path = tuple(_split(key))
            involved = [tuple(_split(other)) for other in also]
            warnings.append(
                origins.problem(
                    _nearest(document.values, path), path, message, warning=True, involved=involved
                )
            )
        for warning in ScenarioError(warnings).problems:  # in file order, as problems are
            on_warning(warning)
    return scenario


def _bare_rates(data: dict[str, Any]) -> set[str]:
    """The arrival rates written as plain numbers (per second), by dotted key."""
    arrivals = data.get("arrivals")
    if not isinstance(arrivals, dict):
        return set()
    found = {"arrivals.rate"} if _plain_number(arrivals.get("rate")) else set()
    phases = arrivals.get("phases")
    for index, phase in enumerate(phases if isinstance(phases, list) else ()):
        if isinstance(phase, dict) and _plain_number(phase.get("rate")):
            found.add(f"arrivals.phases.{index}.rate")
    return found


def _plain_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _at_most(most: int, problems: Sequence[Problem], source: str) -> list[Problem]:
    """The first ``most`` problems in the order they are shown, and a line saying how many more."""
    ordered = ScenarioError(problems).problems
    if len(ordered) <= most:
        return ordered
    more = len(ordered) - most
    return [
        *ordered[:most],
        Problem(source, None, None, "", f"{more} more problem{'s' * (more > 1)} not shown"),
    ]


def load_scenario(
    path: str | Path,
    overrides: Sequence[str | Override] = (),
    *,
    on_warning: Callable[[Problem], None] | None = None,
) -> Scenario:
    """Read and validate the scenario file at ``path`` (see :func:`parse_scenario`).

    A file that cannot be read is one problem with no position: ``PATH: (file): no
    such file (did you mean 'NEAREST'?)``, ``is a directory``, ``permission denied``.
    """
    source = str(path)
    try:
        text = Path(path).read_bytes()
    except OSError as error:
        raise ScenarioError([Problem(source, None, None, "(file)", _unreadable(Path(path), error))]) from None
    return parse_scenario(text, source, overrides, on_warning=on_warning)


def _unreadable(path: Path, error: OSError) -> str:
    """Why a scenario file cannot be read, in one line; for a missing one, the nearest name."""
    if isinstance(error, FileNotFoundError):
        return "no such file" + nearest_name(path)
    if isinstance(error, IsADirectoryError):
        return "is a directory, not a scenario file"
    if isinstance(error, PermissionError):
        return "permission denied"
    reason = error.strerror or str(error)
    return reason[:1].lower() + reason[1:]
