"""Start-up: the command loads what its flags need and no more, and keeps its imports from the collector.

Each check starts a fresh interpreter and reads its ``sys.modules`` (a module loaded by
an earlier test in this process would hide what the command itself loads). Times are
not tested here: they are measured by ``benchmarks/startup.py`` and ``processes.py``.
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SCENARIOS

CORNER = str(SCENARIOS / "corner_shop.yaml")

#: Modules of the analysis part that only a flag asks for (the summary's are display's).
SWEEP = "checkout_sim.analysis.sweep"
REPORT = "checkout_sim.analysis.report"
THEORY = "checkout_sim.analysis.theory"
DISPLAY = "checkout_sim.analysis.display"
#: What ``import checkout_sim.analysis`` loads: ``batch_means`` is a function and a module (bound
#: at once, see the face) and needs the confidence intervals.
FACE = {"checkout_sim.analysis.batch_means", "checkout_sim.analysis.confidence"}

#: Runs the command as its console script does, then prints the modules it loaded
#: (``checkout_sim.analysis.*``, multiprocessing), whether the version was looked up,
#: and the exit code, one per line on stdout (the runs below log nowhere).
RUN = """
import sys
from checkout_sim._launch import run_scenario
sys.argv = ["run-scenario", *sys.argv[1:]]
code = run_scenario()
import checkout_sim
print(sorted(m for m in sys.modules if m.startswith("checkout_sim.analysis.") or m == "multiprocessing"))
print("__version__" in vars(checkout_sim))
print(code)
"""


def loaded_by(*args: str) -> tuple[set[str], bool, int, str]:
    """(the analysis modules and multiprocessing loaded, version looked up, exit code, stderr) of one run."""
    done = subprocess.run(
        [sys.executable, "-c", RUN, *args], capture_output=True, text=True, check=True, timeout=120
    )
    modules, version, code = done.stdout.splitlines()
    return set(ast.literal_eval(modules)), version == "True", int(code), done.stderr


def test_importing_the_command_loads_no_analysis_and_no_version() -> None:
    """``import checkout_sim.cli`` loads no module of the analysis part, no multiprocessing, no version."""
    code = (
        "import sys, checkout_sim, checkout_sim.cli; "
        "print(sorted(m for m in sys.modules if m.startswith('checkout_sim.analysis') "
        "or m == 'multiprocessing')); print('__version__' in vars(checkout_sim))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "[]\nFalse\n"


def test_a_quiet_run_loads_no_sweep_report_theory_or_display() -> None:
    """A run with --quiet: of the analysis part, what the face needs and the goals (--minimize's help)."""
    modules, version, code, err = loaded_by(CORNER, "--log", "none", "--quiet")
    assert code == 0 and err == ""
    assert modules == {*FACE, "checkout_sim.analysis.goals"}
    assert not version


def test_a_run_with_its_summary_loads_the_display_and_no_sweep() -> None:
    modules, _, code, err = loaded_by(CORNER, "--log", "none")
    assert code == 0 and "customers  arrived " in err
    assert DISPLAY in modules
    assert not modules & {SWEEP, REPORT, THEORY, "multiprocessing"}


def test_a_failed_run_says_so_without_loading_the_sweep_or_the_report() -> None:
    """An error passes the except clauses of the sweep's and the report's errors: they load nothing."""
    modules, _, code, err = loaded_by(CORNER, "--log", "/nonexistent/folder/log.jsonl", "--quiet")
    assert code == 1
    assert err.startswith("run-scenario: cannot write the log to /nonexistent/folder/log.jsonl: ")
    assert not modules & {SWEEP, REPORT, THEORY, DISPLAY, "multiprocessing"}


def test_each_flag_loads_its_own_module() -> None:
    """--compare-theory loads the theory, --check of a sweep the sweep; the errors of both are said."""
    modules, _, code, _ = loaded_by(CORNER, "--log", "none", "--quiet", "--compare-theory")
    assert code == 0 and THEORY in modules and SWEEP not in modules
    modules, _, code, err = loaded_by(CORNER, "--check", "--sweep", "cashiers.count=1,2")
    assert code == 0 and SWEEP in modules and err.endswith(": ok\n")
    # a usage error of the sweep's kind, raised before anything loaded its module
    modules, _, code, err = loaded_by(CORNER, "--goal", "wait_p90 <= 5m")
    assert (code, err) == (2, "run-scenario: --goal goes only with --sweep or --plan\n")
    # and one raised inside the sweep's own module
    modules, _, code, err = loaded_by(
        CORNER, "--check", "--sweep", "cashiers.count=1,2", "--goal", "nonsense"
    )
    assert (code, err) == (2, "run-scenario: goal 'nonsense': expected one of <=, <, >=, > exactly once\n")
    assert SWEEP in modules


def test_version_is_printed_as_argparse_did() -> None:
    """--version: ``run-scenario VERSION`` on stdout, exit 0, even without the scenario's path."""
    for args in (["--version"], [CORNER, "--version"]):
        done = subprocess.run(
            [sys.executable, "-m", "checkout_sim", *args], capture_output=True, text=True, check=False
        )
        assert (done.returncode, done.stdout, done.stderr) == (
            0,
            f"run-scenario {importlib.metadata.version('checkout-sim')}\n",
            "",
        )
    shown = subprocess.run(
        [sys.executable, "-m", "checkout_sim", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "--version" in shown and "show program's version number and exit" in shown


#: A launcher whose command reports the collector's state while it runs.
COLLECTOR = """
import gc, sys
from checkout_sim import _launch
if sys.argv[1] == "off":
    gc.disable()
seen = []

def load():
    seen.append(gc.isenabled())
    import checkout_sim.cli
    if sys.argv[1] == "failing":
        raise ImportError("no such command")
    return lambda: print(seen[0], gc.isenabled(), gc.get_freeze_count() > 20_000) or 0

try:
    code = _launch._launched("run-scenario", load)
except ImportError:
    print(seen[0], gc.isenabled())
    raise SystemExit(3)
raise SystemExit(code)
"""


@pytest.mark.parametrize(
    ("case", "said"),
    [
        ("on", "False True True\n"),  # paused while loading, collecting again, the imports frozen
        ("off", "False False True\n"),  # a collector turned off before stays off
        ("failing", "False True\n"),  # a failed load leaves it as it was
    ],
)
def test_the_imports_are_kept_from_the_collector(case: str, said: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", COLLECTOR, case], capture_output=True, text=True, check=False
    )
    assert done.stdout == said, done.stderr
    assert done.returncode == (3 if case == "failing" else 0)


def _type_checking_imports(path: Path) -> dict[str, str]:
    """Each name the face imports under ``if TYPE_CHECKING:``, and its module's last part."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    (block,) = [
        node
        for node in tree.body
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
    ]
    return {
        alias.name: str(node.module)
        for node in block.body
        if isinstance(node, ast.ImportFrom) and node.level == 1
        for alias in node.names
    }


def test_the_analysis_face_is_lazy_and_complete() -> None:
    """``import checkout_sim.analysis`` loads only what ``batch_means`` needs; each name resolves to its
    module's object.

    What type checkers read (the TYPE_CHECKING imports), the lazy path's table and __all__
    name the same things from the same modules.
    """
    code = (
        "import sys, checkout_sim.analysis; "
        "print(sorted(m for m in sys.modules if m.startswith('checkout_sim.analysis.')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == f"{sorted(FACE)}\n"

    analysis = importlib.import_module("checkout_sim.analysis")
    static = _type_checking_imports(Path(str(analysis.__file__)))
    assert static == analysis._HOMES
    assert sorted(static) == sorted(analysis.__all__)
    for name, home in static.items():
        module = importlib.import_module(f"checkout_sim.analysis.{home}")
        assert analysis.__getattr__(name) is getattr(module, name) is getattr(analysis, name), name
        assert analysis.loaded(name) is getattr(module, name), name
    assert analysis.sweep is importlib.import_module(SWEEP)  # submodules, as when the face loaded them
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        analysis.__getattr__("no_such_name")


#: Imports every module of the analysis part (each one, by itself, binds the package's
#: attribute of its name), then checks each public name by plain attribute access.
EVERY_MODULE = """
import importlib, pkgutil, sys
order = sys.argv[1]
import checkout_sim.analysis as face
names = [info.name for info in pkgutil.iter_modules(face.__path__)]
for name in (names if order == "forward" else names[::-1]):
    importlib.import_module(f"checkout_sim.analysis.{name}")
from checkout_sim.analysis import batch_means
wrong = [
    name for name in face.__all__
    if getattr(face, name) is not getattr(sys.modules[f"checkout_sim.analysis.{face._HOMES[name]}"], name)
]
print(len(names))
print(wrong)
print(callable(batch_means))
"""


@pytest.mark.parametrize("order", ["forward", "backward"])
def test_a_name_that_is_also_a_module_stays_the_name(order: str) -> None:
    """``batch_means`` is a function and a module: after every module is imported it is still the function."""
    done = subprocess.run(
        [sys.executable, "-c", EVERY_MODULE, order], capture_output=True, text=True, check=True
    )
    count, wrong, function = done.stdout.splitlines()
    assert int(count) >= 9 and wrong == "[]" and function == "True"


def test_loaded_imports_nothing() -> None:
    code = (
        "import sys, checkout_sim.analysis as a; "
        "print(a.loaded('SweepError'), a.loaded('GoalError'), 'checkout_sim.analysis.sweep' in sys.modules); "
        "import checkout_sim.analysis.sweep as s; print(a.loaded('SweepError') is s.SweepError)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "None None False\nTrue\n"
