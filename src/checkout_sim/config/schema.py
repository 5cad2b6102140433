"""Writes ``schemas/scenario.schema.json`` from the pydantic models.

Regenerate after changing a model: ``python -m checkout_sim.config.schema > schemas/scenario.schema.json``
(a test fails while the committed file is stale).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from .scenario import Scenario

__all__ = ["scenario_json_schema"]


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario file, for editors and validators."""
    schema = Scenario.model_json_schema()
    # ``cashiers`` (with ``queue``) or ``lanes``: the model fills in a missing cashiers for lanes.
    schema["required"] = [key for key in schema["required"] if key != "cashiers"]
    schema["properties"]["cashiers"] = {"$ref": "#/$defs/Cashiers"}
    schema["oneOf"] = [{"required": ["cashiers"]}, {"required": ["lanes"], "not": {"required": ["queue"]}}]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "checkout-sim scenario",
        **{key: value for key, value in schema.items() if key != "title"},
    }


def render() -> str:
    """The schema file's exact text."""
    return json.dumps(scenario_json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
