"""Reading a long scenario costs in proportion to its length (issue 21, item 4).

10,000 schedule phases used to double the time of a 200,000-customer run, all of it in
reading the file (PyYAML's own parser, and the garbage collector walking the document
again and again). The work is counted here, not timed: the Python functions called while
a scenario is read and checked, which a quadratic step anywhere in Python would square,
and the collector's passes, which the loader pauses. A wall-clock ratio with a wide margin
backs the count up for work done in C.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
import yaml

from checkout_sim import parse_scenario
from checkout_sim.config import loader


def schedule(phases: int, folder: Path) -> str:
    """A scenario whose arrivals follow ``phases`` phases of a minute each."""
    rows = "\n".join(f"    - {{until: {index + 1}min, rate: {60 + index % 7}/h}}" for index in range(phases))
    return (
        f"name: many phases\nduration: {phases}min\nproducts: [{{name: a, checkout_time: 5s}}]\n"
        f"arrivals:\n  pattern: schedule\n  phases:\n{rows}\ncashiers: {{count: 3}}\n"
    )


def profile_counts(intervals: int, folder: Path) -> str:
    """A scenario whose arrivals follow a profile of ``intervals`` counts, written in it."""
    counts = ", ".join(str(1 + index % 7) for index in range(intervals))
    return (
        "name: many counts\nproducts: [{name: a, checkout_time: 5s}]\n"
        f"arrivals: {{pattern: profile, interval: 1min, counts: [{counts}]}}\ncashiers: {{count: 3}}\n"
    )


def profile_file(intervals: int, folder: Path) -> str:
    """A scenario whose arrivals follow a profile file of ``intervals`` rows, by the clock."""
    path = folder / f"profile-{intervals}.csv"
    path.write_text("from,count\n" + "".join(f"{index}s,{1 + index % 7}\n" for index in range(intervals)))
    return (
        "name: many rows\nproducts: [{name: a, checkout_time: 5s}]\n"
        f"arrivals: {{pattern: profile, interval: 1s, file: {str(path)!r}}}\ncashiers: {{count: 3}}\n"
    )


MAKERS = [schedule, profile_counts, profile_file]
IDS = ["schedule phases", "profile counts", "profile file"]


def calls_to_read(text: str) -> int:
    """How many Python functions are called while ``text`` is read and checked (warnings included)."""
    count = 0

    def counted(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal count
        if event == "call":
            count += 1

    sys.setprofile(counted)
    try:
        parse_scenario(text, on_warning=lambda problem: None)
    finally:
        sys.setprofile(None)
    return count


def collections_while(read: Callable[[], object]) -> int:
    """How many times the cyclic garbage collector runs during ``read()``."""
    runs = 0

    def seen(phase: str, info: dict[str, int]) -> None:
        nonlocal runs
        runs += phase == "start"

    gc.callbacks.append(seen)
    try:
        read()
    finally:
        gc.callbacks.remove(seen)
    return runs


@pytest.mark.parametrize("make", MAKERS, ids=IDS)
def test_reading_grows_linearly(make: Callable[[int, Path], str], tmp_path: Path) -> None:
    """Twice the phases (or rows), twice the calls (a quadratic step would give four times as many)."""
    base = calls_to_read(make(1, tmp_path))
    small = calls_to_read(make(10_000, tmp_path)) - base
    large = calls_to_read(make(20_000, tmp_path)) - base
    assert small > 10_000  # each phase is read: the count sees the work
    assert 1.9 < large / small < 2.1, (small, large)


@pytest.mark.parametrize("make", MAKERS, ids=IDS)
def test_the_collector_does_not_walk_the_document(make: Callable[[int, Path], str], tmp_path: Path) -> None:
    """One pass of the cyclic collector for 10,000 phases, as it resumes (there were 384).

    Whatever the reading allocated is young then: the first allocation after it resumes
    starts one collection of the youngest generation.
    """
    text = make(10_000, tmp_path)
    assert collections_while(lambda: parse_scenario(text)) <= 1
    assert gc.isenabled()


@pytest.mark.parametrize("make", MAKERS, ids=IDS)
def test_reading_twice_as_much_takes_about_twice_as_long(
    make: Callable[[int, Path], str], tmp_path: Path
) -> None:
    """The best of three readings of 20,000 phases against 10,000: linear is 2, quadratic 4."""

    def best(text: str) -> float:
        times = []
        for _ in range(3):
            start = time.process_time()
            parse_scenario(text)
            times.append(time.process_time() - start)
        return min(times)

    assert best(make(20_000, tmp_path)) / best(make(10_000, tmp_path)) < 3.2


def _read(
    loader_class: type[Any], text: str
) -> tuple[Any, dict[Any, tuple[int, int]], dict[Any, tuple[int, int]]]:
    """The data a loader reads, and where each value and key is (line, column)."""
    data, document = loader._compose_with(loader_class(text))
    return (
        data,
        {path: (mark.line, mark.column) for path, mark in document.values.items()},
        {path: (mark.line, mark.column) for path, mark in document.keys.items()},
    )


def _corpus() -> list[Path]:
    root = Path(__file__).resolve().parent
    folders = (root.parent / "scenarios", root / "bad_scenarios", root / "bad_arrival_files")
    return sorted(path for folder in folders for path in folder.glob("*.yaml"))


@pytest.mark.skipif(loader._FAST is None, reason="PyYAML was built without libyaml")
@pytest.mark.parametrize("path", _corpus(), ids=lambda path: path.stem)
def test_libyaml_reads_what_pyyaml_reads(path: Path) -> None:
    """Where libyaml reads a file, the data and every position are PyYAML's; where PyYAML
    refuses one, so does libyaml (its refusal is then said in PyYAML's words)."""
    assert loader._FAST is not None
    text = path.read_bytes().decode("utf-8", errors="replace")
    try:
        expected = _read(loader._Loader, text)
    except (yaml.YAMLError, loader._YamlProblem) as refused:
        with pytest.raises(type(refused)):
            _read(loader._FAST, text)
        return
    assert _read(loader._FAST, text) == expected


def test_odd_characters_sit_where_pyyaml_puts_them() -> None:
    """Positions count characters, not bytes, after wide characters and a byte-order mark."""
    assert loader._FAST is not None
    text = "\ufeffname: «ünïcode» 🛒\nproducts: [{name: 'é€', checkout_time: 5s}]\nx: [1, {y: 2}]\n"
    assert _read(loader._FAST, text) == _read(loader._Loader, text)


def test_libyaml_reads_the_random_scenarios_as_pyyaml_does() -> None:
    """The 160 random scenarios of the golden logs, in block and in flow style."""
    assert loader._FAST is not None
    golden = Path(__file__).resolve().parent / "golden" / "random_scenarios.json"
    for data in json.loads(golden.read_text()):
        for flow in (False, True, None):
            text = yaml.safe_dump(data, sort_keys=False, default_flow_style=flow, allow_unicode=True)
            assert _read(loader._FAST, text) == _read(loader._Loader, text)
