"""The README's planning example, run as written: its output is the README's, and the plan it
writes, simulated again on seeds the planner never saw, meets the goal in every interval."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from checkout_sim import replicate
from checkout_sim.cli import main
from checkout_sim.config import load_scenario

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README[README.index("## Planning the day") : README.index("## Checking against theory")]
#: The example: the command, then what it prints on stderr, in the first code block.
EXAMPLE = re.search(r"```\n\$ (run-scenario [^\n]+)\n(.*?)```", SECTION, re.DOTALL)
#: What it prints on stdout, the YAML block after it.
PASTED = re.search(r"```yaml\n(.*?)```", SECTION, re.DOTALL)


def test_the_readme_plan_is_what_the_command_prints_and_holds_on_new_seeds(
    capfd: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert EXAMPLE is not None and PASTED is not None
    words = shlex.split(EXAMPLE[1])[1:]
    copy = tmp_path / "saturday_planned.yaml"
    at = words.index("--plan-into")
    words[at + 1] = str(copy)
    monkeypatch.chdir(ROOT)
    assert main(words) == 0
    out, err = capfd.readouterr()
    # Every line the README shows is printed as shown (the rows it leaves out are marked …).
    shown = [line for line in EXAMPLE[2].splitlines() if line.strip() and line.strip() != "…"]
    printed = err.replace(str(copy), "saturday_planned.yaml").splitlines()
    for line in shown:
        assert line in printed, line
    assert out == PASTED[1]
    # The copy runs the plan: its rosters are the ones printed, and on 20 days the planner
    # never simulated (seeds a million on) every interval reaches 80 % within 2 minutes.
    planned = load_scenario(copy)
    pasted = yaml.safe_load(out)["lanes"]
    for group in pasted:
        lane = next(lane for lane in planned.tills() if lane.name == group["name"])
        assert lane.roster is not None
        assert [(planned.moment_text(s.start), s.open) for s in lane.roster] == [
            (entry["from"], entry["open"]) for entry in group["roster"]
        ]
    summaries = replicate(load_scenario(copy, ["intervals=15m"]), 20, seed=1_000_000)
    for number in range(48):
        parts = [
            interval
            for summary in summaries
            for interval in summary.intervals or ()
            if round(interval["start"] / 900.0) == number
        ]
        arrived = sum(part["arrived"] for part in parts)
        within = sum(part["service_level"] * part["arrived"] for part in parts if part["arrived"])
        assert within / arrived >= 0.8, (number, within / arrived)
