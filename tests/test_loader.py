"""Reading scenarios: every problem is one exact `PATH:LINE:COL: key: message` line."""

from __future__ import annotations

from pathlib import Path

import pytest

from checkout_sim import Problem, ScenarioError, load_scenario, parse_scenario
from checkout_sim.cli import main

BAD = Path(__file__).parent / "bad_scenarios"
BAD_FILES = sorted(BAD.glob("*.yaml"))
SMALL = (
    "name: s\nduration: 1h\nproducts: [{name: a, checkout_time: 5s}]\n"
    "arrivals: {pattern: poisson, rate: 30/h}\ncashiers: {count: 1}\n"
)


def comments(path: Path, prefix: str) -> list[str]:
    """The text after ``prefix`` on each comment line that starts with it (bytes-safe)."""
    lines = path.read_bytes().decode("utf-8", errors="replace").splitlines()
    return [line.removeprefix(prefix) for line in lines if line.startswith(prefix)]


def expected_errors(path: Path) -> list[str]:
    """The `# error: LINE:COL: key: message` comments of a corpus file, with the path, by position."""
    lines = [f"{path}:{line}" for line in comments(path, "# error: ")]
    return sorted(lines, key=lambda line: tuple(int(n) for n in line[len(str(path)) + 1 :].split(":")[:2]))


def overrides(path: Path) -> list[str]:
    """The `# set: KEY=VALUE` comments of a corpus file: --set options to apply."""
    return comments(path, "# set: ")


def test_corpus_covers_the_issue_list() -> None:
    """At least 50 malformed scenarios, each with its expected error lines."""
    assert len(BAD_FILES) >= 50
    assert all(expected_errors(path) for path in BAD_FILES)


@pytest.mark.parametrize("path", BAD_FILES, ids=[p.stem for p in BAD_FILES])
def test_bad_scenario_gives_exact_positioned_errors(path: Path) -> None:
    """Each malformed scenario fails with exactly the listed lines, sorted by position."""
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, overrides(path))
    assert str(caught.value).splitlines() == expected_errors(path)


@pytest.mark.parametrize("path", BAD_FILES, ids=[p.stem for p in BAD_FILES])
def test_bad_scenario_on_the_command_line_exits_2(path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """run-scenario prints exactly those lines on stderr, nothing on stdout, and exits 2."""
    options = [option for assignment in overrides(path) for option in ("--set", assignment)]
    assert main([str(path), *options]) == 2
    out, err = capfd.readouterr()
    assert out == ""
    assert err.splitlines() == expected_errors(path)


def test_yaml_12_scalars_mean_what_they_say() -> None:
    """`no` stays a string, `1:30` is not 90 seconds, and dates are not dates."""
    scenario = parse_scenario(
        "name: no\nduration: 1h\nproducts: [{name: 2024-01-01, checkout_time: 5s}]\n"
        "arrivals: {pattern: poisson, rate: 30/h}\ncashiers: {count: 1}\n"
    )
    assert scenario.name == "no"
    assert scenario.products[0].name == "2024-01-01"


def test_overrides_set_nested_keys_and_list_items() -> None:
    """--set reaches any key by dotted path, list items by index, values read as YAML."""
    text = SMALL
    scenario = parse_scenario(
        text,
        overrides=[
            "cashiers.count=5",
            "products.0.checkout_time={dist: exponential, mean: 10s}",
            "queue.capacity=3",
            "drain=false",
        ],
    )
    assert scenario.cashiers.count == 5
    assert scenario.products[0].checkout_time.mean == 10.0
    assert scenario.queue.capacity == 3
    assert scenario.drain is False


def test_override_with_wrong_type_points_at_the_key() -> None:
    """A --set value of the wrong type is reported at the key it replaced, naming the --set."""
    text = SMALL
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "s.yaml", overrides=["cashiers.count=many"])
    assert (
        str(caught.value)
        == "s.yaml:5:19: cashiers.count: expected a whole number (from --set cashiers.count=many)"
    )


def test_override_of_unknown_path_is_an_error() -> None:
    """--set of a key that does not exist is an unknown key; a bad index is refused."""
    text = SMALL
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "s.yaml", overrides=["cashiers.cuont=3"])
    assert (
        str(caught.value)
        == "s.yaml:5:11: cashiers.cuont: unknown key (did you mean 'count'?) (from --set cashiers.cuont=3)"
    )
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "s.yaml", overrides=["products.7.name=x"])
    assert (
        str(caught.value)
        == "s.yaml:3:11: --set products.7.name: cannot set products.7.name: products has no entry 7"
    )
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "s.yaml", overrides=["justakey"])
    assert str(caught.value) == "s.yaml:1:1: --set: expected KEY=VALUE, got 'justakey'"


def test_alias_bomb_is_refused() -> None:
    """A billion-laughs document is refused before it can use much memory."""
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    with pytest.raises(ScenarioError) as caught:
        parse_scenario("\n".join(lines), "bomb.yaml")
    assert "more than 100,000 values" in str(caught.value)


def test_non_utf8_bytes_are_reported_at_their_position() -> None:
    """Bytes that are not UTF-8 are an error at the line and column where they are."""
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(b"name: caf\xe9\n", "latin1.yaml")
    assert str(caught.value) == "latin1.yaml:1:10: (file): not UTF-8: byte 0xe9"


def test_missing_file_is_a_scenario_error() -> None:
    """A path that does not exist is reported like any other problem, not a traceback."""
    with pytest.raises(ScenarioError) as caught:
        load_scenario("no/such/file.yaml")
    assert str(caught.value) == "no/such/file.yaml:1:1: (file): No such file or directory"


def test_warnings_for_settings_without_effect() -> None:
    """A priority on a FIFO queue is valid but has no effect: a positioned warning."""
    warnings: list[Problem] = []
    parse_scenario(
        "name: s\nduration: 1h\nproducts: [{name: a, checkout_time: 5s}]\n"
        "segments: [{name: vip, priority: -1}, {name: rest}]\n"
        "arrivals: {pattern: poisson, rate: 30/h}\ncashiers: {count: 1}\n",
        "w.yaml",
        on_warning=warnings.append,
    )
    assert [str(w) for w in warnings] == [
        "w.yaml:4:34: segments.0.priority: warning: has no effect on a fifo queue"
    ]


def test_shipped_scenarios_load_without_warnings() -> None:
    """Every scenario in scenarios/ is valid and warning-free."""
    from conftest import SCENARIOS

    for path in sorted(SCENARIOS.glob("*.yaml")):
        warnings: list[Problem] = []
        load_scenario(path, on_warning=warnings.append)
        assert warnings == [], path


def test_deep_nesting_is_refused() -> None:
    """A document nested 60 levels deep is refused with a clear line, not a RecursionError."""
    text = "name: " + "[" * 60 + "]" * 60 + "\n"
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "deep.yaml")
    assert str(caught.value) == "deep.yaml:1:57: (yaml): the document is nested more than 50 levels deep"
