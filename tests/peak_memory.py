"""The peak memory of a fresh interpreter, for tests that hold memory flat in the customers.

Read from ``VmHWM`` in ``/proc/self/status``, the high-water mark of the process's own
memory. ``ru_maxrss`` would not do: Linux carries it over from the parent through fork
and exec, so a child of a pytest process of 300 MB reports 300 MB whatever it used, and
a comparison of two children could never fail.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

__all__ = ["ON_LINUX", "peak_kb"]

#: Whether this system has the file the peak is read from.
ON_LINUX = Path("/proc/self/status").exists()

_REPORT_PEAK = (
    "with open('/proc/self/status', encoding='ascii') as status:\n"
    "    peak = next(line for line in status if line.startswith('VmHWM:'))\n"
    "sys.stderr.write('\\n' + peak.split()[1])\n"
)


def peak_kb(code: str) -> int:
    """Peak resident memory (kB) of a fresh interpreter running ``code``, which must succeed."""
    script = f"import sys\ntry:\n{_indent(code)}\nfinally:\n{_indent(_REPORT_PEAK)}\n"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr
    return int(done.stderr.strip().splitlines()[-1])


def _indent(code: str) -> str:
    return "\n".join("    " + line for line in code.splitlines())
