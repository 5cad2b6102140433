"""Golden logs: the shipped scenarios and 160 random ones give the recorded logs, byte for byte.

The digests were recorded before the engine speed-ups of issue 4 and still match:
a faster engine must not change the order of events due at one instant, or any
number. Regenerate with ``python tests/golden/regenerate.py`` only for an intended
change of the log.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "golden"))

from regenerate import HERE, IN_FULL, cases, log_of

DIGESTS: dict[str, str] = json.loads((HERE / "digests.json").read_text())
CASES = cases()


def test_every_case_has_a_recorded_digest() -> None:
    """The recorded digests cover exactly the golden runs (none added or lost silently)."""
    assert set(DIGESTS) == set(CASES)


def test_the_corner_shop_log_reads_as_recorded() -> None:
    """One whole log is kept as text, so a change shows as a readable diff."""
    source, seed, items = CASES[IN_FULL]
    log = log_of(source, seed, items).decode().splitlines()
    recorded = (HERE / f"{IN_FULL}.jsonl").read_text().splitlines()
    assert log == recorded, "\n".join(difflib.unified_diff(recorded, log, lineterm="", n=1))


@pytest.mark.parametrize("name", sorted(CASES))
def test_log_matches_the_recorded_digest(name: str) -> None:
    """The run's whole event log hashes to the digest recorded for it."""
    source, seed, items = CASES[name]
    assert hashlib.sha256(log_of(source, seed, items)).hexdigest() == DIGESTS[name]
