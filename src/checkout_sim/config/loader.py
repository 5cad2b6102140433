"""Reading a scenario: YAML text → positioned data → ``--set`` overrides → :class:`Scenario`.

Every problem in the file is reported as ``PATH:LINE:COL: dotted.key: message``,
pointing at the offending value in the YAML, so an editor or a terminal can jump
straight to it. A problem with a value that came from the command line names the
flag and its text instead (``--set cashiers.count=0: cashiers.count: must be at
least 1``), with no file position.
"""

from __future__ import annotations

import difflib
import itertools
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from .base import RULE_ERROR, TAGGED_UNIONS, one_line, shown
from .scenario import Scenario

__all__ = ["Override", "Problem", "ScenarioError", "load_scenario", "parse_scenario"]

#: Guards against alias bombs and pathological nesting; real scenarios are far smaller.
MAX_VALUES = 100_000
MAX_DEPTH = 50
#: How many names of a folder are compared with a missing file's name.
_NAMES_COMPARED = 10_000

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

    def __init__(self, loader: _Loader) -> None:
        self._loader = loader
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
        return self._loader.construct_object(node, deep=True)

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


def _compose(text: str) -> tuple[Any, _Document]:
    """Plain data from YAML text, and where each of its keys and values is."""
    loader = _Loader(text)  # checks the characters first: ReaderError
    document = _Document(loader)
    try:
        root = loader.get_single_node()
        return (document.build(root) if root is not None else None), document
    finally:
        loader.dispose()


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


def _field_names(model: type[BaseModel], into: set[str]) -> set[str]:
    """Every key any scenario model accepts, for 'did you mean' hints."""
    for name, field in model.model_fields.items():
        into.add(name)
        for candidate in _models_in(field.annotation):
            if candidate.__name__ not in into:
                into.add(candidate.__name__)
                _field_names(candidate, into)
    return into


def _models_in(annotation: Any) -> Iterable[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for argument in getattr(annotation, "__args__", ()) or ():
        yield from _models_in(argument)
    for extra in getattr(annotation, "__metadata__", ()) or ():
        yield from _models_in(extra)
    origin = getattr(annotation, "__origin__", None)
    if origin is not None and origin is not annotation:
        yield from _models_in(origin)


_KNOWN_KEYS = sorted(name for name in _field_names(Scenario, set()) if name[0].islower())


def _message(error: ErrorDetails, path: KeyPath, data: Any) -> tuple[KeyPath, str]:
    """The message for one pydantic error, and the path it belongs at (which may go deeper)."""
    kind, context = error["type"], error.get("ctx") or {}
    key = path[-1] if path else ""
    if kind == "extra_forbidden":
        others = [name for name in _KNOWN_KEYS if name != key]
        close = difflib.get_close_matches(str(key), others, n=1, cutoff=0.7)
        return path, "unknown key" + (f" (did you mean {close[0]!r}?)" if close else "")
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


def _real_path(data: Any, loc: Sequence[Key]) -> tuple[KeyPath, bool]:
    """The part of pydantic's ``loc`` that exists in the data, and whether a key is missing.

    ``loc`` also holds union tags (``poisson``, ``exponential``) and a constant's internal
    ``value``, which are not in the user's file; those are skipped.
    """
    node, real = data, []
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if isinstance(node, dict):
            if part in node:
                real.append(part)
                node = node[part]
            elif last:
                return (*real, part), True
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            real.append(part)
            node = node[part]
        else:
            break
    return tuple(real), False


def _split(dotted: str) -> list[Key]:
    return [int(part) if part.isdigit() else part for part in dotted.split(".")]


@dataclass(frozen=True)
class _Origins:
    """Where a problem is shown: the file, or the flag that set the value it is about."""

    source: str
    document: _Document
    applied: Sequence[tuple[KeyPath, Override]]

    def problem(self, mark: yaml.Mark | None, path: KeyPath, message: str, warning: bool = False) -> Problem:
        """A problem at ``path``: in the flag whose value it is about, else at ``mark`` in the file."""
        override = self.override_of(path)
        if override is None:
            return _at(self.source, mark, _dotted(path), message, warning)
        return _flag_problem(override, _dotted(path), message, warning)

    def override_of(self, path: KeyPath) -> Override | None:
        """The last override that set ``path`` or a key above it, or that created ``path``.

        ``--set cashier.count=5`` creates the unknown key ``cashier``, which is not in the file.
        """
        for prefix, override in reversed(self.applied):
            if path[: len(prefix)] == prefix:
                return override
            if path and prefix[: len(path)] == path and path not in self.document.values:
                return override
        return None


def _problems(error: ValidationError, data: Any, origins: _Origins) -> list[Problem]:
    problems = []
    marks = origins.document
    for detail in error.errors(include_url=False):
        loc: list[Key] = list(detail["loc"])
        if detail["type"] == RULE_ERROR:
            loc += _split(str((detail.get("ctx") or {})["at"]))
        path, missing = _real_path(data, loc)
        path, message = _message(detail, path, data)
        if detail["type"] == "extra_forbidden":
            mark = marks.keys.get(path) or _nearest(marks.values, path)
        elif missing:
            mark = _nearest(marks.values, path[:-1])
        else:
            mark = _nearest(marks.values, path)
        problems.append(origins.problem(mark, path, message))
    return problems


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
        raise ScenarioError(_problems(error, data, origins)) from None
    if on_warning is not None:
        for key, message in scenario.warnings():
            path = tuple(_split(key))
            on_warning(origins.problem(_nearest(document.values, path), path, message, warning=True))
    return scenario


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
        return "no such file" + _nearest_name(path)
    if isinstance(error, IsADirectoryError):
        return "is a directory, not a scenario file"
    if isinstance(error, PermissionError):
        return "permission denied"
    reason = error.strerror or str(error)
    return reason[:1].lower() + reason[1:]


def _nearest_name(path: Path) -> str:
    """`` (did you mean 'scenarios/black_friday.yaml'?)`` when the folder has a close name."""
    try:
        with os.scandir(path.parent) as entries:
            names = [entry.name for entry in itertools.islice(entries, _NAMES_COMPARED)]
    except OSError:
        return ""
    close = difflib.get_close_matches(path.name, names, n=1, cutoff=0.75)
    return f" (did you mean {str(path.parent / close[0])!r}?)" if close else ""
