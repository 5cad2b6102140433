"""A mutation fuzzer: broken variants of the shipped scenarios give one-line errors or run cleanly.

Each mutant is a shipped scenario (scenarios/*.yaml) with one to three mutations:
a value replaced by an extreme one (0, -1, 1e308, 2**64, 10**30, NaN-like strings,
huge strings, control characters, CR/LF, a bound and one past it), a key deleted or
added, a type changed, a line duplicated or deleted, a control character inserted
into the text, or a value given through ``--set`` instead of the file. Then
``parse_scenario`` must either return a Scenario or raise ScenarioError whose every
problem prints as one line; a mutant that validates is run (virtual clock, at most
a few customers) and must finish within a time budget, with no exception but the
documented Overloaded, and a log of strict JSON lines.

The seed is fixed, so a failure names a mutant that reproduces. CI runs a few
hundred mutants; ``CHECKOUT_SIM_MUTATIONS=5000 pytest tests/test_mutations.py``
runs thousands (``CHECKOUT_SIM_MUTATION_SEED`` picks another seed).
"""

from __future__ import annotations

import copy
import io
import json
import math
import os
import random
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

import pytest
import yaml

from checkout_sim import Scenario, ScenarioError, parse_scenario, run
from checkout_sim.config.loader import Override
from checkout_sim.config.scenario import Cashiers, Lane
from checkout_sim.engine.shop import Overloaded

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
MUTANTS = int(os.environ.get("CHECKOUT_SIM_MUTATIONS", "500"))
SEED = int(os.environ.get("CHECKOUT_SIM_MUTATION_SEED", "20261127"))
#: Customers and lanes in a validated mutant's run; wall seconds it may take.
CUSTOMERS = 5
LANES = 100
BUDGET = 20

#: Values a mutation may put anywhere: extremes, bounds and one past them, bad text.
EXTREMES: list[Any] = [
    0,
    -1,
    1,
    0.5,
    1e308,
    -1e308,
    5e-324,
    2**31,
    2**63,
    2**64,
    10**30,
    -(2**64),
    10_000,
    10_001,
    1_000_000,
    1_000_001,
    1e9,
    1e9 + 1,
    1e12,
    1e13,
    1e-9,
    1e-10,
    float("nan"),
    float("inf"),
    "nan",
    ".nan",
    ".inf",
    "-.inf",
    "1e308",
    "1e400s",
    "1e308h",
    "31y",
    "1e9s",
    "11574d",
    "-5s",
    "0s",
    "1/0s",
    "1e308/s",
    "1e9/s",
    "1/1e9s",
    "1/1e10s",
    "x" * 100_000,
    "\x07",
    "\x00",
    "\x1b[31m",
    "\r\n",
    "5s\r\n",
    "a\u2028b",
    "\ufeff",
    "",
    None,
    True,
    False,
    [],
    {},
    [1e308],
    {"dist": "exponential", "mean": 1e9},
    {"dist": "exponential", "mean": 5e-324},
    {"dist": "lognormal", "mean": 5e-324, "sd": 1e9},
    {"dist": "lognormal", "mean": 1e-3, "sd": 1e3},
    {"dist": "gamma", "shape": 1e6, "scale": 1e9},
    {"dist": "gamma", "shape": 5e-324, "scale": 1e9},
    {"dist": "normal", "mean": 1e9, "sd": 1e9},
    {"dist": "triangular", "low": 0, "mode": 1e9, "high": 1e9},
    {"dist": "poisson", "mean": 1e9},
    {"dist": "poisson", "mean": 10_000},
    {"dist": "uniform_int", "low": 0, "high": 2**64},
    {"dist": "uniform_int", "low": 9_999, "high": 10_000},
    {"dist": "empirical", "values": [1e9, 0], "weights": [1e12, 1e12]},
    {"dist": "empirical", "values": [10_000, 0], "weights": [1e12, 5e-324]},
    {"pattern": "batch", "every": 5e-324, "size": 1_000_000},
    {"pattern": "constant", "rate": 1e9},
    {"pattern": "poisson", "rate": 1e-9},
    {"pattern": "schedule", "phases": [{"until": 1e9, "rate": 5e-324}]},
    "poison",
    "exponental",
    "uniform",
    "virtaul",
    "fifp",
    "wiat",
]
CONTROL = [chr(code) for code in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0xFFFE)]


@dataclass
class Mutant:
    """A scenario text, the ``--set`` overrides to apply, and how it was made."""

    text: str
    overrides: list[Override]
    steps: list[str]


# --- mutations -------------------------------------------------------------------


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in the data: each mapping value and list item, containers included."""
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


def _replace(rng: random.Random, data: Any) -> str:
    path = rng.choice([p for p in _paths(data) if p])
    value = copy.deepcopy(rng.choice(EXTREMES))
    _parent(data, path)[path[-1]] = value
    return f"replace {path} with {value!r:.80}"


def _delete(rng: random.Random, data: Any) -> str:
    path = rng.choice([p for p in _paths(data) if p])
    del _parent(data, path)[path[-1]]
    return f"delete {path}"


def _retype(rng: random.Random, data: Any) -> str:
    path = rng.choice([p for p in _paths(data) if p])
    parent, value = _parent(data, path), _parent(data, path)[path[-1]]
    parent[path[-1]] = rng.choice([[value], str(value), {"value": value}, {"dist": value}])
    return f"retype {path}"


def _add_key(rng: random.Random, data: Any) -> str:
    mappings = [p for p in _paths(data) if isinstance(_parent(data, (*p, None)), dict)]
    path = rng.choice(mappings)
    key = rng.choice(["extra", "cashier", "rate", "dist", "pattern", "limit", "\x07", "a\r\nb", "x" * 500])
    _parent(data, (*path, None))[key] = copy.deepcopy(rng.choice(EXTREMES))
    return f"add key {key!r:.40} at {path}"


#: Numbers, times and rates at the bounds or just inside them, of the leaf's own kind:
#: most such mutants validate, and their runs take the engine to its limits.
EDGES: dict[str, list[Any]] = {
    "int": [0, 1, 10_000, 1_000_000, 10**9],
    "float": [0.0, 1e-9, 5e-324, 1e6, 1e9, 1e12],
    "time": ["0s", "1ms", "1e9s", "11574d", "5e-324s"],
    "rate": ["1e9/s", "1/1e9s", "30/h"],
}


def _kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return "int" if isinstance(value, int) else "float"
    if isinstance(value, str) and value[:1].isdigit():
        return "rate" if "/" in value else "time"
    return None  # a name or a tag


def _edge(rng: random.Random, data: Any) -> str:
    leaves = [p for p in _paths(data) if p and _kind(_parent(data, p)[p[-1]]) is not None]
    path = rng.choice(leaves)
    value = rng.choice(EDGES[str(_kind(_parent(data, path)[path[-1]]))])
    _parent(data, path)[path[-1]] = value
    return f"edge {path} = {value!r}"


DATA_MUTATIONS: list[Callable[[random.Random, Any], str]] = [
    *[_replace] * 3,
    *[_edge] * 4,
    _delete,
    _retype,
    _add_key,
]


def _insert_control(rng: random.Random, text: str) -> tuple[str, str]:
    at, char = rng.randrange(len(text) + 1), rng.choice([*CONTROL, "\r", "\r\n", "\t"])
    return text[:at] + char + text[at:], f"insert {char!r} at {at}"


def _duplicate_line(rng: random.Random, text: str) -> tuple[str, str]:
    lines = text.splitlines(keepends=True)
    at = rng.randrange(len(lines))
    return "".join([*lines[: at + 1], lines[at], *lines[at + 1 :]]), f"duplicate line {at + 1}"


def _delete_line(rng: random.Random, text: str) -> tuple[str, str]:
    lines = text.splitlines(keepends=True)
    at = rng.randrange(len(lines))
    return "".join(lines[:at] + lines[at + 1 :]), f"delete line {at + 1}"


def _truncate(rng: random.Random, text: str) -> tuple[str, str]:
    at = rng.randrange(len(text) + 1)
    return text[:at], f"truncate at {at}"


TEXT_MUTATIONS: list[Callable[[random.Random, str], tuple[str, str]]] = [
    _insert_control,
    _duplicate_line,
    _delete_line,
    _truncate,
]


def _flow(value: Any) -> str:
    """A value as a one-line YAML flow text, as it would follow ``--set KEY=``."""
    if isinstance(value, str) and any(char in value for char in CONTROL):
        return value  # control characters go onto the command line as they are
    return str(yaml.safe_dump(value, default_flow_style=True, width=math.inf)).removesuffix("\n...\n").strip()


def _override(rng: random.Random, data: Any) -> Override:
    path = rng.choice([p for p in _paths(data) if p])
    dotted = ".".join(str(part) for part in path)
    if rng.random() < 0.2:
        dotted += rng.choice([".extra", ".0", ".7.name"])
    assignment = f"{dotted}={_flow(rng.choice(EXTREMES))}"
    if rng.random() < 0.3:
        key, _, values = assignment.partition("=")
        return Override(assignment, f"--sweep {key}=1,{values}", f"value {values}")
    return Override(assignment)


def mutants(count: int, seed: int) -> Iterator[tuple[int, Mutant]]:
    """``count`` mutants of the shipped scenarios, the same ones for the same seed."""
    rng = random.Random(seed)
    originals = [path.read_text(encoding="utf-8") for path in sorted(SCENARIOS.glob("*.yaml"))]
    for number in range(count):
        original = rng.choice(originals)
        data = yaml.safe_load(original)
        steps: list[str] = []
        overrides: list[Override] = []
        edges_only = rng.random() < 0.4  # valid but extreme: these reach the engine
        for _ in range(rng.choice([1, 1, 2, 3])):
            kind = rng.random()
            if edges_only:
                steps.append(_edge(rng, data))
            elif kind < 0.6:
                steps.append(rng.choice(DATA_MUTATIONS)(rng, data))
            elif kind < 0.8:
                overrides.append(_override(rng, data))
                steps.append(f"--set {overrides[-1].assignment!r:.100}")
            else:
                steps.append("text")  # applied to the dumped text below
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=math.inf)
        for index, step in enumerate(steps):
            if step == "text":
                text, steps[index] = rng.choice(TEXT_MUTATIONS)(rng, text)
        yield number, Mutant(text, overrides, steps)


# --- the checks ------------------------------------------------------------------


class _OverBudget(Exception):
    """A run took longer than its wall-clock budget."""


@contextmanager
def _budget(seconds: int) -> Iterator[None]:
    """Raise _OverBudget in the run if it goes on for more than ``seconds`` of wall time."""

    def expire(signal_number: int, frame: FrameType | None) -> None:
        raise _OverBudget(f"over {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _small(scenario: Scenario) -> Scenario:
    """The scenario on the virtual clock with at most a few customers and tills (in each lane group).

    The tills are capped so the test's time goes on many mutants, not on a few with
    thousands of cashier tasks.
    """
    limit = min(scenario.arrivals.limit or CUSTOMERS, CUSTOMERS)
    arrivals = scenario.arrivals.model_copy(update={"limit": limit})
    if scenario.lanes is not None:
        lanes = [_few(lane) for lane in scenario.lanes]
        return scenario.model_copy(update={"arrivals": arrivals, "lanes": lanes, "clock": "virtual"})
    cashiers = scenario.cashiers
    assert cashiers is not None
    cashiers = _few(cashiers)
    return scenario.model_copy(update={"arrivals": arrivals, "cashiers": cashiers, "clock": "virtual"})


T = TypeVar("T", Cashiers, Lane)


def _few(tills: T) -> T:
    """Cashiers or a lane group with at most LANES tills, open at first or ever."""
    scaling = tills.scaling
    if scaling is not None:
        scaling = scaling.model_copy(update={"max": min(scaling.max, LANES)})
    count = tills.count if tills.count is None else min(tills.count, LANES)  # None: a roster
    return tills.model_copy(update={"count": count, "scaling": scaling})


def _parsed(mutant: Mutant) -> Scenario | ScenarioError:
    try:
        return parse_scenario(mutant.text, "mutant.yaml", mutant.overrides)
    except ScenarioError as error:
        return error


def check(mutant: Mutant) -> str:
    """Raise AssertionError unless the mutant fails cleanly or runs cleanly; say which it did."""
    scenario = _parsed(mutant)
    if isinstance(scenario, ScenarioError):
        assert scenario.problems, "a ScenarioError without problems"
        for problem in scenario.problems:
            line = str(problem)
            assert line.isprintable(), f"not one printable line: {line!r:.300}"
            assert len(line) < 2_000, f"a problem line of {len(line)} characters"
        assert str(scenario) == "\n".join(str(problem) for problem in scenario.problems)
        return "refused"
    log = io.BytesIO()
    with _budget(BUDGET):
        try:
            run(_small(scenario), seed=1, log=log, item_events=len(mutant.text) % 2 == 0)
        except Overloaded:
            return "overloaded"
    for event in log.getvalue().splitlines():
        json.loads(event, parse_constant=_no_constants)
    return "ran"


def _no_constants(name: str) -> None:
    raise AssertionError(f"the log holds {name}")


def test_mutants_fail_with_one_line_errors_or_run_cleanly() -> None:
    """Every mutant of a shipped scenario is refused in single lines or runs to the end without a crash."""
    outcomes: dict[str, int] = {}
    started = time.perf_counter()
    for number, mutant in mutants(MUTANTS, SEED):
        try:
            outcome = check(mutant)
        except BaseException as error:
            if isinstance(error, KeyboardInterrupt):
                raise
            pytest.fail(
                f"mutant {number} (seed {SEED}): {'; '.join(mutant.steps)}\n"
                f"{type(error).__name__}: {error}\n--- text ---\n{mutant.text[:3000]}"
            )
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    elapsed = time.perf_counter() - started
    # Both ways out must be exercised, or the mutations are too timid (or too wild).
    assert outcomes.get("refused", 0) > MUTANTS // 10, outcomes
    assert outcomes.get("ran", 0) > MUTANTS // 5, outcomes
    print(f"{MUTANTS} mutants in {elapsed:.1f}s: {outcomes}")
