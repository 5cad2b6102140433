"""Record the golden event logs: ``python tests/golden/regenerate.py`` from the project root.

Run it only when a change to the log is intended (and say so in CHANGELOG.md): the
golden test exists to catch a log that changes by accident, for example the order of
events due at one instant after an engine speed-up.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import yaml

from checkout_sim import load_scenario, parse_scenario, run

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE.parent.parent / "scenarios"
#: Shown in full, so a change reads as a diff; the rest are compared by digest.
IN_FULL = "corner_shop"


def log_of(text_or_path: str | Path, seed: int | None, items: bool) -> bytes:
    """The event log of one run, in memory."""
    scenario = load_scenario(text_or_path) if isinstance(text_or_path, Path) else parse_scenario(text_or_path)
    buffer = io.BytesIO()
    run(scenario, seed=seed, log=buffer, item_events=items)
    return buffer.getvalue()


def cases() -> dict[str, tuple[str | Path, int | None, bool]]:
    """Every golden run by name: (scenario text or file, seed, item events)."""
    found: dict[str, tuple[str | Path, int | None, bool]] = {
        path.stem: (path, None, True) for path in sorted(SCENARIOS.glob("*.yaml"))
    }
    for index, data in enumerate(json.loads((HERE / "random_scenarios.json").read_text())):
        text = yaml.safe_dump(data, sort_keys=False)
        found[f"random-{index}"] = (text, index, index % 2 == 1)
    return found


def main() -> None:
    digests = {}
    for name, (source, seed, items) in cases().items():
        log = log_of(source, seed, items)
        digests[name] = hashlib.sha256(log).hexdigest()
        if name == IN_FULL:
            (HERE / f"{IN_FULL}.jsonl").write_bytes(log)
    (HERE / "digests.json").write_text(json.dumps(digests, indent=1) + "\n")


if __name__ == "__main__":
    main()
