"""Reading scenarios: every problem is one exact `PATH:LINE:COL: key: message` line."""

from __future__ import annotations

from pathlib import Path

import pytest

from checkout_sim import Problem, ScenarioError, load_scenario, parse_scenario
from checkout_sim.cli import main

BAD = Path(__file__).parent / "bad_scenarios"
SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
BANK = SCENARIOS / "bank.yaml"
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
    """A corpus file's `# error:` lines as printed: located ones by position, then `--flag` ones."""
    texts = comments(path, "# error: ")
    located = [f"{path}:{text}" for text in texts if not text.startswith("--")]
    located.sort(key=lambda line: tuple(int(n) for n in line[len(str(path)) + 1 :].split(":")[:2]))
    return located + [text for text in texts if text.startswith("--")]


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
    assert scenario.tills()[0].count == 5
    assert scenario.products[0].checkout_time.mean == 10.0
    assert scenario.queue.capacity == 3
    assert scenario.drain is False


def test_override_with_wrong_type_names_the_flag() -> None:
    """A --set value of the wrong type is reported against the --set and its text, with no position."""
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(SMALL, "s.yaml", overrides=["cashiers.count=many"])
    assert str(caught.value) == "--set cashiers.count=many: cashiers.count: expected a whole number"
    assert caught.value.problems[0].line is None


def test_override_of_unknown_path_is_an_error() -> None:
    """--set of a key that does not exist is an unknown key; a bad index is refused."""
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(SMALL, "s.yaml", overrides=["cashiers.cuont=3"])
    assert str(caught.value) == "--set cashiers.cuont=3: cashiers.cuont: unknown key (did you mean 'count'?)"
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(SMALL, "s.yaml", overrides=["products.7.name=x"])
    assert str(caught.value) == "--set products.7.name=x: products: has no entry 7 (it has 1)"
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(SMALL, "s.yaml", overrides=["justakey"])
    assert str(caught.value) == "--set justakey: expected KEY=VALUE"


def test_set_of_an_unknown_key_names_the_flag_not_an_unrelated_line(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """`--set cashier.count=5` on bank.yaml: the flag and its text, a hint, and no `bank.yaml:5:1`."""
    assert main([str(BANK), "--set", "cashier.count=5", "--check"]) == 2
    assert (
        capfd.readouterr().err == "--set cashier.count=5: cashier: unknown key (did you mean 'cashiers'?)\n"
    )


def test_file_problems_come_before_flag_problems() -> None:
    """Problems in the file are listed by position, then those from flags in the order given."""
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(
            SMALL.replace("duration: 1h", "duration: soon"),
            "s.yaml",
            ["cashiers.count=0", "queue.capacity=0"],
        )
    assert str(caught.value).splitlines() == [
        "s.yaml:2:11: duration: cannot read 'soon' as a duration (units: ms, s, sec, m, min, h, hr, d)",
        "--set queue.capacity=0: queue.capacity: must be at least 1",
        "--set cashiers.count=0: cashiers.count: must be at least 1",
    ]


def test_set_warning_names_the_flag(capfd: pytest.CaptureFixture[str]) -> None:
    """A --set value that has no effect is a warning against the flag, not a line of the file."""
    assert main([str(BANK), "--set", "speed=3600", "--check"]) == 0
    assert capfd.readouterr().err == (
        f"--set speed=3600: speed: warning: has no effect in the virtual clock\n{BANK}: ok (1 warning)\n"
    )


def test_speed_flag_on_the_virtual_clock_warns(capfd: pytest.CaptureFixture[str]) -> None:
    """`--speed 3600` on the virtual clock warns, naming `--speed 3600`; with --clock realtime it does not."""
    assert main([str(BANK), "--speed", "3600", "--check"]) == 0
    assert capfd.readouterr().err == (
        f"--speed 3600: speed: warning: has no effect in the virtual clock\n{BANK}: ok (1 warning)\n"
    )
    assert main([str(BANK), "--clock", "realtime", "--speed", "3600", "--check"]) == 0
    assert capfd.readouterr().err == f"{BANK}: ok\n"


def test_speed_flag_is_validated_like_the_key(capfd: pytest.CaptureFixture[str]) -> None:
    """`--speed` beyond the speed bound is a one-line error naming the flag, exit 2."""
    assert main([str(BANK), "--clock", "realtime", "--speed", "1e12", "--check"]) == 2
    assert capfd.readouterr().err == "--speed 1e12: speed: must be at most 1000000000\n"


@pytest.mark.parametrize(
    ("change", "line"),
    [
        (
            ("{pattern: poisson, rate: 30/h}", "{pattern: poison, rate: 30/h}"),
            "s.yaml:4:21: arrivals.pattern: unknown pattern 'poison' (did you mean 'poisson'?); "
            "expected poisson, constant, batch, schedule, trace or profile",
        ),
        (
            ("checkout_time: 5s", "checkout_time: {dist: exponental, mean: 5s}"),
            "s.yaml:3:44: products.0.checkout_time.dist: unknown distribution 'exponental' "
            "(did you mean 'exponential'?); expected exponential, uniform, normal, lognormal, "
            "triangular, gamma or empirical",
        ),
        (
            ("duration: 1h", "duration: 1h\nbasket: {items: {dist: uniform, low: 1, high: 3}}"),
            "s.yaml:3:24: basket.items.dist: unknown distribution 'uniform' (did you mean 'uniform_int'?); "
            "expected uniform_int, poisson or empirical",
        ),
        (
            ("duration: 1h", "duration: 1h\nqueue: {kind: fifp}"),
            "s.yaml:3:15: queue.kind: unknown value 'fifp' (did you mean 'fifo'?); "
            "expected fifo, lifo or priority",
        ),
        (
            ("duration: 1h", "duration: 1h\nqueue: {when_full: wiat}"),
            "s.yaml:3:20: queue.when_full: unknown value 'wiat' (did you mean 'wait'?); "
            "expected wait or balk",
        ),
        (
            ("duration: 1h", "duration: 1h\nclock: virtaul"),
            "s.yaml:3:8: clock: unknown value 'virtaul' (did you mean 'virtual'?); "
            "expected virtual or realtime",
        ),
    ],
    ids=["pattern", "dist", "count-dist", "kind", "when_full", "clock"],
)
def test_unknown_choice_points_at_the_value_with_a_hint(change: tuple[str, str], line: str) -> None:
    """A misspelt pattern, dist, kind, when_full or clock is shown at its value, with the nearest choice."""
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(SMALL.replace(*change), "s.yaml")
    assert str(caught.value) == line


@pytest.mark.parametrize(
    ("path", "assignment", "line"),
    [
        (
            "corner_shop.yaml",
            "products.0.checkout_time=1e308",
            "--set products.0.checkout_time=1e308: products.0.checkout_time: "
            "must be at most 1000000000 seconds (about 31 years)",
        ),
        (
            "bank.yaml",
            "cashiers.payment_time=1e308",
            "--set cashiers.payment_time=1e308: cashiers.payment_time: "
            "must be at most 1000000000 seconds (about 31 years)",
        ),
        (
            "corner_shop.yaml",
            f"queue.capacity={10**30}",
            f"--set queue.capacity={10**30}: queue.capacity: must be at most 1000000",
        ),
        (
            "vip_priority.yaml",
            f"segments.0.priority={2**64}",
            f"--set segments.0.priority={2**64}: segments.0.priority: must be at most 1000000000",
        ),
        (
            "vip_priority.yaml",
            f"segments.0.priority=-{2**64}",
            f"--set segments.0.priority=-{2**64}: segments.0.priority: must be at least -1000000000",
        ),
        (
            "corner_shop.yaml",
            f"basket.items={2**64}",
            f"--set basket.items={2**64}: basket.items: must be at most 10000",
        ),
        (
            "corner_shop.yaml",
            "basket.items=10000000",
            "--set basket.items=10000000: basket.items: must be at most 10000",
        ),
    ],
)
def test_values_that_crashed_the_run_are_refused_at_load(
    capfd: pytest.CaptureFixture[str], path: str, assignment: str, line: str
) -> None:
    """Numbers that passed validation and then overflowed, or ate memory, are one line and exit 2."""
    assert main([str(SCENARIOS / path), "--set", assignment, "--check"]) == 2
    assert capfd.readouterr().err == line + "\n"


def test_control_character_in_the_file_is_a_positioned_yaml_error(
    capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`name: a<BEL>` is `PATH:1:8: (yaml): …` on one line and exit 2, not a two-line ReaderError."""
    path = tmp_path / "bell.yaml"
    path.write_bytes(b"name: a\x07\n")
    assert main([str(path)]) == 2
    assert capfd.readouterr().err == f"{path}:1:8: (yaml): control character '\\x07' is not allowed in YAML\n"
    path.write_bytes(b"name: a\nduration: 1h\r\nproducts: [\x1b]\n")
    assert main([str(path)]) == 2
    assert (
        capfd.readouterr().err == f"{path}:3:12: (yaml): control character '\\x1b' is not allowed in YAML\n"
    )


def test_control_characters_in_a_set_value_stay_on_one_line() -> None:
    """A control character in a --set value is refused in one line that shows it escaped."""
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(SMALL, "s.yaml", ["name=a\x07\nb"])
    assert str(caught.value) == (
        "--set name=a\\x07\\nb: name: cannot read the value: control character '\\x07' is not allowed in YAML"
    )


def test_value_with_cr_lf_is_echoed_escaped_on_one_line() -> None:
    """`duration: "\\r\\n"` gives one line with the value escaped, not a message split over lines."""
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(SMALL.replace("duration: 1h", 'duration: "\\r\\n"'), "s.yaml")
    assert str(caught.value) == (
        "s.yaml:2:11: duration: cannot read '\\r\\n' as a duration (units: ms, s, sec, m, min, h, hr, d)"
    )
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(SMALL.replace("name: s", '"na\\r\\nme": s'), "s.yaml")
    assert str(caught.value).splitlines() == [
        "s.yaml:1:1: name: required key is missing",
        "s.yaml:1:1: 'na\\r\\nme': unknown key (did you mean 'name'?)",
    ]


def test_a_long_value_is_cut_short_in_a_message() -> None:
    """A huge unreadable value is quoted in at most 60 characters."""
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(SMALL.replace("duration: 1h", "duration: " + "x" * 100_000), "s.yaml")
    assert str(caught.value) == (
        f"s.yaml:2:11: duration: cannot read '{'x' * 56}..."
        " as a duration (units: ms, s, sec, m, min, h, hr, d)"
    )


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
    """A path that does not exist is one line with no position, not a traceback."""
    with pytest.raises(ScenarioError) as caught:
        load_scenario("no/such/file.yaml")
    assert str(caught.value) == "no/such/file.yaml: (file): no such file"


def test_missing_file_suggests_the_nearest_name(
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`run-scenario scenarios/blackfriday.yaml` says "no such file" and names black_friday.yaml; exit 2."""
    monkeypatch.chdir(SCENARIOS.parent)
    assert main(["scenarios/blackfriday.yaml"]) == 2
    assert capfd.readouterr().err == (
        "scenarios/blackfriday.yaml: (file): no such file (did you mean 'scenarios/black_friday.yaml'?)\n"
    )
    assert main(["scenarios/supermarket_on_mars.yaml"]) == 2
    assert capfd.readouterr().err == "scenarios/supermarket_on_mars.yaml: (file): no such file\n"


def test_an_unreadable_file_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """A file without read permission is `PATH: (file): permission denied`, with no position."""

    def refuse(path: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(ScenarioError) as caught:
        load_scenario("locked.yaml")
    assert str(caught.value) == "locked.yaml: (file): permission denied"


def test_a_directory_is_one_clear_line(capfd: pytest.CaptureFixture[str]) -> None:
    """A folder given as the scenario is one line with no position, exit 2."""
    assert main([str(SCENARIOS)]) == 2
    assert capfd.readouterr().err == f"{SCENARIOS}: (file): is a directory, not a scenario file\n"


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
