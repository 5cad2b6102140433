"""Shared fixtures: a clean structlog, small scenarios, and a way to run the CLI."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from checkout_sim import Scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"

MINIMAL: dict[str, Any] = {
    "name": "test-shop",
    "seed": 1,
    "duration": "1h",
    "products": [{"name": "bread", "checkout_time": "5s"}],
    "arrivals": {"pattern": "poisson", "rate": "30/h"},
    "cashiers": {"count": 1},
}


@pytest.fixture(autouse=True)
def _clean_structlog() -> Iterator[None]:
    """Every test starts and ends with structlog's default global configuration."""
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


def make_scenario(**changes: Any) -> Scenario:
    """The minimal scenario with top-level keys replaced (None removes a key)."""
    data = copy.deepcopy(MINIMAL)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return Scenario.model_validate(data)
