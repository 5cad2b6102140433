"""--replications and --compare-theory: confidence intervals, and theory beside the run."""

from __future__ import annotations

import io
import re

import orjson
import pytest

from checkout_sim import load_scenario, parse_scenario, replicate
from checkout_sim.analysis.theory import birth_death, erlang_c, mg1_wait, mmc_wait, predict
from checkout_sim.cli import main
from conftest import SCENARIOS

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
