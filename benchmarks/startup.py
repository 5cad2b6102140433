"""Start-up: where the command's imports spend their time, from ``python -X importtime``.

    python benchmarks/startup.py [--module checkout_sim.cli] [--runs 7] [--depth 3] [--least 3]

Imports ``--module`` in a fresh interpreter ``--runs`` times and takes each module's
median. Printed: the total; the import tree down to ``--depth``, each module with its
cumulative time (itself and what it was first to import: the children of one module
partition its time) where that is at least ``--least`` ms; and the self time summed by
top-level package, then by checkout-sim module. For what a run of ``run-scenario`` costs
before its first customer, see the start-up rows of ``processes.py``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass


@dataclass
class Node:
    """One module as importtime saw it: depth, and its times in each run (microseconds)."""

    name: str
    depth: int
    own: list[int]
    cumulative: list[int]
    children: list[Node]


def importtime(module: str) -> list[tuple[int, str, int, int]]:
    """(depth, module, self us, cumulative us) per line of one fresh interpreter's ``-X importtime``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|")
        indent = len(name) - len(name.lstrip(" ")) - 1
        rows.append((indent // 2, name.strip(), int(own), int(cumulative)))
    return rows


def tree(runs: list[list[tuple[int, str, int, int]]]) -> Node:
    """The import tree of the first run, with every module's times from each run it appears in.

    importtime prints a module after the modules it imported, so a line's children are the
    lines just above it one level deeper.
    """
    own: dict[tuple[int, str], list[int]] = defaultdict(list)
    cumulative: dict[tuple[int, str], list[int]] = defaultdict(list)
    for rows in runs:
        for depth, name, self_us, cumulative_us in rows:
            # A name can appear twice: ``import a.b`` lists a.b at the top, having imported
            # package a, whose own imports may have imported a.b already, deeper.
            own[depth, name].append(self_us)
            cumulative[depth, name].append(cumulative_us)
    root = Node("(all)", -1, [], [], [])
    pending: list[Node] = []
    for depth, name, _, _ in runs[0]:
        node = Node(name, depth, own[depth, name], cumulative[depth, name], [])
        node.children = [child for child in pending if child.depth == depth + 1]
        pending = [child for child in pending if child.depth <= depth] + [node]
    root.children = pending
    return root


def median_ms(values: list[int]) -> float:
    return statistics.median(values) / 1000


def show(node: Node, depth: int, least: float) -> None:
    for child in node.children:
        took = median_ms(child.cumulative)
        if took >= least:
            print(f"{'  ' * child.depth}{child.name:<{60 - 2 * child.depth}} {took:>7.1f} ms")
            if child.depth < depth:
                show(child, depth, least)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", default="checkout_sim.cli")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--depth", type=int, default=3, help="the module asked for is at depth 0")
    parser.add_argument("--least", type=float, default=3.0, help="leave out modules under this many ms")
    args = parser.parse_args()
    runs = [importtime(args.module) for _ in range(args.runs)]
    root = tree(runs)
    top = next(node for node in root.children if node.name == args.module)
    print(
        f"import {args.module}: {median_ms(top.cumulative):.1f} ms (median of {args.runs} fresh interpreters)"
    )
    print(f"\nThe import tree, cumulative time, down to depth {args.depth}, {args.least:g} ms or more:")
    show(root, args.depth, args.least)
    packages: dict[str, list[int]] = defaultdict(lambda: [0] * args.runs)
    modules: dict[str, list[int]] = defaultdict(lambda: [0] * args.runs)
    for number, rows in enumerate(runs):
        for _, name, own, _ in rows:
            packages[name.split(".")[0]][number] += own
            if name.startswith("checkout_sim"):
                modules[name][number] += own
    for title, table in (("top-level package", packages), ("checkout-sim module", modules)):
        print(f"\nSelf time by {title} (median), {args.least:g} ms or more:")
        for name, times in sorted(table.items(), key=lambda item: -statistics.median(item[1])):
            if median_ms(times) >= args.least:
                print(f"  {name:<50} {median_ms(times):>7.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
