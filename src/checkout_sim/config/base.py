"""The shared configuration of every scenario model, and the error for rules across keys."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

__all__ = [
    "RULE_ERROR",
    "TAGGED_UNIONS",
    "Model",
    "TaggedUnion",
    "one_line",
    "raise_rules",
    "rule_error",
    "shown",
    "tagged_union",
]

#: The pydantic error type of :func:`rule_error`; the loader reads its ``at`` context.
RULE_ERROR = "scenario_rule"

#: The most characters of a user's value that a message repeats.
SHOWN_CHARACTERS = 60


class Model(BaseModel):
    """Strict, frozen, closed: a typo is an error and a quoted ``"5"`` is not a number.

    Keys named in ``_features`` came after the event log's format was fixed: a model
    dumps them only when they differ from their default, so a scenario that does not
    use them logs exactly the ``config`` it always did.
    """

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        allow_inf_nan=False,
        validate_default=False,
    )
    _features: ClassVar[tuple[str, ...]] = ()

    @model_serializer(mode="wrap")
    def _without_unused_features(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if isinstance(data, dict):
            for name in self._unused():
                data.pop(name, None)
        return data

    def _unused(self) -> list[str]:
        """The keys a dump leaves out: features at their default."""
        fields = type(self).model_fields
        return [name for name in self._features if getattr(self, name) == fields[name].default]


def rule_error(at: str, message: str, also: Iterable[str] = ()) -> PydanticCustomError:
    """An error for a rule that involves several keys, pinned to the key ``at`` (dotted).

    A model validator only knows its own location; ``at`` lets the loader point the
    user at the offending key inside it (``scaling.max``, ``phases.2.until``). ``also``
    names the other keys the rule involves (``count`` for ``scaling.max``), relative
    to the same model: when one of them came from a ``--set``, the problem is that
    flag's, not a line of the file the user did not change.
    """
    # The text travels in the context, not the template: pydantic fills ``{name}``
    # placeholders from the context, and a user's name may hold braces.
    return PydanticCustomError(RULE_ERROR, "{message}", {"at": at, "also": tuple(also), "message": message})


def raise_rules(title: str, problems: Sequence[PydanticCustomError]) -> None:
    """Raise every rule problem a model validator found at once (nothing when there are none).

    A validator that stopped at its first problem would show one per try; pydantic takes
    a ``ValidationError`` raised inside a validator as all of its line errors.
    """
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise ValidationError.from_exception_data(
            title, [InitErrorDetails(type=problem, loc=(), input=None) for problem in problems]
        )


@dataclass(frozen=True)
class TaggedUnion:
    """Which key tells a union's members apart (``pattern``, ``dist``), and its values."""

    tag: str
    noun: str
    choices: tuple[str, ...]


#: The error type of each tagged union's discriminator → its tag, so the loader can
#: point at an unknown tag's value and suggest the nearest choice.
TAGGED_UNIONS: dict[str, TaggedUnion] = {}


def tagged_union(
    tag_of: Callable[[Any], Hashable],
    error_type: str,
    message: str,
    *,
    tag: str,
    noun: str,
    choices: Sequence[str],
) -> Discriminator:
    """A pydantic discriminator for a union told apart by the key ``tag``, registered by error type."""
    TAGGED_UNIONS[error_type] = TaggedUnion(tag, noun, tuple(choices))
    return Discriminator(tag_of, custom_error_type=error_type, custom_error_message=message)


def shown(value: object) -> str:
    """A user's value as a message repeats it: quoted, escaped and cut short.

    ``repr`` escapes CR, LF and every other control character, so no value can break
    a message over lines; a long value is cut to :data:`SHOWN_CHARACTERS`. YAML's own
    words stand for what it read them as: ``null``, ``true``, ``false`` (not Python's).
    """
    if value is None or isinstance(value, bool):
        return "null" if value is None else str(value).lower()
    text = repr(value)
    return text if len(text) <= SHOWN_CHARACTERS else text[: SHOWN_CHARACTERS - 3] + "..."


def one_line(text: str) -> str:
    """``text`` with every character that is not printable escaped (``\\n``, ``\\x07``)."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)
