"""--replications and --compare-theory: confidence intervals, and theory beside the run."""

from __future__ import annotations

import dataclasses
import io
import re
from pathlib import Path

import orjson
import pytest

from checkout_sim import Summary, load_scenario, parse_scenario, replicate, run
from checkout_sim.analysis.display import format_theory
from checkout_sim.analysis.theory import birth_death, erlang_c, mg1_wait, mmc_wait, predict
from checkout_sim.cli import main
from conftest import SCENARIOS, TWO_GROUPS

BANK = str(SCENARIOS / "bank.yaml")


def test_replications_tag_every_event_with_its_run(capfd: pytest.CaptureFixture[str]) -> None:
    """With N > 1 each event carries `run` (1..N) right after t and event; seeds count up."""
    assert main([BANK, "--replications", "3", "--set", "duration=1h", "--set", "warmup=0", "--quiet"]) == 0
    events = [orjson.loads(line) for line in capfd.readouterr().out.splitlines()]
    assert all(list(e)[:3] == ["t", "event", "run"] for e in events)
    starts = [e for e in events if e["event"] == "run_started"]
    assert [(e["run"], e["seed"]) for e in starts] == [(1, 2024), (2, 2025), (3, 2026)]
    assert sorted({e["run"] for e in events}) == [1, 2, 3]


def test_single_run_events_have_no_run_field() -> None:
    """One replication keeps the plain event vocabulary."""
    buffer = io.BytesIO()
    replicate(load_scenario(SCENARIOS / "corner_shop.yaml"), 1, log=buffer)
    assert all("run" not in orjson.loads(line) for line in buffer.getvalue().splitlines())


def seconds(text: str) -> float:
    """Seconds from a duration as the summary shows it: 40.1s, 3m24s, 1h02m."""
    parts = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:([\d.]+)s)?", text)
    assert parts is not None and text, text
    hours, minutes, secs = (float(part) if part else 0.0 for part in parts.groups())
    return 3600 * hours + 60 * minutes + secs


def test_replications_report_confidence_intervals(capfd: pytest.CaptureFixture[str]) -> None:
    """The stderr report gives each figure's mean and a 95 % interval that contains it."""
    eight_hours = ["--set", "duration=8h", "--set", "warmup=0"]
    assert main([BANK, "--replications", "5", *eight_hours, "--log", "none"]) == 0
    err = capfd.readouterr().err
    assert err.startswith(
        "bank: 5 replications (seeds 2024..2028, virtual clock): "
        "mean and 95% confidence interval across runs\n"
    )
    row = re.search(r"wait\*\s+mean\s+(\S+)\s+\[(\S+), (\S+)\]", err)
    assert row is not None, err
    mean, low, high = map(seconds, row.groups())
    assert low < mean < high


def test_compare_theory_agrees_within_the_interval_for_a_long_run(capfd: pytest.CaptureFixture[str]) -> None:
    """bank.yaml, 20 replications of 200 h: every predicted figure is within its 95 % CI."""
    code = main(
        [
            BANK,
            "--compare-theory",
            "--replications",
            "20",
            "--set",
            "duration=200h",
            "--log",
            "none",
            "--quiet",
        ]
    )
    assert code == 0
    err = capfd.readouterr().err
    assert err.startswith("theory: M/M/3 (FIFO, Erlang C)\n")
    theory_wait = mmc_wait(2.7 / 60, 1 / 60, 3)
    assert f"{theory_wait:.4g}s" in err
    rows = [
        line
        for line in err.splitlines()
        if line.strip().startswith(("wait_mean", "wait_probability", "utilisation"))
    ]
    assert len(rows) == 3
    assert all(row.endswith("within CI") for row in rows), err


def test_compare_theory_single_run_shows_simulated_and_analytic(capfd: pytest.CaptureFixture[str]) -> None:
    """One run: the value ± its batch-means half-width, theory and the relative difference."""
    assert main([BANK, "--compare-theory", "--log", "none", "--quiet"]) == 0
    err = capfd.readouterr().err
    assert re.search(r"wait_probability\s+0\.\d{4} ± 0\.\d{4}\s+0\.8171\s+[+-]\d+\.\d%", err), err


def test_non_textbook_scenarios_say_there_is_no_closed_form(capfd: pytest.CaptureFixture[str]) -> None:
    """Black Friday (scaling lanes) gets a clear statement instead of numbers."""
    assert main([str(SCENARIOS / "black_friday.yaml"), "--compare-theory", "--log", "none", "--quiet"]) == 0
    assert capfd.readouterr().err == (
        "theory: not a textbook model\n  no figure has a closed form here: lanes open and close (scaling)\n"
    )


SMALL = """
name: t
arrivals: {pattern: poisson, rate: 3/min, limit: 100}
products: [{name: s, checkout_time: {dist: exponential, mean: 1min}}]
cashiers: {count: 4}
"""


def test_predictions_pick_the_right_model() -> None:
    """predict() recognises each textbook model and uses the matching formula."""
    lam, mu = 3 / 60, 1 / 60
    mmc = predict(parse_scenario(SMALL))
    assert mmc.model == "M/M/4 (FIFO, Erlang C)"
    assert mmc.figures["wait_mean"] == pytest.approx(mmc_wait(lam, mu, 4))
    assert mmc.figures["wait_probability"] == pytest.approx(erlang_c(4, 3.0))
    lifo = predict(parse_scenario(SMALL, overrides=["queue.kind=lifo"]))
    assert lifo.figures["wait_mean"] == mmc.figures["wait_mean"]
    md1 = predict(
        parse_scenario(
            SMALL, overrides=["cashiers.count=1", "arrivals.rate=0.5/min", "products.0.checkout_time=1min"]
        )
    )
    assert md1.model == "M/D/1 (Pollaczek-Khinchine)"
    assert md1.figures["wait_mean"] == pytest.approx(mg1_wait(0.5 / 60, 60, 3600))
    loss = predict(parse_scenario(SMALL, overrides=["queue.capacity=2", "queue.when_full=balk"]))
    chain = birth_death(lambda n: lam, lambda n: min(n, 4) * mu, last=6)
    assert loss.model == "M/M/4/6" and loss.figures["loss"] == pytest.approx(chain.p[6])
    dm1 = predict(
        parse_scenario(
            SMALL, overrides=["cashiers.count=1", "arrivals={pattern: constant, rate: 0.5/min, limit: 100}"]
        )
    )
    assert dm1.model == "D/M/1 (GI/M/1)"
    sigma = dm1.figures["wait_probability"]
    assert sigma == pytest.approx(2.718281828 ** (-(1 / 60) * 120 * (1 - sigma)))


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        (["basket.items={dist: poisson, mean: 2}"], "the number of items per customer is random"),
        (["basket.items=3"], "customers buy several items (service is a sum)"),
        (["cashiers.payment_time=10s"], "service is items plus a payment time (a sum)"),
        (["products.0.checkout_time={dist: lognormal, mean: 1min, sd: 1min}"], "service is lognormal"),
        (
            ["arrivals={pattern: batch, every: 1min, size: 2, limit: 10}"],
            "batch arrivals are not a Poisson process",
        ),
        (["segments=[{name: a, patience: 1min}]"], "patience is not the same exponential for everyone"),
    ],
)
def test_predictions_explain_what_is_not_textbook(overrides: list[str], reason: str) -> None:
    """Anything outside the covered models names its reason for every figure."""
    prediction = predict(parse_scenario(SMALL, overrides=overrides))
    assert prediction.figures == {}
    assert set(prediction.missing.values()) == {reason}


# --- one run's batch means for lane groups (issue 19, item 6) ---------------------------


#: A theory row: figure, simulated ± half-width, theory, difference, verdict.
_ROW = re.compile(r"^  (\S+)\s+([\d.]+)s? ± ([\d.]+)s?\s+([\d.]+)s?\s+[+-][\d.]+%\s+(.+)$", re.MULTILINE)


def test_one_run_gives_every_lane_figure_an_interval_and_a_verdict(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Two groups, each fed only by its own segment (M/M/2 and M/M/1 at utilisation 2/3): one run
    with --compare-theory gives each lane figure a batch-means ± and a verdict, and each interval
    holds its Erlang C value, computed here (the tolerance is the interval itself)."""
    path = tmp_path / "two.yaml"
    path.write_text(TWO_GROUPS)
    assert main([str(path), "--compare-theory", "--log", "none", "--quiet"]) == 0
    err = capfd.readouterr().err
    assert "one run: " in err and "batch means" in err, err
    tills, express = 2 / 3 * 2 / 60, 1 / 3 * 2 / 60  # arrivals per second to each group
    theory = {
        "lane_wait_mean[tills]": mmc_wait(tills, 1 / 60, 2),
        "lane_utilisation[tills]": tills * 60 / 2,
        "lane_wait_mean[express]": mmc_wait(express, 1 / 60, 1),
        "lane_utilisation[express]": express * 60,
    }
    rows = {name: rest for name, *rest in _ROW.findall(err)}
    assert set(rows) == set(theory), err
    for name, expected in theory.items():
        simulated, half, shown, verdict = rows[name]
        assert float(shown) == pytest.approx(expected, rel=1e-3), (name, err)
        assert float(half) > 0, (name, err)
        assert abs(float(simulated) - expected) <= float(half), (name, err)
        assert verdict == "within CI", (name, err)


# --- what keeps a figure from the steady state (issue 19, item 14) ----------------------

#: The issue's case: 8 tills each with its own line picked at random (8 × M/M/1) at utilisation 0.9.
EIGHT_LINES = """
name: eight lines
seed: 7
duration: 2h
warmup: 30min
products: [{name: x, checkout_time: {dist: exponential, mean: 1min}}]
segments: [{name: shoppers, choice: random}]
arrivals: {pattern: poisson, rate: 7.2/min}
lanes:
  - {name: tills, count: 8, line: per_till}
"""


def _theory_of(path: Path, capfd: pytest.CaptureFixture[str], *overrides: str) -> str:
    sets = [part for override in overrides for part in ("--set", override)]
    command = [str(path), "--compare-theory", "--replications", "8", *sets, "--log", "none", "--quiet"]
    assert main(command) == 0
    return capfd.readouterr().err


def test_compare_theory_names_the_drain_tail_and_what_to_set(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """8 replications of 8 × M/M/1 with drain: true: the utilisation counts the tail after the
    arrivals stop, where tills idle while the longest lines are served out; the table says so
    under it, and the utilisation's verdict names the cause and the setting. With drain: false
    (and the warm-up it has) no note, and the utilisation is within its interval."""
    path = tmp_path / "eight.yaml"
    path.write_text(EIGHT_LINES)
    utilisation = 7.2 / 60 * 60 / 8  # lambda E[S] / c
    drained = _theory_of(path, capfd)
    row = next(line for line in drained.splitlines() if line.startswith("  lane_utilisation[tills]"))
    assert f"{utilisation:.4f}" in row, drained
    assert row.endswith("outside CI (drain tail; set drain: false)"), drained
    assert "  note: drain tail: utilisation includes the time after arrivals stop at 2h00m" in drained
    assert "set drain: false" in drained and "empty start" not in drained, drained
    stopped = _theory_of(path, capfd, "drain=false")
    assert "note:" not in stopped and "drain tail" not in stopped, stopped
    row = next(line for line in stopped.splitlines() if line.startswith("  lane_utilisation[tills]"))
    assert row.endswith("within CI"), stopped


def test_compare_theory_names_the_empty_start_and_what_to_set(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """No warm-up: a note says the run starts empty (waits, losses, utilisation low) and to set
    a warm-up; figures below theory and outside their interval name both causes."""
    path = tmp_path / "eight.yaml"
    path.write_text(EIGHT_LINES)
    err = _theory_of(path, capfd, "warmup=0")
    assert "  note: empty start: with no warm-up the run starts empty and idle" in err, err
    assert "(e.g. a tenth of the duration, warmup: 12m00s)" in err, err
    assert "  note: drain tail: " in err, err
    row = next(line for line in err.splitlines() if line.startswith("  lane_utilisation[tills]"))
    assert row.endswith("outside CI (empty start, drain tail; set warmup, drain: false)"), err


def test_a_figure_above_theory_is_not_blamed_on_the_empty_start() -> None:
    """The empty start only pushes figures down: a wait above theory gets a bare verdict."""
    scenario = parse_scenario(SMALL, overrides=["arrivals.limit=null", "duration=1h"])
    high = dataclasses.replace(_a_run(1), wait_mean=1000.0)
    text = format_theory(scenario, [high, dataclasses.replace(high, seed=2, wait_mean=1001.0)])
    row = next(line for line in text.splitlines() if line.startswith("  wait_mean"))
    assert row.endswith("outside CI"), text
    assert "  note: empty start" in text, text


def test_one_run_without_a_duration_is_flagged_for_the_drain_tail() -> None:
    """One run of 100 customers and no duration: no batches, so the utilisation is the summary's,
    tail included, and the note says to set a duration too. (One run with a duration is not
    flagged: its batches end there; see test_warmup.py's bank test.)"""
    scenario = parse_scenario(SMALL)  # 100 customers, no duration
    summary = run(scenario)
    text = format_theory(scenario, [summary])
    assert "  note: drain tail: utilisation includes the time after the last arrival" in text, text
    assert "set a duration and drain: false to end the figures there" in text, text


def _a_run(seed: int) -> Summary:
    """A plain one-run summary for the table (no batches)."""
    return run(parse_scenario(SMALL, overrides=["arrivals.limit=null", "duration=1h"]), seed=seed)


def test_the_drain_tail_is_blamed_only_for_a_miss_within_its_share_of_the_time() -> None:
    """The tail moves the utilisation by at most its share of the time counted: a utilisation
    0.2 above theory is put down to a tail of 25 % of the time (1h20m of a run of 1h) but not
    to one of 1 %; the note gives the share."""
    scenario = parse_scenario(SMALL, overrides=["arrivals.limit=null", "duration=1h"])
    expected = predict(scenario).figures["utilisation"]
    for elapsed, share, verdict in (
        (4800.0, 0.25, "outside CI (drain tail; set drain: false)"),
        (3636.0, 0.0099, "outside CI"),
    ):
        runs = [
            dataclasses.replace(_a_run(1), utilisation=expected + 0.2, elapsed=elapsed),
            dataclasses.replace(_a_run(2), utilisation=expected + 0.21, elapsed=elapsed),
        ]
        text = format_theory(scenario, runs)
        row = next(line for line in text.splitlines() if line.startswith("  utilisation"))
        assert row.endswith(verdict), text
        assert f"after arrivals stop at 1h00m (up to {share:.1%} of the time counted)" in text, text
