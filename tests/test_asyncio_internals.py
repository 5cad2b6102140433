"""asyncio's internals, in one place: the clock module's table of them holds here, and fails loudly where not.

The virtual loop and the waiting line lean on private asyncio names (for speed). They
are all named in ``engine/clock.py``, listed in its ``ASYNCIO_INTERNALS`` table with
why, and checked against the running interpreter when the first loop or line is made.
These tests check (a) that the check passes here, (b) that an interpreter whose
internals differ stops a run with an error naming what differs, (c) that the table
lists exactly the private asyncio names the module uses, and that no other module
uses any, and (d) that the asyncio code the module copies or replaces is the code it
was written against, so a new Python that changes it fails here, not in a wrong result.
"""

from __future__ import annotations

import ast
import asyncio
import asyncio.base_events
import asyncio.events
import asyncio.futures
import asyncio.mixins
import asyncio.queues
import asyncio.tasks
import collections
import functools
import hashlib
import inspect
import platform
import re
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import checkout_sim
from checkout_sim import parse_scenario, run
from checkout_sim.engine import clock
from checkout_sim.engine.clock import ASYNCIO_INTERNALS, VirtualClockLoop, check_asyncio_internals
from checkout_sim.engine.line import make_line

PACKAGE = Path(checkout_sim.__file__).parent
CLOCK = PACKAGE / "engine" / "clock.py"


@pytest.fixture
def unchecked(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first loop or line made from here on runs the check again (it runs once per process)."""
    monkeypatch.setattr(clock, "_check_once", functools.cache(check_asyncio_internals))


def failure(expected: str) -> Any:
    """pytest.raises for the check's error, which names what differs and this Python's version."""
    return pytest.raises(
        RuntimeError,
        match=rf"cannot run on Python {re.escape(platform.python_version())} .*{re.escape(expected)}",
    )


# (a) The check passes on this interpreter.


def test_the_check_passes_here() -> None:
    """Every name in the table is here with its kind, and means what the clock module takes it to mean."""
    check_asyncio_internals()


def test_every_entry_says_where_what_and_why() -> None:
    """Each entry names an owner and a kind the check knows, and a reason."""
    owners = {"Queue", "BaseEventLoop", "Handle", "TimerHandle", "Future", "Task", "asyncio.events"}
    for internal in ASYNCIO_INTERNALS:
        assert internal.owner in owners, internal
        assert internal.kind in clock._KIND_CHECKS, internal
        assert internal.name.startswith("_") and not internal.name.startswith("__"), internal
        assert len(internal.why) > 20, internal
    keys = [(internal.owner, internal.name) for internal in ASYNCIO_INTERNALS]
    assert len(keys) == len(set(keys)), "an entry is listed twice"


# (b) An interpreter whose internals differ: the check, and any loop or line, fails loudly.


def test_a_missing_method_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(asyncio.Queue, "_wakeup_next")
    with failure("Queue._wakeup_next is missing or not a method"):
        check_asyncio_internals()


def test_a_method_that_is_no_longer_one_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(asyncio.BaseEventLoop, "_run_once", None)
    with failure("BaseEventLoop._run_once is missing or not a method"):
        check_asyncio_internals()


def test_an_attribute_of_another_type_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """A queue whose waiting getters became a list: named, with what it is now."""
    made = asyncio.Queue.__init__

    def init(self: asyncio.Queue[Any], maxsize: int = 0) -> None:
        made(self, maxsize)
        vars(self)["_getters"] = list(vars(self)["_getters"])

    monkeypatch.setattr(asyncio.Queue, "__init__", init)
    with failure("Queue._getters is a list, not a deque"):
        check_asyncio_internals()


def test_a_missing_attribute_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    made = asyncio.BaseEventLoop.__init__

    def init(self: asyncio.BaseEventLoop) -> None:
        made(self)
        vars(self)["_stopped"] = vars(self).pop("_stopping")

    monkeypatch.setattr(asyncio.BaseEventLoop, "__init__", init)
    with failure("BaseEventLoop._stopping is missing"):
        check_asyncio_internals()


def test_a_new_handle_slot_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """Handles made here set every slot themselves: one more slot in asyncio's Handle stops the run."""

    class Handle(asyncio.Handle):  # what a Python with one more slot would have
        __slots__ = ("_trace",)

    monkeypatch.setattr(Handle, "__slots__", (*asyncio.Handle.__slots__, "_trace"), raising=False)
    monkeypatch.setattr(asyncio, "Handle", Handle)
    with failure("Handle.__slots__ is ['_args', '_callback', '_cancelled', '_context', '_loop', '_repr', "):
        check_asyncio_internals()


def test_a_name_that_means_something_else_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every name there, but cancelling a timer no longer counts it: the purge would go wrong."""
    monkeypatch.setattr(asyncio.BaseEventLoop, "_timer_handle_cancelled", lambda self, handle: None)
    with failure("cancelling a scheduled TimerHandle no longer counts _timer_cancelled_count"):
        check_asyncio_internals()


def test_a_queue_whose_put_counts_elsewhere_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(asyncio.Queue, "put_nowait", lambda self, item: self._put(item))
    with failure("Queue.put_nowait no longer adds to _queue, counts _unfinished_tasks, clears _finished"):
        check_asyncio_internals()


def test_a_shut_down_flag_is_required_where_queues_shut_down(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Python whose queues can shut down must say so where put_nowait, written out, looks."""
    made = asyncio.Queue.__init__

    def init(self: asyncio.Queue[Any], maxsize: int = 0) -> None:
        made(self, maxsize)
        self.__dict__.pop("_is_shutdown", None)

    monkeypatch.setattr(asyncio.Queue, "shutdown", lambda self, immediate=False: None, raising=False)
    monkeypatch.setattr(asyncio.Queue, "__init__", init)
    with failure("Queue._is_shutdown is missing"):
        check_asyncio_internals()


def test_every_problem_is_named_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(asyncio.Queue, "_wakeup_next")
    monkeypatch.delattr(asyncio.BaseEventLoop, "_check_closed")
    with pytest.raises(RuntimeError) as raised:
        check_asyncio_internals()
    message = str(raised.value)
    assert "Queue._wakeup_next" in message and "BaseEventLoop._check_closed" in message
    assert "tested on Python 3.11, 3.12, 3.13" in message and "ASYNCIO_INTERNALS" in message


@pytest.mark.usefixtures("unchecked")
def test_no_loop_is_made_where_internals_differ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(asyncio.BaseEventLoop, "_run_once")
    with failure("BaseEventLoop._run_once is missing"):
        VirtualClockLoop()


@pytest.mark.usefixtures("unchecked")
def test_no_line_is_made_where_internals_differ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(asyncio.Queue, "_wakeup_next")
    with failure("Queue._wakeup_next is missing"):
        make_line("fifo", None, lambda: 0.0)


@pytest.mark.usefixtures("unchecked")
def test_a_run_stops_with_the_error_rather_than_give_a_result(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not a silently wrong summary: the whole run refuses, naming the difference."""
    scenario = parse_scenario(
        "name: tiny\narrivals: {pattern: poisson, rate: 1/min, limit: 5}\n"
        "products: [{name: x, checkout_time: {dist: exponential, mean: 30s}}]\ncashiers: {count: 1}\n"
    )
    assert run(scenario, seed=1).arrived == 5  # here, it runs
    monkeypatch.setattr(clock, "_check_once", functools.cache(check_asyncio_internals))  # checked afresh
    made = asyncio.Queue.__init__

    def init(self: asyncio.Queue[Any], maxsize: int = 0) -> None:
        made(self, maxsize)
        vars(self)["_pending"] = vars(self).pop("_unfinished_tasks")

    monkeypatch.setattr(asyncio.Queue, "__init__", init)
    with failure("Queue._unfinished_tasks is missing"):
        run(scenario, seed=1)


def test_the_check_runs_once_and_a_failure_is_not_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cached on success only: a check that failed fails again at the next loop or line."""
    calls: list[None] = []

    def counted() -> None:
        calls.append(None)
        if len(calls) == 1:
            raise RuntimeError("differs")

    once = functools.cache(counted)
    monkeypatch.setattr(clock, "_check_once", once)
    with pytest.raises(RuntimeError):
        VirtualClockLoop()
    for _ in range(3):
        VirtualClockLoop().close()
    assert len(calls) == 2


# (c) The table lists exactly the private asyncio names the clock module uses; no other module uses any.

#: asyncio classes whose private names the package could reach (by subclassing, or on the objects
#: it is handed); their instances' own attributes are added from fresh ones below.
ASYNCIO_CLASSES: tuple[type, ...] = (
    asyncio.Queue,
    asyncio.LifoQueue,
    asyncio.PriorityQueue,
    asyncio.mixins._LoopBoundMixin,
    asyncio.AbstractEventLoop,
    asyncio.BaseEventLoop,
    asyncio.Handle,
    asyncio.TimerHandle,
    asyncio.Future,
    vars(asyncio.futures)["_PyFuture"],  # the Python futures and tasks, whose attributes dir() shows
    asyncio.Task,
    vars(asyncio.tasks)["_PyTask"],
    asyncio.Event,
    asyncio.Runner,
)
ASYNCIO_MODULES = (asyncio.events, asyncio.base_events, asyncio.queues, asyncio.futures, asyncio.tasks)


def private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def asyncio_private_names() -> set[str]:
    """Every private name of those classes (and of fresh instances), modules, and the table, here."""
    names = {name for cls in ASYNCIO_CLASSES for name in dir(cls) if private(name)}
    names |= {name for module in ASYNCIO_MODULES for name in vars(module) if private(name)}
    names |= {name for name in vars(asyncio.Queue()) if private(name)}
    loop = asyncio.BaseEventLoop()
    names |= {name for name in vars(loop) if private(name)}
    loop.close()
    # Names of other Pythons (_is_shutdown from 3.13, _ThreadSafeHandle from 3.12.3) count everywhere.
    return names | {internal.name for internal in ASYNCIO_INTERNALS}


def asyncio_subclasses(trees: list[ast.Module]) -> set[str]:
    """The names of the classes that derive from an asyncio class, directly or through each other."""
    derived: set[str] = set()
    while True:
        before = len(derived)
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in derived:
                    bases = [ast.unparse(base).split("[")[0] for base in node.bases]
                    if any(base.startswith("asyncio.") or base.split(".")[-1] in derived for base in bases):
                        derived.add(node.name)
        if len(derived) == before:
            return derived


class Uses(ast.NodeVisitor):
    """The private names a module writes: attributes, and in classes, methods and class attributes.

    ``everywhere``: every one. Otherwise only those that can reach asyncio's: an attribute of
    anything but ``self`` or ``cls``, and anything of a class that derives from an asyncio class
    (whose own names would shadow asyncio's), as ``derived`` names them.
    """

    def __init__(self, derived: set[str], everywhere: bool) -> None:
        self.derived, self.everywhere = derived, everywhere
        self.found: dict[str, int] = {}
        self._in_derived: list[bool] = [False]

    def _add(self, name: str, node: ast.AST) -> None:
        if private(name):
            self.found.setdefault(name, getattr(node, "lineno", 0))

    def _counts_all(self) -> bool:
        return self.everywhere or self._in_derived[-1]

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._in_derived.append(node.name in self.derived or self._in_derived[-1])
        if self._counts_all():
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    self._add(item.name, item)
                if isinstance(item, (ast.Assign, ast.AnnAssign)):
                    targets = item.targets if isinstance(item, ast.Assign) else [item.target]
                    for target in targets:
                        if isinstance(target, ast.Name):
                            self._add(target.id, item)
                    if any(isinstance(t, ast.Name) and t.id == "__slots__" for t in targets) and item.value:
                        for constant in ast.walk(item.value):
                            if isinstance(constant, ast.Constant) and isinstance(constant.value, str):
                                self._add(constant.value, item)
        self.generic_visit(node)
        self._in_derived.pop()

    def visit_Attribute(self, node: ast.Attribute) -> None:
        on_self = isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"}
        if not on_self or self._counts_all():
            self._add(node.attr, node)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        """``getattr(x, "_name", ...)`` and the like name it too."""
        function, args = node.func, node.args
        by_name = isinstance(function, ast.Name) and function.id in {
            "getattr",
            "hasattr",
            "setattr",
            "delattr",
        }
        if by_name and len(args) > 1 and isinstance(args[1], ast.Constant) and isinstance(args[1].value, str):
            self._add(args[1].value, node)
        self.generic_visit(node)


TREES = {path: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(PACKAGE.rglob("*.py"))}
DERIVED = asyncio_subclasses(list(TREES.values()))


def uses(path: Path, everywhere: bool) -> dict[str, int]:
    """The asyncio private names ``path`` uses (see :class:`Uses`), each with a line it is on."""
    visitor = Uses(DERIVED, everywhere)
    visitor.visit(TREES[path])
    names = asyncio_private_names()
    return {name: line for name, line in visitor.found.items() if name in names}


def test_the_table_lists_every_private_asyncio_name_the_clock_module_uses() -> None:
    """A new private use must go in the table with why; an entry no longer used must go."""
    used = uses(CLOCK, everywhere=True)
    named = {internal.name for internal in ASYNCIO_INTERNALS if internal.named}
    unlisted = {name: f"clock.py:{line}" for name, line in used.items() if name not in named}
    assert not unlisted, f"private asyncio names used but not in ASYNCIO_INTERNALS: {unlisted}"
    assert not named - set(used), f"in ASYNCIO_INTERNALS but no longer used: {sorted(named - set(used))}"
    only_reached = {i.name for i in ASYNCIO_INTERNALS if not i.named} - named
    assert not only_reached & set(used), "an entry marked as reached by asyncio only is named in the module"


def test_no_other_module_uses_a_private_asyncio_name() -> None:
    """Every private asyncio name is in the clock module: the line, the engine and the rest use none."""
    found = {
        f"{path.relative_to(PACKAGE)}:{line}": name
        for path in TREES
        if path != CLOCK
        for name, line in uses(path, everywhere=False).items()
    }
    assert not found, f"private asyncio names outside engine/clock.py: {found}"
    assert {
        "QueueCore",
        "Line",
        "LifoLine",
        "PriorityLine",
        "VirtualClockLoop",
    } <= DERIVED  # the scan saw them


def test_the_scan_sees_a_private_use() -> None:
    """The scan itself: asyncio's names on other objects, and in asyncio subclasses (even through another
    module's class), are found; a plain class's own attributes are not."""
    base = ast.parse("import asyncio\nclass Mine(asyncio.Queue[int]):\n    pass\n")
    tree = ast.parse(
        textwrap.dedent(
            """
            class Yours(Mine):
                _held = 0
                def _wakeup_next(self, waiters): ...
                def get(self):
                    return self._queue, self._held

            class Other:
                def __init__(self, loop):
                    self._loop = loop
                    self._closed = getattr(loop, "_closed")
                    loop._ready.clear()
            """
        )
    )
    visitor = Uses(asyncio_subclasses([tree, base]), everywhere=False)
    visitor.visit(tree)
    assert set(visitor.found) & asyncio_private_names() == {"_wakeup_next", "_queue", "_closed", "_ready"}


def test_the_table_as_it_stands() -> None:
    """The table, owner by owner: what a reader of this test sees the module relies on."""
    by_owner: dict[str, list[str]] = collections.defaultdict(list)
    for internal in ASYNCIO_INTERNALS:
        by_owner[internal.owner].append(internal.name)
    assert by_owner == {
        "Queue": [
            "_init",
            "_put",
            "_get",
            "_queue",
            "_maxsize",
            "_getters",
            "_putters",
            "_unfinished_tasks",
            "_finished",
            "_wakeup_next",
            "_is_shutdown",
            "_loop",
            "_get_loop",
        ],
        "BaseEventLoop": [
            "_run_once",
            "_ready",
            "_stopping",
            "_closed",
            "_check_closed",
            "_timer_cancelled_count",
            "_timer_handle_cancelled",
        ],
        "Handle": [
            "_callback",
            "_args",
            "_context",
            "_cancelled",
            "_loop",
            "_repr",
            "_source_traceback",
            "_run",
        ],
        "TimerHandle": ["_when", "_scheduled"],
        "Future": ["_asyncio_future_blocking"],
        "Task": ["_loop"],
        "asyncio.events": ["_ThreadSafeHandle"],
    }


# (d) The asyncio code the clock module copies (written out for speed) or replaces is the code
# it was written against: a Python that changes any of it fails here, to be read and followed.

#: asyncio's function -> its fingerprint on each Python it was read on (source, docstring and
#: comments left out). A new fingerprint means new code: compare it with clock.py's copy
#: (QueueCore.put_nowait and get_nowait, VirtualClockLoop's passes and call_*, the handles'
#: __init__), change the copy if need be, and add the fingerprint with the Python it came from.
COPIED: dict[tuple[type, str], dict[str, str]] = {
    (asyncio.Queue, "__init__"): {"0d6ec2cf3c0b": "3.11.7, 3.12.1", "887c6eac8392": "3.13.0"},
    (asyncio.Queue, "put_nowait"): {"efdf1437e215": "3.11.7, 3.12.1", "ab3f4113e5d7": "3.13.0"},
    (asyncio.Queue, "get_nowait"): {"19c5cb64a352": "3.11.7, 3.12.1", "168dcd2e6230": "3.13.0"},
    (asyncio.Queue, "_wakeup_next"): {"fd5c13e68a93": "3.11.7, 3.12.1, 3.13.0"},
    (asyncio.mixins._LoopBoundMixin, "_get_loop"): {"2648bdcf24fc": "3.11.7, 3.12.1, 3.13.0"},
    (asyncio.BaseEventLoop, "call_soon"): {"089c2f1e0055": "3.11.7, 3.12.1, 3.13.0"},
    (asyncio.BaseEventLoop, "_call_soon"): {"0d21d7878b73": "3.11.7, 3.12.1, 3.13.0"},
    (asyncio.BaseEventLoop, "call_soon_threadsafe"): {"a83fd2529bb8": "3.11.7, 3.12.1, 3.13.0"},
    (asyncio.BaseEventLoop, "call_at"): {"360ffc10ae52": "3.11.7, 3.12.1, 3.13.0"},
    (asyncio.BaseEventLoop, "_run_once"): {"6803a518c7f6": "3.11.7, 3.12.1", "26d51c9470e4": "3.13.0"},
    (asyncio.BaseEventLoop, "run_forever"): {"d90c263f7357": "3.11.7, 3.12.1", "5358e37cf1bf": "3.13.0"},
    (asyncio.BaseEventLoop, "stop"): {"5a158a0b6a38": "3.11.7, 3.12.1, 3.13.0"},
    (asyncio.BaseEventLoop, "close"): {"627eda734e1f": "3.11.7, 3.12.1, 3.13.0"},
    (asyncio.BaseEventLoop, "_timer_handle_cancelled"): {"976a63f6981c": "3.11.7, 3.12.1, 3.13.0"},
    (asyncio.Handle, "__init__"): {"5fc226e3101e": "3.11.7, 3.12.1, 3.13.0"},
    (asyncio.Handle, "cancel"): {"f97cdd575b39": "3.11.7, 3.12.1, 3.13.0"},
    (asyncio.Handle, "_run"): {"fbd2180838ea": "3.11.7, 3.12.1", "c5ffde75880b": "3.13.0"},
    (asyncio.TimerHandle, "__init__"): {"1597ea7b0ebc": "3.11.7, 3.12.1, 3.13.0"},
    (asyncio.TimerHandle, "cancel"): {"730a398e2bef": "3.11.7, 3.12.1, 3.13.0"},
}


def fingerprint(function: Callable[..., object]) -> str:
    """The function's code, docstring and comments left out, hashed (12 hex digits)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    definition = tree.body[0]
    assert isinstance(definition, ast.FunctionDef)
    body = definition.body
    first = body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        definition.body = body[1:] or [ast.Pass()]
    return hashlib.sha256(ast.unparse(tree).encode()).hexdigest()[:12]


def test_the_asyncio_code_the_clock_module_follows_is_unchanged() -> None:
    changed = {
        f"{owner.__name__}.{name}": fingerprint(vars(owner)[name])
        for (owner, name), known in COPIED.items()
        if fingerprint(vars(owner)[name]) not in known
    }
    assert not changed, (
        f"asyncio's code differs on Python {platform.python_version()} from what engine/clock.py "
        f"copies or replaces: {changed}. Read the new code, follow it in clock.py, then add the "
        "fingerprints to COPIED with this Python's version."
    )
