"""The HTML report: self-contained, renders in a real browser, and says what the run said."""

from __future__ import annotations

import html
import io
import json
import math
import pickle
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from checkout_sim import load_scenario, replicate, run
from checkout_sim.analysis.confidence import interval_of
from checkout_sim.analysis.report import ReportError, build_report, read_events
from checkout_sim.analysis.report import main as report_main
from checkout_sim.cli import main
from conftest import SCENARIOS, make_scenario
from peak_memory import ON_LINUX, peak_kb

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


def _section(page: str, name: str) -> str:
    """The HTML of one section of the page."""
    start = page.index(f'<section id="{name}">')
    return page[start : page.index("</section>", start)]


def _cells(page: str) -> dict[tuple[str, str], object]:
    """The group table's figures by (group, figure), from their data-value attributes."""
    return {
        (html.unescape(segment), key): json.loads(html.unescape(value))
        for segment, key, value in re.findall(
            r'data-segment="([^"]*)" data-figure="([a-z_0-9]+)" data-value="([^"]*)"', page
        )
    }


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
    page = _section((folder / "report.html").read_text(encoding="utf-8"), "summary")
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
    with pytest.raises(ReportError, match=r"^LOG:1: not JSON"):
        list(read_events([b"not json"]))


def test_report_of_a_run_where_nobody_came(tmp_path: Path) -> None:
    """An empty run still makes a page (no division by zero, dashes for undefined waits)."""
    scenario = make_scenario(
        name="empty",
        arrivals={
            "pattern": "schedule",
            "phases": [{"until": "1h", "rate": 0}, {"until": "2h", "rate": "1/h"}],
        },
    )
    buffer = io.BytesIO()
    assert run(scenario, log=buffer).arrived == 0
    page = build_report(read_events(buffer.getvalue().splitlines()))
    assert "<h1>empty</h1>" in page and "customers served: – of 0 arrivals" in page
    assert '<td class="num" data-figure="wait_mean" data-value="null">–</td>' in page


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


# --- issue 13: what the figures are over, replications, settings --------------------------


def test_wait_figures_say_they_are_over_served_customers(
    black_friday: tuple[Path, dict[str, object]],
) -> None:
    """Every card, summary row, column and plot label about waits names served customers."""
    page = (black_friday[0] / "report.html").read_text(encoding="utf-8")
    cards = re.findall(r'<div class="k">([^<]*)</div>', page)
    rows = re.findall(r'<tr><td>([^<]*)</td><td class="num" data-figure="wait_', _section(page, "summary"))
    headers = re.findall(r"<th[^>]*>([^<]*)</th>", _section(page, "segments"))
    labels = [text for text in (*cards, *headers) if "wait" in text] + rows
    assert len(labels) == 9
    assert all("served" in label for label in labels), labels
    assert "Wait figures are over served customers: the 182 lost customers (turned away, gave up or" in page
    assert "<h2>How long served customers waited</h2>" in page


def test_headline_gives_the_share_of_arrivals_served(black_friday: tuple[Path, dict[str, object]]) -> None:
    """The first card says how many of the arrivals were served, as a count and a share."""
    folder, summary = black_friday
    page = (folder / "report.html").read_text(encoding="utf-8")
    arrived, served = summary["arrived"], summary["served"]
    assert isinstance(arrived, int) and isinstance(served, int)
    assert (
        f'<div class="v">{served:,}</div><div class="k">customers served: '
        f"{served / arrived:.1%} of {arrived:,} arrivals</div>" in page
    )
    assert "customers served: 91.0% of 2,014 arrivals" in page


def test_group_table_shows_lost_and_lost_share(black_friday: tuple[Path, dict[str, object]]) -> None:
    """Each group's row gives arrivals, served, lost (balked + reneged + unserved) and lost share."""
    folder, summary = black_friday
    page = (folder / "report.html").read_text(encoding="utf-8")
    cells = _cells(page)
    segments = summary["segments"]
    assert isinstance(segments, dict) and len(segments) == 3
    for name, figures in segments.items():
        lost = figures["balked"] + figures["reneged"] + figures["unserved"]
        assert cells[name, "arrived"] == figures["arrived"]
        assert cells[name, "served"] == figures["served"]
        assert cells[name, "wait_mean"] == figures["wait_mean"]
        assert cells[name, "wait_p90"] == figures["wait_p90"]
        assert cells[name, "lost"] == lost
        assert cells[name, "lost_share"] == lost / figures["arrived"]
    assert cells["browser", "lost"] == 135 and cells["browser", "arrived"] == 576
    assert 'data-figure="lost_share" data-value="0.234375">23.4%</td>' in page


def test_report_with_a_sweep_is_refused(capfd: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """--report with --sweep is a usage error before anything runs, not a silent no-op."""
    report = tmp_path / "r.html"
    code = main([str(SCENARIOS / "bank.yaml"), "--sweep", "cashiers.count=3,4", "--report", str(report)])
    out, err = capfd.readouterr()
    assert (code, out) == (2, "")
    assert (
        err == "run-scenario: --report does not go with --sweep (a report shows the runs of one scenario)\n"
    )
    assert not report.exists()


def test_report_without_matplotlib_stops_before_the_run(
    capfd: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without matplotlib, --report and scenario-report stop at once with the install hint, exit 2."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    log, report = tmp_path / "run.jsonl", tmp_path / "r.html"
    code = main([str(SCENARIOS / "corner_shop.yaml"), "--log", str(log), "--report", str(report)])
    assert code == 2
    assert capfd.readouterr().err == (
        "run-scenario: --report: reports need matplotlib: pip install 'checkout-sim[report]'\n"
    )
    assert not log.exists() and not report.exists()  # the run never started
    log.write_text("not even a log\n")
    assert report_main([str(log), "-o", str(report)]) == 2
    assert capfd.readouterr().err == (
        "scenario-report: reports need matplotlib: pip install 'checkout-sim[report]'\n"
    )


def test_replications_report_names_its_run_and_gives_figures_across_runs(
    capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """With --replications 3 the plots are run 1's, said so, and a table gives every run's figures."""
    scenario_path = SCENARIOS / "black_friday.yaml"
    report = tmp_path / "r.html"
    code = main(
        [str(scenario_path), "--replications", "3", "--log", "none", "--quiet", "--report", str(report)]
    )
    assert code == 0 and capfd.readouterr().err == ""
    page = report.read_text(encoding="utf-8")
    summaries = replicate(load_scenario(scenario_path), 3)
    first = summaries[0].to_dict()
    assert "Plots and tables show run 1 of 3;" in page
    summary = _section(page, "summary")
    assert f'data-figure="arrived" data-value="{first["arrived"]}"' in summary
    runs = _section(page, "runs")
    assert "<h2>All 3 runs</h2>" in runs
    rows = {
        key: (float(mean), float(low), float(high))
        for key, mean, low, high in re.findall(
            r'<tr data-figure="([a-z_0-9]+)" data-mean="([^"]*)" data-low="([^"]*)" data-high="([^"]*)">',
            runs,
        )
    }
    assert len(rows) == 20
    for key, (mean, low, high) in rows.items():
        found = interval_of([summary.to_dict()[key] for summary in summaries])
        assert found is not None
        ceiling = 1.0 if key in ("utilisation",) else math.inf  # shares stop at 1, everything at 0
        expected = (found[0], max(0.0, found[0] - found[1]), min(ceiling, found[0] + found[1]))
        assert (mean, low, high) == expected, key
    totals = {key: sum(getattr(summary, key) for summary in summaries) for key in ("arrived", "served")}
    assert (
        f"Customers in all runs together: {totals['arrived']:,} arrived, {totals['served']:,} served," in runs
    )


def test_a_single_run_report_has_no_runs_section(black_friday: tuple[Path, dict[str, object]]) -> None:
    """One run: no "run 1 of 1" and no table across runs."""
    page = (black_friday[0] / "report.html").read_text(encoding="utf-8")
    assert 'id="runs"' not in page and "run 1 of" not in page


def test_settings_show_durations_and_rates_as_people_write_them(
    black_friday: tuple[Path, dict[str, object]],
) -> None:
    """The settings section is YAML with units (240/h, 4h, 20min), not JSON in seconds."""
    settings = html.unescape(
        _section((black_friday[0] / "report.html").read_text(encoding="utf-8"), "settings")
    )
    for text in (
        "duration: 4h\n",
        "- {until: 1h, rate: 240/h}\n",
        "- {until: 2h30min, rate: 840/h}\n",
        "patience: {dist: exponential, mean: 20min}\n",
        "checkout_time: {dist: uniform, low: 5s, high: 15s}\n",
        "payment_time: {dist: normal, mean: 20s, sd: 8s}\n",
        "items: {dist: uniform_int, low: 3, high: 12}\n",
    ):
        assert text in settings, text
    assert "0.0666" not in settings and "14400" not in settings and "null" not in settings


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda path: path.name)
def test_settings_read_back_as_the_same_scenario(path: Path, tmp_path: Path) -> None:
    """The settings text is a scenario file that loads as the very scenario the run used."""
    from checkout_sim.analysis.report_page import settings_text

    scenario = load_scenario(path)
    for data in path.parent.glob("*.csv"):  # the data files a scenario names sit beside it
        (tmp_path / data.name).write_bytes(data.read_bytes())
    again = tmp_path / "again.yaml"
    again.write_text(settings_text(scenario.model_dump(mode="json")), encoding="utf-8")
    assert load_scenario(again) == scenario


@pytest.mark.parametrize(
    ("seconds", "rate", "shown"),
    [
        (5400.0, None, "1h30min"),
        (0.25, None, "250ms"),
        (90.5, None, "90.5s"),
        (0.0, None, "0s"),
        (1 / 3, None, 1 / 3),  # no exact spelling: the number itself
        (None, 240 / 3600, "240/h"),
        (None, 2.7 / 60, "2.7/min"),
        (None, 0.0, "0/h"),
    ],
)
def test_settings_spell_exactly_or_not_at_all(
    seconds: float | None, rate: float | None, shown: object
) -> None:
    """A duration or rate is spelled with units only when the spelling reads back as the same float."""
    from checkout_sim.analysis.report_page import settings_text

    config = {"duration": seconds} if seconds is not None else {"arrivals": {"rate": rate}}
    text = settings_text(config)
    expected = {"duration": shown} if seconds is not None else {"arrivals": {"rate": shown}}
    assert yaml.safe_load(text) == expected


# --- issue 14: bounded memory, hostile logs, unwritable output -------------------------------


def _peak_rss(*argv: str) -> int:
    """Peak resident memory (kB) of a fresh interpreter running a console script's main()."""
    script, *args = argv
    module = {"run-scenario": "checkout_sim.cli", "scenario-report": "checkout_sim.analysis.report"}[script]
    return peak_kb(f"from {module} import main\nassert main({args!r}) == 0")


@pytest.mark.slow
@pytest.mark.skipif(not ON_LINUX, reason="reads the peak from Linux's /proc")
def test_report_memory_and_page_size_stay_flat(tmp_path: Path) -> None:
    """Ten times the customers: --report and scenario-report use no more memory, the page is no bigger."""
    bank = str(SCENARIOS / "bank.yaml")
    found = {}
    for customers in (5_000, 50_000):
        log, page, again = (tmp_path / f"{customers}.{ext}" for ext in ("jsonl", "html", "again.html"))
        limit = f"arrivals.limit={customers}"
        run_rss = _peak_rss("run-scenario", bank, "--set", limit, "--set", "duration=null", "--quiet",
                            "--log", str(log), "--report", str(page))  # fmt: skip
        read_rss = _peak_rss("scenario-report", str(log), "-o", str(again))
        assert again.read_bytes() == page.read_bytes()
        found[customers] = (run_rss, read_rss, page.stat().st_size)
    (small_run, small_read, small_page), (big_run, big_read, big_page) = found[5_000], found[50_000]
    assert big_run - small_run < 10_000, found  # kB: the old report kept the whole log (~80 MB more)
    assert big_read - small_read < 10_000, found
    assert big_page < 1.2 * small_page and big_page < 2_000_000, found


def test_the_binned_series_integrate_to_the_run_figures() -> None:
    """The time bins, merged many times over a long run, still add up to waiting_mean and utilisation."""
    from checkout_sim.analysis.report import LiveReport
    from checkout_sim.analysis.report_data import SAMPLE_SIZE

    scenario = load_scenario(
        SCENARIOS / "black_friday.yaml", ["duration=40h", "arrivals.phases.2.until=40h", "drain=false"]
    )
    live = LiveReport("unused")
    summary = run(scenario, log=live.log(None))
    digest = live.digest
    assert digest.finished is not None and digest.bins.width == 256.0  # 2**-10 s doubled 18 times
    spans = digest.bin_spans()
    assert math.isclose(sum(spans), summary.elapsed)
    waiting = math.fsum(digest.bins.waiting_area[: len(spans)])
    assert math.isclose(waiting / summary.elapsed, summary.waiting_mean, rel_tol=1e-9)
    busy = math.fsum(digest.bins.busy_area[: len(spans)])
    lanes = math.fsum(digest.bins.lanes_area[: len(spans)])
    assert summary.utilisation is not None and math.isclose(busy / lanes, summary.utilisation, rel_tol=1e-9)
    assert sum(digest.bins.served) == sum(digest.histogram.counts) == summary.served
    assert sum(digest.bins.balked) == summary.balked and sum(digest.bins.reneged) == summary.reneged
    assert sum(digest.bins.unserved) == summary.unserved > 0
    assert max(digest.bins.waiting_max) == summary.queue_length_max  # nobody is held at a balking door
    assert max(digest.bins.wait_max) == summary.wait_max
    assert len(digest.sample.points) == SAMPLE_SIZE < digest.sample.seen == summary.served


def _log_with(tmp_path: Path, *lines: str) -> Path:
    """A log file of these lines."""
    path = tmp_path / "log.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_the_issue_example_names_the_line_and_the_field(tmp_path: Path) -> None:
    """A customer_arrived without its fields is refused by line and field, exit 2, read from stdin."""
    log = (
        '{"event":"run_started","t":0}\n{"event":"customer_arrived","t":1}\n{"event":"run_finished","t":2}\n'
    )
    done = subprocess.run(
        [str(Path(sys.executable).with_name("scenario-report")), "-", "-o", str(tmp_path / "x.html")],
        input=log,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        2,
        "",
        "<stdin>:2: customer_arrived lacks segment\n",
    )
    assert not (tmp_path / "x.html").exists()


_STARTED = (
    '{"t":0.0,"event":"run_started","scenario":"s","seed":1,"clock":"virtual","schema_version":1,"config":{}}'
)


@pytest.mark.parametrize(
    ("line", "fault"),
    [
        (
            '{"t":1.0,"event":"checkout_started","customer":1,"cashier":1,"wait":"3"}',
            "checkout_started: wait is not a number",
        ),
        (
            '{"t":1.0,"event":"checkout_started","customer":1,"cashier":1,"wait":-3}',
            "checkout_started: wait is negative",
        ),
        (
            '{"t":1.0,"event":"checkout_started","customer":1.5,"cashier":1,"wait":3}',
            "checkout_started: customer is not a whole number",
        ),
        (
            '{"t":1.0,"event":"customer_arrived","customer":true,"segment":"a","items":1,"queue_length":0}',
            "customer_arrived: customer is not a whole number",
        ),
        (
            '{"t":1.0,"event":"customer_arrived","customer":1,"segment":7,"items":1,"queue_length":0}',
            "customer_arrived: segment is not a string",
        ),
        (
            '{"t":"1","event":"cashier_opened","cashier":1,"queue_length":0}',
            "cashier_opened: t is not a number",
        ),
        ('{"event":"cashier_opened","cashier":1,"queue_length":0}', "cashier_opened lacks t"),
        (
            '{"t":1.0,"event":"cashier_opened","cashier":1,"queue_length":0,"run":"1"}',
            "cashier_opened: run is not a whole number",
        ),
        ('{"t":1.0,"cashier":1}', "lacks event"),
        ('{"t":1.0,"event":3}', "event is not a string"),
        ("[1, 2]", "not an event (a JSON object with t and event)"),
        ("{not json", "not JSON (unexpected character, expected a string key: line 1 column 2 (char 1))"),
        (
            '{"t":1.0,"event":"run_started","schema_version":2}',
            "run_started: schema_version 2 is not 1, the one this reader knows",
        ),
        ('{"t":1.0,"event":"run_started","config":[]}', "run_started: config is not an object"),
        ('{"t":1.0,"event":"run_finished","arrived":0}', "run_finished lacks served"),
    ],
)
def test_a_line_against_the_event_schema_is_refused_by_number(
    line: str, fault: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Each line is checked against the event schema: LOG:LINE: what is wrong, exit 2."""
    log = _log_with(tmp_path, _STARTED, line)
    assert report_main([str(log), "-o", str(tmp_path / "x.html")]) == 2
    assert capfd.readouterr().err == f"{log}:2: {fault}\n"


def test_a_segment_of_run_finished_is_checked(
    black_friday: tuple[Path, dict[str, object]], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """The figures of each group in run_finished are checked too, and time may not run backwards."""
    lines = (black_friday[0] / "cli.jsonl").read_text(encoding="utf-8").splitlines()
    finished = json.loads(lines[-1])
    del finished["segments"]["browser"]["wait_p90"]
    log = _log_with(tmp_path, *lines[:-1], json.dumps(finished))
    assert report_main([str(log), "-o", str(tmp_path / "x.html")]) == 2
    assert capfd.readouterr().err == f"{log}:{len(lines)}: run_finished lacks segments.browser.wait_p90\n"
    before, event = json.loads(lines[39]), json.loads(lines[40])
    assert before["t"] > 0
    log = _log_with(tmp_path, *lines[:40], json.dumps({**event, "t": before["t"] / 2}), *lines[41:])
    assert report_main([str(log), "-o", str(tmp_path / "x.html")]) == 2
    assert capfd.readouterr().err == (
        f"{log}:41: {event['event']}: t goes back in time ({before['t'] / 2!r} after {before['t']!r})\n"
    )


def _mutants(lines: list[str], count: int, seed: int) -> list[list[str]]:
    """``count`` copies of the log, each broken in one random way (fixed seed: the same every run)."""
    from checkout_sim.observe.events import EVENT_FIELDS

    rng = random.Random(seed)
    odd_values: list[object] = [None, "x", "", -1, -0.5, 1.5, True, [], {}, 1e308, 2**70, 0, 10**6]
    names = [*EVENT_FIELDS, "x"]
    found = []
    for _ in range(count):
        mutant = list(lines)
        at = rng.randrange(len(mutant))
        event = json.loads(mutant[at])
        how = rng.randrange(9)
        if how == 0:
            del mutant[at]
        elif how == 1:
            mutant.insert(at, mutant[at])
        elif how == 2 and at + 1 < len(mutant):
            mutant[at], mutant[at + 1] = mutant[at + 1], mutant[at]
        elif how == 3:
            event.pop(rng.choice(sorted(event)))
            mutant[at] = json.dumps(event)
        elif how in (4, 5):
            event[rng.choice(sorted(event))] = rng.choice(odd_values)
            mutant[at] = json.dumps(event)
        elif how == 6:
            mutant[at] = mutant[at][: rng.randrange(len(mutant[at]))]
        elif how == 7:
            event["event"] = rng.choice(names)
            mutant[at] = json.dumps(event)
        else:
            mutant.insert(at, rng.choice(["[]", "{}", '"text"', "1", "\x00\xff", '{"event":"run_finished"}']))
        found.append(mutant)
    return found


@pytest.mark.slow
def test_mutated_logs_give_a_page_or_one_line(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """A fuzzer: 200 broken copies of a real two-run log each give a page (exit 0) or one line (exit 2)."""
    from checkout_sim.analysis.report import _digest

    scenario = load_scenario(SCENARIOS / "black_friday.yaml", ["duration=6m", "arrivals.phases.0.rate=900/h"])
    buffer = io.BytesIO()
    replicate(scenario, 2, log=buffer)
    lines = buffer.getvalue().decode().splitlines()
    outcomes = {0: 0, 2: 0}
    rendered: dict[bytes, bytes] = {}
    for number, mutant in enumerate(_mutants(lines, 200, seed=1410)):
        log = _log_with(tmp_path, *mutant)
        try:
            events = list(read_events(log.read_bytes().splitlines(), str(log)))
            digest = _digest(events)
        except ReportError:
            code = report_main([str(log), "-o", str(tmp_path / "x.html")])
            err = capfd.readouterr().err
            assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, (number, err)
            outcomes[2] += 1
            continue
        # The page is a function of the digest: render each distinct one once, through the command.
        state = pickle.dumps((digest.started, digest.finished, digest.bins, digest.histogram.counts,
                              digest.sample.points, digest.runs, digest.across, digest.totals))  # fmt: skip
        if state not in rendered:
            code = report_main([str(log), "-o", str(tmp_path / "x.html")])
            assert (code, capfd.readouterr().err) == (0, ""), number
            rendered[state] = (tmp_path / "x.html").read_bytes()
        assert rendered[state].startswith(b"<!doctype html>")
        outcomes[0] += 1
    assert outcomes[0] > 30 and outcomes[2] > 80, outcomes  # both ways out are exercised


def test_a_report_that_cannot_be_written_names_its_path(
    black_friday: tuple[Path, dict[str, object]], capfd: pytest.CaptureFixture[str]
) -> None:
    """-o /dev/full and --report /dev/full: 'cannot write the report to /dev/full', exit 1."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    assert report_main([str(black_friday[0] / "cli.jsonl"), "-o", "/dev/full"]) == 1
    assert (
        capfd.readouterr().err
        == "scenario-report: cannot write the report to /dev/full: No space left on device\n"
    )
    code = main([str(SCENARIOS / "corner_shop.yaml"), "--log", "none", "--quiet", "--report", "/dev/full"])
    assert code == 1
    assert (
        capfd.readouterr().err
        == "run-scenario: cannot write the report to /dev/full: No space left on device\n"
    )


def test_the_log_tap_puts_split_lines_back_together(black_friday: tuple[Path, dict[str, object]]) -> None:
    """Written in odd pieces (not one line per write), the log still gives the same page."""
    from checkout_sim.analysis.report import LiveReport

    folder, _ = black_friday
    data = (folder / "cli.jsonl").read_bytes()
    live = LiveReport(str(folder / "pieces.html"))
    stream, kept = live.log(None), io.BytesIO()
    tee = LiveReport(str(folder / "unused.html")).log(kept)
    rng = random.Random(7)
    at = 0
    while at < len(data):
        size = rng.choice([1, 7, 100, 5000])
        stream.write(data[at : at + size])
        tee.write(data[at : at + size])
        at += size
    live.write()
    assert kept.getvalue() == data  # the log goes on to its destination untouched
    assert (folder / "pieces.html").read_bytes() == (folder / "report.html").read_bytes()


@pytest.mark.parametrize(
    ("event", "field", "value"),
    [("checkout_started", "wait", 1e308), ("run_finished", "t", 1.7e308), ("customer_arrived", "t", 1e300)],
)
def test_extreme_but_valid_numbers_still_make_a_page(
    event: str, field: str, value: float, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A wait or a time near the largest float widens the bins instead of overflowing."""
    buffer = io.BytesIO()
    run(load_scenario(SCENARIOS / "corner_shop.yaml"), log=buffer)
    events = [json.loads(line) for line in buffer.getvalue().splitlines()]
    index = next(i for i, found in enumerate(events) if found["event"] == event)
    events[index][field] = value
    for later in events[index + 1 :]:  # time may not go back: everything after happens then too
        later["t"] = max(later["t"], events[index]["t"])
    log = _log_with(tmp_path, *(json.dumps(found) for found in events))
    assert report_main([str(log), "-o", str(tmp_path / "x.html")]) == 0, capfd.readouterr().err
    assert (tmp_path / "x.html").read_text(encoding="utf-8").startswith("<!doctype html>")


def test_the_line_figures_say_the_mean_is_of_all_lines_and_the_longest_of_one(
    black_friday: tuple[Path, dict[str, object]],
) -> None:
    """The mean number in line adds up every line, the longest line is one line's: the summary
    row, the card and the table across runs (the same labels) say which, so a mean above the longest line
    does not read like a fault (issue 19, item 13)."""
    page = (black_friday[0] / "report.html").read_text(encoding="utf-8")
    summary = _section(page, "summary")
    assert "<td>people in line, on average (all lines together)</td>" in summary
    assert "<td>longest line (the most in any one line)</td>" in summary
    cards = re.findall(r'<div class="k">([^<]*)</div>', page)
    assert [card for card in cards if "line" in card] == ["longest line (the most in any one line)"]


def test_the_lane_table_says_its_mean_in_line_is_of_all_its_lines(tmp_path: Path) -> None:
    """The hypermarket's lanes table: the mean in line is over all of a group's lines."""
    buffer = io.BytesIO()
    run(load_scenario(SCENARIOS / "hypermarket.yaml"), log=buffer)
    (tmp_path / "run.jsonl").write_bytes(buffer.getvalue())
    assert report_main([str(tmp_path / "run.jsonl"), "-o", str(tmp_path / "page.html")]) == 0
    lanes = _section((tmp_path / "page.html").read_text(encoding="utf-8"), "lanes")
    assert '<th class="num">people in its lines, on average (all together)</th>' in lanes


def test_the_interval_section_shows_each_interval_of_the_summary(tmp_path: Path) -> None:
    """With intervals, a service-level target and costs: a row per interval whose numbers are the
    summary's; without intervals, no such section."""
    page_path = tmp_path / "report.html"
    settings = ["intervals=30m", "service_level.target=2m", "costs={staff_per_hour: 18, lost_customer: 20}"]
    scenario = load_scenario(SCENARIOS / "black_friday.yaml", settings)
    summary = run(scenario, seed=3)
    assert (
        main(
            [
                str(SCENARIOS / "black_friday.yaml"),
                *(f"--set={s}" for s in settings),
                "--seed",
                "3",
                "--log",
                "none",
                "--quiet",
                "--report",
                str(page_path),
            ]
        )
        == 0
    )
    page = page_path.read_text(encoding="utf-8")
    section = _section(page, "intervals")
    assert section.count("<svg") == 2
    shown = {
        (int(index), key): json.loads(html.unescape(value))
        for index, key, value in re.findall(
            r'data-interval="(\d+)" data-figure="([a-z_0-9]+)" data-value="([^"]*)"', section
        )
    }
    assert summary.intervals is not None and len(summary.intervals) > 2
    assert {index for index, _ in shown} == set(range(len(summary.intervals)))
    for index, interval in enumerate(summary.intervals):
        for key in ("start", "end", "arrived", "served", "wait_mean", "service_level", "tills", "total_cost"):
            assert shown[index, key] == pytest.approx(interval[key]), (index, key)
        assert shown[index, "lost"] == interval["balked"] + interval["reneged"] + interval["unserved"]
    plain = tmp_path / "plain.html"
    assert (
        main([str(SCENARIOS / "corner_shop.yaml"), "--log", "none", "--quiet", "--report", str(plain)]) == 0
    )
    assert 'id="intervals"' not in plain.read_text(encoding="utf-8")
