"""The plan's rosters as YAML to paste, and written into a copy of the scenario (issue 22).

Each form must read back, through the scenario loader itself, as exactly the roster the
plan gave (seconds since opening, whether written ``"08:15"`` or ``15m``), and the copy
must be the file as its author wrote it with only the planned groups' ``count`` or
``roster`` changed: every shipped scenario, and the layouts a hand-written file has
(block and flow rosters and mappings, comments after values, CRLF, a ``cashiers:``
scenario, no final line break). What it cannot edit safely is refused, never damaged.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from checkout_sim.analysis.plan_yaml import planned_copy, roster_yaml
from checkout_sim.analysis.planning import PlanError, PlannedGroup
from checkout_sim.config import Scenario, parse_scenario
from checkout_sim.config.staffing import PlanBounds, Shift
from conftest import SCENARIOS

SHIPPED = sorted(SCENARIOS.glob("*.yaml"))

HEAD = """\
name: shop
seed: 1
duration: 3h
products: [{name: bread, checkout_time: 5s}]
arrivals: {pattern: poisson, rate: 60/h}
"""


def shifts(*entries: tuple[float, int]) -> list[Shift]:
    return [Shift.model_validate({"from": start, "open": open_}) for start, open_ in entries]


#: A roster every test scenario can take: three entries, off the hour, within the shortest day.
THREE = shifts((0, 2), (900, 3), (1710, 1))


def groups_of(scenario: Scenario) -> list[PlannedGroup]:
    """Every group of the scenario, as the plan would name them (planned or not, scaling or not)."""
    return [
        PlannedGroup(
            index, lane.name, "cashiers" if scenario.lanes is None else f"lanes.{index}", PlanBounds(), None
        )
        for index, lane in enumerate(scenario.tills())
    ]


def replaced(
    scenario: Scenario, groups: Sequence[PlannedGroup], rosters: Sequence[list[Shift]]
) -> dict[str, Any]:
    """The scenario's data with each group's count or roster replaced by its roster."""
    data = scenario.model_dump()
    for group, roster in zip(groups, rosters, strict=True):
        top, _, index = group.key.partition(".")
        part = data[top][int(index)] if index else data[top]
        part["count"] = None
        part["roster"] = [shift.model_dump() for shift in roster]
    return data


def copied(text: str, rosters: Sequence[list[Shift]] | None = None, source: str = "shop.yaml") -> str:
    """``text`` with every group on ``rosters`` (default: THREE each), checked to read back so."""
    scenario = parse_scenario(text, source)
    groups = groups_of(scenario)
    rosters = rosters if rosters is not None else [THREE] * len(groups)
    new = planned_copy(text, source, groups, rosters, scenario.opens_at)
    assert parse_scenario(new, source).model_dump() == replaced(scenario, groups, rosters)
    return new


# roster_yaml


def test_rosters_to_paste_by_the_clock() -> None:
    path = SCENARIOS / "saturday.yaml"
    scenario = parse_scenario(path.read_text(encoding="utf-8"), str(path))
    groups = groups_of(scenario)[:2]
    text = roster_yaml(scenario, groups, [shifts((0, 2), (4500, 3)), shifts((0, 1), (43200 - 1800, 2))])
    assert text == (
        "# the plan's rosters for saturday: paste each over its group's count or roster\n"
        "lanes:\n"
        "  - name: tills\n"
        "    roster:\n"
        '      - {from: "08:00", open: 2}\n'
        '      - {from: "09:15", open: 3}\n'
        "  - name: express\n"
        "    roster:\n"
        '      - {from: "08:00", open: 1}\n'
        '      - {from: "19:30", open: 2}\n'
    )


def test_rosters_to_paste_since_opening() -> None:
    scenario = parse_scenario(HEAD + "lanes:\n  - {name: tills, count: 2}\n  - {name: express, count: 1}\n")
    text = roster_yaml(scenario, groups_of(scenario)[1:], [shifts((0, 1), (900, 2), (5400, 1), (7510, 3))])
    assert text.splitlines()[1:] == [
        "lanes:",
        "  - name: express",
        "    roster:",
        "      - {from: 0s, open: 1}",
        "      - {from: 15m, open: 2}",
        "      - {from: 1h30m, open: 1}",
        "      - {from: 2h5m10s, open: 3}",
    ]


def test_a_cashiers_roster_to_paste() -> None:
    scenario = parse_scenario(HEAD + "cashiers: {count: 3}\n")
    text = roster_yaml(scenario, groups_of(scenario), [THREE])
    assert text.splitlines()[1:] == [
        "cashiers:",
        "  roster:",
        "    - {from: 0s, open: 2}",
        "    - {from: 15m, open: 3}",
        "    - {from: 28m30s, open: 1}",
    ]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.stem)
def test_pasted_rosters_read_back(path: Path) -> None:
    """Pasted over each group of every shipped scenario, the YAML gives the plan's rosters."""
    text = path.read_text(encoding="utf-8")
    scenario = parse_scenario(text, str(path))
    groups = groups_of(scenario)
    rosters = [shifts((0, 1 + index % 2), (900, 2), (1710, 1)) for index in range(len(groups))]
    pasted = yaml.safe_load(roster_yaml(scenario, groups, rosters))
    data = yaml.safe_load(text)
    if scenario.lanes is None:
        data["cashiers"].pop("count", None)
        data["cashiers"]["roster"] = pasted["cashiers"]["roster"]
    else:
        for group, lane in zip(groups, pasted["lanes"], strict=True):
            part = data["lanes"][group.index]
            assert lane["name"] == part["name"]
            part.pop("count", None)
            part["roster"] = lane["roster"]
    back = parse_scenario(yaml.safe_dump(data, sort_keys=False), str(path))
    assert back.model_dump() == replaced(scenario, groups, rosters)


@pytest.mark.parametrize(
    ("opens_at", "roster", "written"),
    [
        # on a second that is not a whole minute: to the second
        ('"08:00:30"', shifts((0, 1), (900, 2)), ['"08:00:30"', '"08:15:30"']),
        # past midnight there is no time of day to write: all since opening, not a mix
        ('"22:00"', shifts((0, 1), (3600, 2), (3 * 3600, 1)), ["0s", "1h", "3h"]),
        # off the whole second: in seconds, exactly
        ('"08:00"', shifts((0, 1), (0.1 + 0.2, 2), (90.5, 3)), ["0s", "0.30000000000000004s", "90.5s"]),
    ],
    ids=["to-the-second", "past-midnight", "off-the-second"],
)
def test_moments_that_are_not_whole_minutes(opens_at: str, roster: list[Shift], written: list[str]) -> None:
    text = HEAD.replace("duration: 3h", f"opens_at: {opens_at}\nduration: 4h") + "cashiers: {count: 1}\n"
    scenario = parse_scenario(text)
    pasted = roster_yaml(scenario, groups_of(scenario), [roster])
    assert [line.split("from: ")[1].split(",")[0] for line in pasted.splitlines()[3:]] == written
    data = yaml.safe_load(text)
    data["cashiers"] = yaml.safe_load(pasted)["cashiers"]
    assert parse_scenario(yaml.safe_dump(data)).tills()[0].roster == roster
    assert parse_scenario(copied(text, [roster])).tills()[0].roster == roster


def test_names_yaml_would_misread_are_quoted() -> None:
    names = ["yes", "a: b", "1st", "null", "café au lait", "x #y", " padded"]
    lanes = "".join(
        f"  - {{name: {yaml.safe_dump(name, default_style=chr(34)).strip()}, count: 1}}\n" for name in names
    )
    scenario = parse_scenario(HEAD + "lanes:\n" + lanes)
    pasted = yaml.safe_load(roster_yaml(scenario, groups_of(scenario), [THREE] * len(names)))
    assert [lane["name"] for lane in pasted["lanes"]] == names
    assert "  - name: café au lait\n" in roster_yaml(scenario, groups_of(scenario), [THREE] * len(names))


# planned_copy: the shipped scenarios


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.stem)
def test_every_shipped_scenario_takes_a_plan(path: Path) -> None:
    """Every group's count or roster replaced: the copy loads (profile and trace files found
    next to the scenario) as the scenario with only the rosters changed."""
    text = path.read_bytes().decode("utf-8")
    new = copied(text, source=str(path))
    # Only lines with a count or roster changed, and every other line is kept in order.
    changed = [
        line for line in difflib.ndiff(text.splitlines(), new.splitlines()) if line[:2] in ("- ", "+ ")
    ]
    assert changed
    for line in changed:
        assert any(word in line for word in ("count:", "roster:", "{from:")), line


def test_saturday_rosters_replaced_in_place() -> None:
    """A block roster and a count followed by keys and a comment: only they change."""
    path = SCENARIOS / "saturday.yaml"
    text = path.read_text(encoding="utf-8")
    new = copied(text, [shifts((0, 2), (4500, 3)), shifts((0, 1)), shifts((0, 3), (3600, 2))], str(path))
    lanes = new[new.index("lanes:") : new.index("service_level:")]
    assert lanes == (
        "lanes:\n"
        "  - name: tills\n"
        "    line: per_till\n"
        "    payment_time: {dist: normal, mean: 25s, sd: 8s}\n"
        "    roster:\n"
        '      - {from: "08:00", open: 2}\n'
        '      - {from: "09:15", open: 3}\n'
        '    breaks: {every: 2h, length: 15m, at_once: 1, between: ["10:00", "18:00"]}\n'
        "    plan: {min: 1, max: 10, min_shift: 4h, max_shift: 8h}   # what run-scenario --plan may staff\n"
        "  - name: express\n"
        "    max_items: 10\n"
        "    payment_time: {dist: normal, mean: 15s, sd: 5s}\n"
        "    roster:\n"
        '      - {from: "08:00", open: 1}\n'
        "    plan: {min: 1, max: 4, min_shift: 4h, max_shift: 8h}\n"
        "  - name: self-checkout\n"
        "    roster:\n"
        '      - {from: "08:00", open: 3}\n'
        '      - {from: "09:00", open: 2}\n'
        "    max_items: 15\n"
        "    scan_factor: 1.6\n"
        "    attendants: 1\n"
        "    staff_per_hour: 0              # the kiosks cost nothing an hour; their attendant does\n"
        "    assist: {probability: 0.15, time: {dist: exponential, mean: 40s}}\n"
        "    segments: [quick]\n"
    )
    assert new.replace(lanes, "") == text.replace(
        text[text.index("lanes:") : text.index("service_level:")], ""
    )


# planned_copy: layouts


def test_block_roster_followed_by_comments_and_keys() -> None:
    text = HEAD + (
        "lanes:\n"
        "  - name: tills\n"
        "    roster:            # the usual Saturday\n"
        "      - {from: 0, open: 2}\n"
        "      # lunch\n"
        "      - {from: 1h, open: 4}   # the peak\n"
        "    # breaks come later\n"
        "\n"
        "    line: shared\n"
        "  - name: express\n"
        "    roster:\n"
        "    - from: 0\n"
        "      open: 1\n"
        "    - from: 2h\n"
        "      open: 2\n"
        "# the end\n"
    )
    new = copied(text, [shifts((0, 3), (900, 1)), shifts((0, 2))])
    assert new == HEAD + (
        "lanes:\n"
        "  - name: tills\n"
        "    roster:            # the usual Saturday\n"
        "      - {from: 0s, open: 3}\n"
        "      - {from: 15m, open: 1}\n"
        "    # breaks come later\n"
        "\n"
        "    line: shared\n"
        "  - name: express\n"
        "    roster:\n"
        "      - {from: 0s, open: 2}\n"
        "# the end\n"
    )


def test_counts_and_flow_rosters_in_flow_mappings() -> None:
    text = HEAD + (
        "lanes:\n"
        "  - {name: tills, count: 2, line: shared}   # two on weekdays\n"
        "  - {name: express, count: 2, max_items: 10}\n"
        "  - {name: late, roster: [{from: 0, open: 1}, {from: 2h, open: 2}]}\n"
        "  - {name: spread,\n"
        "     count: 1,\n"
        "     max_items: 5}\n"
    )
    new = copied(text, [shifts((0, 2), (900, 3)), THREE, shifts((0, 4)), shifts((0, 1))])
    assert new == HEAD + (
        "lanes:\n"
        "  - {name: tills, roster: [{from: 0s, open: 2}, {from: 15m, open: 3}], line: shared}"
        "   # two on weekdays\n"
        "  - {name: express, roster: [{from: 0s, open: 2}, {from: 15m, open: 3}, {from: 28m30s, open: 1}],"
        " max_items: 10}\n"
        "  - {name: late, roster: [{from: 0s, open: 4}]}\n"
        "  - {name: spread,\n"
        "     roster: [{from: 0s, open: 1}],\n"
        "     max_items: 5}\n"
    )


def test_counts_and_flow_rosters_in_block_mappings() -> None:
    text = HEAD + (
        "lanes:\n"
        "  - count: 2 # first key of the item\n"
        "    name: tills\n"
        "  - name: express\n"
        "    roster: [{from: 0, open: 1},\n"
        "             {from: 2h, open: 2}]\n"
        "    max_items: 10\n"
        "  - name: last\n"
        "    count:  # three\n"
        "      3"
    )
    new = copied(text, [shifts((0, 2)), THREE, shifts((0, 1), (3600, 2))])
    assert new == HEAD + (
        "lanes:\n"
        "  - roster: # first key of the item\n"
        "      - {from: 0s, open: 2}\n"
        "    name: tills\n"
        "  - name: express\n"
        "    roster:\n"
        "      - {from: 0s, open: 2}\n"
        "      - {from: 15m, open: 3}\n"
        "      - {from: 28m30s, open: 1}\n"
        "    max_items: 10\n"
        "  - name: last\n"
        "    roster:  # three\n"
        "      - {from: 0s, open: 1}\n"
        "      - {from: 1h, open: 2}"
    )


@pytest.mark.parametrize(
    ("cashiers", "expected"),
    [
        (
            "cashiers:\n  payment_time: 10s\n  count: 3   # weekdays\n",
            "cashiers:\n  payment_time: 10s\n  roster:   # weekdays\n"
            "    - {from: 0s, open: 2}\n    - {from: 15m, open: 3}\n    - {from: 28m30s, open: 1}\n",
        ),
        (
            "cashiers: {count: 3, payment_time: 10s}\n",
            "cashiers: {roster: [{from: 0s, open: 2}, {from: 15m, open: 3}, {from: 28m30s, open: 1}],"
            " payment_time: 10s}\n",
        ),
    ],
    ids=["block", "flow"],
)
def test_a_cashiers_scenario(cashiers: str, expected: str) -> None:
    assert copied(HEAD + cashiers) == HEAD + expected


def test_crlf_line_endings_are_kept() -> None:
    text = (
        HEAD + "opens_at: '07:30'\n"
        "lanes:\n"
        "  - name: tills\n"
        "    roster:\n"
        "      - {from: '07:30', open: 2}\n"
        "      - {from: '08:30', open: 1}\n"
        "    line: shared\n"
        "  - {name: express, count: 1}  # small baskets\n"
    ).replace("\n", "\r\n")
    new = copied(text, [shifts((0, 1), (1800, 2)), shifts((0, 2))])
    assert "\n" not in new.replace("\r\n", "")
    assert new.endswith(
        "lanes:\r\n"
        "  - name: tills\r\n"
        "    roster:\r\n"
        '      - {from: "07:30", open: 1}\r\n'
        '      - {from: "08:00", open: 2}\r\n'
        "    line: shared\r\n"
        '  - {name: express, roster: [{from: "07:30", open: 2}]}  # small baskets\r\n'
    )


def test_a_byte_order_mark_and_a_block_scalar() -> None:
    """Marks count characters (a BOM included); a block scalar's value ends past its line break."""
    text = "\ufeff" + HEAD + "cashiers:\n  count: !!int |\n    2\n\n  payment_time: 5s\ndescription: |\n  x\n"
    new = copied(text)
    assert new.startswith("\ufeff")
    assert "cashiers:\n  roster:\n    - {from: 0s, open: 2}\n" in new
    assert new.endswith("    - {from: 28m30s, open: 1}\n\n  payment_time: 5s\ndescription: |\n  x\n")


# planned_copy: the opening


@pytest.mark.parametrize(
    ("opens", "first"),
    [("08:00", '"08:00"'), ("8:00:00", '"08:00"'), ("09:00", "0s"), (None, "0s")],
)
def test_times_of_day_only_against_the_files_own_opening(opens: str | None, first: str) -> None:
    """The copy keeps the file's opens_at: a time of day is written only where it reads as the
    opening the plan was made with (not one given by --set alone)."""
    text = HEAD + 'opens_at: "08:00"\ncashiers: {count: 1}\n'
    scenario = parse_scenario(text)
    new = planned_copy(text, "shop.yaml", groups_of(scenario), [THREE], opens)
    assert f"{{from: {first}, open: 2}}" in new
    assert parse_scenario(new).tills()[0].roster == THREE


def test_no_opening_in_the_file() -> None:
    text = HEAD + "cashiers: {count: 1}\n"
    new = planned_copy(text, "shop.yaml", groups_of(parse_scenario(text)), [THREE], "08:00")
    assert parse_scenario(new).tills()[0].roster == THREE


# planned_copy: what it refuses


@pytest.mark.parametrize(
    ("lanes", "why"),
    [
        (
            "lanes:\n  - {name: tills, count: &two 2}\n  - {name: express, count: *two}\n",
            "lanes.0 is shared through an anchor",
        ),
        (
            "base: &base {count: 2, line: shared}\n"
            "lanes:\n  - {<<: *base, name: tills}\n  - {name: express, count: 1}\n",
            "lanes.0 has no count or roster of its own",
        ),
        (
            "base: &base {count: 2, line: shared}\n"
            "lanes:\n  - {<<: *base, name: tills, count: 3}\n  - {name: express, count: 1}\n",
            "the copy would not read back as the file with only the rosters changed",
        ),
    ],
    ids=["alias", "merged", "merged-and-own"],
)
def test_anchors_and_merge_keys_are_refused(lanes: str, why: str) -> None:
    """A count another group shares, or one a merge key brings, cannot be replaced in place."""
    data = yaml.safe_load(HEAD + lanes)
    data.pop("base", None)
    groups = groups_of(parse_scenario(yaml.safe_dump(data)))
    with pytest.raises(PlanError, match=why):
        planned_copy(HEAD + lanes, "shop.yaml", groups, [THREE, THREE], None)


def test_values_yaml_1_1_would_misread() -> None:
    """The copy is checked by reading both texts as text: a date that is no date is no problem."""
    text = HEAD.replace("name: shop", "name: 2024-13-45") + "description: no\ncashiers: {count: 1}\n"
    assert "cashiers: {roster: [{from: 0s, open: 2}," in copied(text)


def test_a_group_the_file_does_not_have() -> None:
    text = HEAD + "cashiers: {count: 1}\n"
    group = PlannedGroup(0, "tills", "lanes.0", PlanBounds(), None)
    with pytest.raises(PlanError, match=r"shop\.yaml: it has no mapping at lanes\.0"):
        planned_copy(text, "shop.yaml", [group], [THREE], None)
