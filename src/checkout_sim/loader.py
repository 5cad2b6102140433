"""Reading a scenario: YAML text → positioned data → ``--set`` overrides → :class:`Scenario`.

Every problem is reported as ``PATH:LINE:COL: dotted.key: message``, pointing at the
offending value in the YAML, so an editor or a terminal can jump straight to it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ._base import RULE_ERROR
from .scenario import Scenario

__all__ = ["Problem", "ScenarioError", "load_scenario", "parse_scenario"]

#: Guards against alias bombs and pathological nesting; real scenarios are far smaller.
MAX_VALUES = 100_000
MAX_DEPTH = 50

Key = str | int
KeyPath = tuple[Key, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario, at a place in its file."""

    source: str
    line: int
    column: int
    key: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        kind = "warning: " if self.warning else ""
        return f"{self.source}:{self.line}:{self.column}: {self.key}: {kind}{self.message}"


class ScenarioError(Exception):
    """A scenario that cannot be used; ``problems`` has one entry per line to show."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.line, p.column))
        super().__init__("\n".join(str(problem) for problem in self.problems))


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
            raise _YamlProblem(node.start_mark, f"unsupported tag {node.tag!r}")
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
                    raise _YamlProblem(key_node.start_mark, f"duplicate key {key!r}")
                own_keys.add(key)
            self.keys[(*path, key)] = key_node.start_mark
            result[key] = self.build(value_node, (*path, key))
        return result


class _YamlProblem(Exception):
    def __init__(self, mark: yaml.Mark | None, message: str) -> None:
        super().__init__(message)
        self.mark = mark
        self.message = message


def _yaml_message(error: yaml.YAMLError) -> str:
    if isinstance(error, yaml.MarkedYAMLError):
        message = error.problem or error.context or "invalid YAML"
        if error.context and error.problem and error.problem.startswith("but "):
            return f"{error.context} {error.problem}"
        if error.context and error.problem and error.context_mark is not None:
            message += f" ({error.context} at line {error.context_mark.line + 1})"
        return message
    return str(error)


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
    "literal_error": "expected {expected}",
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


def _message(error: ErrorDetails, key: Key) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        others = [name for name in _KNOWN_KEYS if name != key]
        close = difflib.get_close_matches(str(key), others, n=1, cutoff=0.7)
        return "unknown key" + (f" (did you mean {close[0]!r}?)" if close else "")
    if kind == "too_short" and (error.get("ctx") or {}).get("min_length") == 1:
        return "must not be empty"
    template = _FRIENDLY.get(kind)
    if template is not None:
        context = {name: _show(value) for name, value in (error.get("ctx") or {}).items()}
        try:
            return template.format(**context)
        except KeyError:
            pass
    message = error["msg"]
    return message[:1].lower() + message[1:]


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


def _problems(
    error: ValidationError,
    data: Any,
    document: _Document,
    source: str,
    overridden: dict[KeyPath, str],
) -> list[Problem]:
    problems = []
    for detail in error.errors(include_url=False):
        loc: list[Key] = list(detail["loc"])
        if detail["type"] == RULE_ERROR:
            loc += _split(str((detail.get("ctx") or {})["at"]))
        path, missing = _real_path(data, loc)
        if detail["type"] == "extra_forbidden":
            mark = document.keys.get(path) or _nearest(document.values, path)
        elif missing:
            mark = _nearest(document.values, path[:-1])
        else:
            mark = _nearest(document.values, path)
        message = _message(detail, path[-1] if path else "")
        for prefix, assignment in overridden.items():
            if path[: len(prefix)] == prefix:
                message += f" (from --set {assignment})"
                break
        problems.append(_at(source, mark, _dotted(path), message))
    return problems


def _nearest(marks: dict[KeyPath, yaml.Mark], path: KeyPath) -> yaml.Mark | None:
    while path not in marks and path:
        path = path[:-1]
    return marks.get(path)


def _dotted(path: KeyPath) -> str:
    return ".".join(str(part) for part in path) or "(root)"


def _at(source: str, mark: yaml.Mark | None, key: str, message: str, warning: bool = False) -> Problem:
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    return Problem(source, line, column, key, message, warning)


# --- overrides ---------------------------------------------------------------------


def _apply_override(data: dict[str, Any], assignment: str) -> KeyPath:
    """Set one ``dotted.key=VALUE`` (the value read as YAML) in the data, in place."""
    dotted, equals, text = assignment.partition("=")
    if not equals or not dotted.strip():
        raise _OverrideProblem((), f"expected KEY=VALUE, got {assignment!r}")
    path = tuple(_split(dotted.strip()))
    try:
        value = yaml.load(text, Loader=_Loader) if text.strip() else None
    except yaml.YAMLError as error:
        raise _OverrideProblem(path, f"cannot read the value: {_yaml_message(error)}") from None
    node: Any = data
    for depth, part in enumerate(path[:-1]):
        here = path[: depth + 1]
        if isinstance(node, dict):
            node = node.setdefault(part, {})
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            raise _OverrideProblem(here, f"cannot set {dotted}: {_dotted(here[:-1])} has no entry {part}")
    last = path[-1]
    if isinstance(node, dict):
        node[last] = value
    elif isinstance(node, list) and isinstance(last, int) and last <= len(node):
        if last == len(node):
            node.append(value)
        else:
            node[last] = value
    else:
        raise _OverrideProblem(path, f"cannot set {dotted}: {_dotted(path[:-1])} has no entry {last}")
    return path


class _OverrideProblem(Exception):
    def __init__(self, path: KeyPath, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


# --- the one loading function -----------------------------------------------------


def parse_scenario(
    text: str | bytes,
    source: str = "<scenario>",
    overrides: Sequence[str] = (),
    *,
    on_warning: Callable[[Problem], None] | None = None,
) -> Scenario:
    """Validate scenario YAML; raise :class:`ScenarioError` with positioned problems.

    ``overrides`` are ``dotted.key=VALUE`` strings (as ``--set`` takes them) applied
    before validation; list items are addressed by index (``products.0.name``).
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
    loader = _Loader(text)
    document = _Document(loader)
    try:
        root = loader.get_single_node()
        data = document.build(root) if root is not None else None
    except _YamlProblem as problem:
        raise ScenarioError([_at(source, problem.mark, "(yaml)", problem.message)]) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        raise ScenarioError([_at(source, mark, "(yaml)", _yaml_message(error))]) from None
    finally:
        loader.dispose()
    if data is None:
        raise ScenarioError([Problem(source, 1, 1, "(root)", "the scenario is empty")])
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"the value {data!r}"
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
    overridden: dict[KeyPath, str] = {}
    for assignment in overrides:
        try:
            overridden[_apply_override(data, assignment)] = assignment
        except _OverrideProblem as problem:
            mark = _nearest(document.values, problem.path)
            key = assignment.partition("=")[0].strip() if "=" in assignment else ""
            raise ScenarioError([_at(source, mark, f"--set {key}".rstrip(), problem.message)]) from None
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(_problems(error, data, document, source, overridden)) from None
    if on_warning is not None:
        for key, message in scenario.warnings():
            on_warning(_at(source, _nearest(document.values, tuple(_split(key))), key, message, True))
    return scenario


def load_scenario(
    path: str | Path,
    overrides: Sequence[str] = (),
    *,
    on_warning: Callable[[Problem], None] | None = None,
) -> Scenario:
    """Read and validate the scenario file at ``path`` (see :func:`parse_scenario`).

    A file that cannot be read is reported like any other problem with the scenario.
    """
    source = str(path)
    try:
        text = Path(path).read_bytes()
    except OSError as error:
        raise ScenarioError([Problem(source, 1, 1, "(file)", error.strerror or str(error))]) from None
    return parse_scenario(text, source, overrides, on_warning=on_warning)
