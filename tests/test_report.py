"""The HTML report: self-contained, renders in a real browser, and says what the run said."""

from __future__ import annotations

import html
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from checkout_sim import load_scenario, run
from checkout_sim.cli import main
from checkout_sim.report import ReportError, build_report, read_events
from checkout_sim.report import main as report_main
from conftest import SCENARIOS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def black_friday(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """The report of scenarios/black_friday.yaml made by `run-scenario --report`, and the run's summary."""
    folder = tmp_path_factory.mktemp("report")
    buffer = io.BytesIO()
    summary = run(load_scenario(SCENARIOS / "black_friday.yaml"), log=buffer)
    (folder / "run.jsonl").write_bytes(buffer.getvalue())
    assert (
        main(
            [
                str(SCENARIOS / "black_friday.yaml"),
                "--log",
                str(folder / "cli.jsonl"),
                "--report",
                str(folder / "report.html"),
                "--quiet",
            ]
        )
        == 0
    )
    return folder, summary.to_dict()


def test_report_numbers_equal_the_run_summary(black_friday: tuple[Path, dict[str, object]]) -> None:
    """Every figure in the summary table carries the run_finished value exactly."""
    folder, summary = black_friday
    page = (folder / "report.html").read_text(encoding="utf-8")
    shown = {
        key: json.loads(html.unescape(value))
        for key, value in re.findall(r'data-figure="([a-z_0-9]+)" data-value="([^"]*)"', page)
    }
    assert len(shown) == 16
    assert shown == {key: summary[key] for key in shown}


def test_report_is_self_contained(black_friday: tuple[Path, dict[str, object]]) -> None:
    """No scripts, stylesheets or images are fetched: only SVG namespaces name a URL."""
    page = (black_friday[0] / "report.html").read_text(encoding="utf-8")
    urls = set(re.findall(r"https?://[^\s\"'<>]+", page))
    assert urls <= {
        "http://www.w3.org/2000/svg",
        "http://www.w3.org/1999/xlink",
        "http://purl.org/dc/elements/1.1/",
        "http://creativecommons.org/ns#",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "https://matplotlib.org/",
        "http://purl.org/dc/dcmitype/StillImage",
    }  # metadata identifiers, never fetched
    assert "<script" not in page and "<link" not in page
    assert page.count("<svg") == 5


def test_saved_log_gives_the_same_report(black_friday: tuple[Path, dict[str, object]]) -> None:
    """scenario-report on the saved log reproduces the --report page byte for byte."""
    folder, _ = black_friday
    assert report_main([str(folder / "cli.jsonl"), "-o", str(folder / "again.html")]) == 0
    assert (folder / "again.html").read_bytes() == (folder / "report.html").read_bytes()


def test_report_of_something_that_is_not_a_log(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """A file that is not a finished event log gets one line and exit 2."""
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"t": 0.0, "event": "run_started"}\n')
    assert report_main([str(bad), "-o", str(tmp_path / "x.html")]) == 2
    assert (
        capfd.readouterr().err
        == f"scenario-report: {bad}: the log has no complete run (run_started ... run_finished)\n"
    )
    with pytest.raises(ReportError, match="line 1: not JSON"):
        read_events([b"not json"])


def test_report_of_a_run_where_nobody_came() -> None:
    """An empty run still makes a page (no division by zero, dashes for undefined waits)."""
    log = [
        b'{"t": 0.0, "event": "run_started", "scenario": "empty", "seed": 1, "clock": "virtual",'
        b' "config": {}}',
        b'{"t": 1.0, "event": "run_finished", "arrived": 0, "served": 0, "balked": 0, "reneged": 0,'
        b' "unserved": 0, "queue_length_max": 0, "elapsed": 1.0, "segments": {}}',
    ]
    page = build_report(read_events(log))
    assert "<h1>empty</h1>" in page and "customers served" in page


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_report_renders_in_headless_chromium(
    black_friday: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    """Chromium loads the page with no console errors, builds all five plots and paints them."""
    assert CHROMIUM is not None
    page = black_friday[0] / "report.html"
    profile = ["--user-data-dir=" + str(tmp_path / "profile")]
    dom = subprocess.run(
        [
            CHROMIUM,
            *CHROMIUM_FLAGS,
            *profile,
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "CONSOLE" not in dom.stderr and "Uncaught" not in dom.stderr
    for section in ("line", "waits", "cashiers", "segments", "lost", "summary", "settings"):
        assert f'<section id="{section}">' in dom.stdout
    assert dom.stdout.count("<svg") == 5 and dom.stdout.count("<path") > 50
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            CHROMIUM,
            *CHROMIUM_FLAGS,
            *profile,
            "--window-size=1200,2600",
            "--hide-scrollbars",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    from matplotlib.image import imread

    pixels = imread(shot)
    assert pixels.shape[:2] == (2600, 1200)
    assert pixels[:, :, :3].std() > 0.1, "the page is not blank"
    coloured = ((pixels[:, :, 0] - pixels[:, :, 2]) > 0.3).mean()  # the plots' red and orange
    assert coloured > 0.002
