"""The shared configuration of every scenario model, and the error for rules across keys."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic_core import PydanticCustomError

__all__ = ["RULE_ERROR", "Model", "rule_error"]

#: The pydantic error type of :func:`rule_error`; the loader reads its ``at`` context.
RULE_ERROR = "scenario_rule"


class Model(BaseModel):
    """Strict, frozen, closed: a typo is an error and a quoted ``"5"`` is not a number."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        allow_inf_nan=False,
        validate_default=False,
    )


def rule_error(at: str, message: str) -> PydanticCustomError:
    """An error for a rule that involves several keys, pinned to the key ``at`` (dotted).

    A model validator only knows its own location; ``at`` lets the loader point the
    user at the offending key inside it (``scaling.max``, ``phases.2.until``).
    """
    return PydanticCustomError(RULE_ERROR, message, {"at": at})
