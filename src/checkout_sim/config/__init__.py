"""The scenario format: the pydantic models, units and distributions, and reading YAML into them."""

from .loader import Override, Problem, ScenarioError, load_scenario, parse_scenario
from .scenario import MAX_CASHIERS, MAX_CUSTOMERS, MAX_WAITING, OVERLOAD_MARK, Scenario

__all__ = [
    "MAX_CASHIERS",
    "MAX_CUSTOMERS",
    "MAX_WAITING",
    "OVERLOAD_MARK",
    "Override",
    "Problem",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "parse_scenario",
]
