"""``run-scenario --plan``: what it refuses, the one-line answer, the table and the YAML, and
that a plan does not depend on where its runs went (--jobs, Dask)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from checkout_sim.analysis.planning import make_plan, roster_of
from checkout_sim.analysis.sweep import Runners
from checkout_sim.cli import main
from checkout_sim.config import load_scenario, parse_scenario
from conftest import DASK_ANY_PORT

SHOP = """\
name: plan-shop
seed: 3
opens_at: "09:00"
closes_at: "11:00"
intervals: 30m
service_level: {target: 1m}
costs: {currency: EUR, staff_per_hour: 15, lost_customer: 20}
products: [{name: item, checkout_time: {dist: exponential, mean: 2min}}]
arrivals:
  pattern: schedule
  phases:
    - {until: "10:00", rate: 60/h}
    - {until: "11:00", rate: 150/h}
cashiers: {count: 2, plan: {min: 1, max: 9}}
"""


def _write(tmp_path: Path, text: str = SHOP, name: str = "shop.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _plan(path: Path, *flags: str) -> list[str]:
    return [str(path), "--plan", "--replications", "5", "--jobs", "1", *flags]


def test_a_plan_is_a_table_on_stderr_and_rosters_on_stdout(
    capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main(_plan(_write(tmp_path)))
    out, err = capfd.readouterr()
    assert code == 0, err
    assert "plan for plan-shop: 09:00–11:00 in 30m00s intervals" in err
    for moment in ("09:00", "09:30", "10:00", "10:30"):
        assert f"\n  {moment}" in err
    assert "pointwise Erlang" in err and "offered-load Erlang" in err and "simulated (this plan)" in err
    # The YAML on stdout is the plan the planner found, entry for entry.
    scenario = parse_scenario(SHOP, "shop.yaml")
    with Runners(1) as runners:
        result = make_plan(scenario, [], replications=5, seed=3, runners=runners)
    document = yaml.safe_load(out)
    rosters = list(document["cashiers"]["roster"])
    expected = roster_of(result.grid, result.final[0])
    assert [entry["open"] for entry in rosters] == [shift.open for shift in expected]
    assert [entry["from"] for entry in rosters] == [scenario.moment_text(shift.start) for shift in expected]
    # A rush at ten needs more tills after it than before.
    assert max(result.plan[0][2:]) > max(result.plan[0][:2])


def test_the_plan_meets_the_goal_on_fresh_seeds(tmp_path: Path) -> None:
    """What the plan reports was verified on seeds it was not tuned on, and holds there."""
    scenario = parse_scenario(SHOP, "shop.yaml")
    with Runners(1) as runners:
        result = make_plan(scenario, [], replications=5, seed=3, runners=runners)
    assert not set(result.tuning_seeds) & set(result.verify_seeds)
    assert result.verified.misses == []
    assert {s.seed for s in result.verified.summaries} == set(result.verify_seeds)
    for mean, _ in result.verified.sides[0]:
        assert mean is not None and mean >= 0.8


def test_a_goal_no_staffing_within_the_bounds_meets_is_one_line(
    capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _write(tmp_path, SHOP.replace("max: 9", "max: 3"))
    code = main(_plan(path))
    out, err = capfd.readouterr()
    assert code == 1
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("run-scenario: --plan: even 3 tills ")
    assert "min_interval(service_level) >= 0.8 between 09:00 and 09:30" in lines[0]
    assert "raise plan.max or ease the goal" in lines[0]


@pytest.mark.parametrize(
    ("change", "flags", "message"),
    [
        (("intervals: 30m\n", ""), (), "--plan: the scenario has no intervals (add intervals: 15m"),
        (
            ("service_level: {target: 1m}\n", ""),
            (),
            "the default goal 'min_interval(service_level) >= 0.8' needs a service_level target",
        ),
        (
            ("", ""),
            ("--goal", "wait_p90 <= 5m"),
            "goal 'wait_p90 <= 5m': --plan judges every interval, so a goal names only "
            "min_interval(FIGURE) or max_interval(FIGURE), not wait_p90",
        ),
        (
            ("plan: {min: 1, max: 9}", "scaling: {max: 9, open_at: 3}"),
            (),
            "--plan: cashiers.scaling: the manager would open tills the plan does not staff",
        ),
        (("", ""), ("--sweep", "cashiers.count=1,2"), "--sweep does not go with --plan"),
        (("", ""), ("--log", "run.jsonl"), "--log does not go with --plan"),
        (("", ""), ("--minimize", "lane_hours"), "--minimize does not go with --plan"),
        (("", ""), ("--intervals",), "--intervals does not go with --plan"),
    ],
)
def test_what_cannot_be_planned_is_a_usage_error(
    capfd: pytest.CaptureFixture[str],
    tmp_path: Path,
    change: tuple[str, str],
    flags: tuple[str, ...],
    message: str,
) -> None:
    text = SHOP.replace(*change) if change[0] else SHOP
    code = main(_plan(_write(tmp_path, text), *flags))
    out, err = capfd.readouterr()
    assert code == 2, err
    assert out == ""
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_plan_into_needs_plan(capfd: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code = main([str(_write(tmp_path)), "--plan-into", str(tmp_path / "new.yaml")])
    _, err = capfd.readouterr()
    assert code == 2
    assert "--plan-into goes only with --plan" in err


def test_plan_into_refuses_the_scenario_itself(capfd: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = _write(tmp_path)
    code = main(_plan(path, "--plan-into", str(path)))
    _, err = capfd.readouterr()
    assert code == 2
    assert "that is the scenario file" in err
    assert path.read_text() == SHOP


def test_check_with_plan_checks_the_plan_and_runs_nothing(
    capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _write(tmp_path)
    assert main([str(path), "--plan", "--check"]) == 0
    out, err = capfd.readouterr()
    assert out == ""
    assert err.strip() == f"{path}: ok"
    assert main([str(path), "--plan", "--check", "--goal", "wait_mean <= 1m"]) == 2


def test_free_kiosks_are_not_planned_unless_asked(capfd: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = SHOP.replace(
        "cashiers: {count: 2, plan: {min: 1, max: 9}}",
        "lanes:\n"
        "  - {name: tills, count: 2, plan: {min: 1, max: 9}}\n"
        "  - {name: kiosks, count: 2, staff_per_hour: 0}\n",
    )
    code = main(_plan(_write(tmp_path, text)))
    out, err = capfd.readouterr()
    assert code == 0, err
    assert "kiosks: not planned (its tills cost nothing an hour; give it plan: to plan it)" in err
    document = yaml.safe_load(out)
    assert [group["name"] for group in document["lanes"]] == ["tills"]


def test_a_plan_is_the_same_with_one_or_two_workers(
    capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _write(tmp_path)
    outputs = []
    for jobs in ("1", "2"):
        code = main([str(path), "--plan", "--replications", "4", "--jobs", jobs])
        outputs.append(capfd.readouterr())
        assert code == 0
    assert outputs[0] == outputs[1]


def test_a_plan_is_the_same_on_dask() -> None:
    distributed = pytest.importorskip("distributed")
    scenario = parse_scenario(SHOP, "shop.yaml")
    with Runners(1) as runners:
        local = make_plan(scenario, [], replications=3, seed=3, runners=runners)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, **DASK_ANY_PORT
        ) as cluster,
        Runners(dask=cluster.scheduler_address) as runners,
    ):
        remote = make_plan(scenario, [], replications=3, seed=3, runners=runners)
    assert local.plan == remote.plan
    assert local.final == remote.final
    assert {name: (staffing, judged.cost) for name, (staffing, judged) in local.compared.items()} == {
        name: (staffing, judged.cost) for name, (staffing, judged) in remote.compared.items()
    }


def test_plan_into_writes_a_copy_that_runs_the_plan_from_another_folder(
    capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The copy has the planned rosters and nothing else changed, and still finds its profile
    file from the folder it was written to."""
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "in" / "counts.csv").write_text("from,count\n09:00,30\n09:30,30\n10:00,75\n10:30,75\n")
    text = SHOP.replace(
        "arrivals:\n  pattern: schedule\n  phases:\n"
        '    - {until: "10:00", rate: 60/h}\n    - {until: "11:00", rate: 150/h}\n',
        "arrivals: {pattern: profile, interval: 30m, file: counts.csv}  # the till system's export\n",
    )
    source = _write(tmp_path / "in", text)
    target = tmp_path / "out" / "planned.yaml"
    code = main(_plan(source, "--plan-into", str(target)))
    out, err = capfd.readouterr()
    assert code == 0, err
    assert f"the scenario with the planned rosters: {target}" in err
    planned = load_scenario(target)
    original = load_scenario(source)
    pasted = yaml.safe_load(out)["cashiers"]["roster"]
    assert planned.cashiers is not None and planned.cashiers.roster is not None
    assert [(original.moment_text(s.start), s.open) for s in planned.cashiers.roster] == [
        (entry["from"], entry["open"]) for entry in pasted
    ]
    unchanged = planned.model_dump()
    del unchanged["cashiers"]["roster"]
    unchanged["cashiers"]["count"] = 2
    unchanged["arrivals"]["file"] = "counts.csv"
    assert unchanged == original.model_dump()
    assert "# the till system's export" in target.read_text()
    assert main([str(target), "--log", "none", "--quiet"]) == 0


def test_an_intervals_service_level_is_the_share_of_all_the_runs_arrivals(tmp_path: Path) -> None:
    """Pooled over the runs (Σ within / Σ arrived), not a mean of per-run shares: a run with
    more arrivals serves them worse, so the mean of shares reads high (0.820 against 0.788
    for M/M/13+M at 10/min, where theory says 0.792)."""
    scenario = parse_scenario(SHOP, "shop.yaml")
    with Runners(1) as runners:
        result = make_plan(scenario, [], replications=6, seed=3, runners=runners)
    judged = result.verified
    for index, (mean, half) in enumerate(judged.sides[0]):
        parts = [
            interval
            for summary in judged.summaries
            for interval in summary.intervals or ()
            if round(interval["start"] / result.grid.length) == index
        ]
        arrived = sum(part["arrived"] for part in parts)
        within = sum(part["service_level"] * part["arrived"] for part in parts if part["arrived"])
        assert mean == pytest.approx(within / arrived, rel=1e-12)
        assert half is not None and half > 0


def test_the_pooled_interval_is_the_ratio_estimators() -> None:
    from checkout_sim.analysis.confidence import mean_interval, t_quantile
    from checkout_sim.analysis.planning import pooled_interval

    ups, downs = [3.0, 5.0, 4.0, 9.0], [4.0, 10.0, 5.0, 12.0]
    ratio = sum(ups) / sum(downs)
    mean, half = pooled_interval([u / d for u, d in zip(ups, downs, strict=True)], downs)
    assert mean == pytest.approx(ratio)
    residuals = [u - ratio * d for u, d in zip(ups, downs, strict=True)]
    spread = sum(r * r for r in residuals) / 3
    assert half == pytest.approx(t_quantile(0.975, 3) * (spread / 4) ** 0.5 / (sum(downs) / 4))
    values = [0.7, 0.9, 0.8]
    assert pooled_interval(values, [1.0, 1.0, 1.0]) == pytest.approx(mean_interval(values))


def test_a_goal_the_most_tills_meet_only_on_average_is_an_answer_not_a_loop(
    capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """One till at most whose mean meets the goal but not surely: the bounds say so at once
    (the search judged by the 95 % interval would otherwise look for a till it cannot add)."""
    text = (
        "name: one\nseed: 1\nduration: 2h\nintervals: 30m\nservice_level: {target: 1m}\n"
        "products: [{name: item, checkout_time: {dist: exponential, mean: 2min}}]\n"
        "arrivals: {pattern: poisson, rate: 25/h}\ncashiers: {count: 1, plan: {min: 1, max: 1}}\n"
    )
    code = main(_plan(_write(tmp_path, text), "--goal", "min_interval(service_level) >= 0.1"))
    _, err = capfd.readouterr()
    assert code == 1
    assert err.startswith("run-scenario: --plan: even 1 till does not surely meet ")
    assert "min_interval(service_level) >= 0.1 between " in err


def test_plan_on_dask_from_the_command_line(capfd: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    path = _write(tmp_path)
    assert main([str(path), "--plan", "--replications", "3", "--jobs", "1"]) == 0
    local = capfd.readouterr()
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, **DASK_ANY_PORT
    ) as cluster:
        code = main([str(path), "--plan", "--replications", "3", "--dask", cluster.scheduler_address])
    remote = capfd.readouterr()
    assert code == 0, remote.err
    assert remote == local
    assert main([str(path), "--plan", "--dask", "not an address"]) == 2
    assert "--dask 'not an address': not a scheduler address" in capfd.readouterr().err


def test_a_day_cut_short_by_closing_is_planned_to_closing(tmp_path: Path) -> None:
    """Closing at 10:40 with 30-minute intervals: the last interval's arrivals are over its 10
    minutes (not spread over 30) for Erlang, and a shift that works to closing covers it."""
    text = SHOP.replace('closes_at: "11:00"', 'closes_at: "10:40"').replace(
        '{until: "11:00", rate: 150/h}', '{until: "10:40", rate: 150/h}'
    )
    text = text.replace("plan: {min: 1, max: 9}", "plan: {min: 1, max: 9, min_shift: 1h, max_shift: 2h}")
    scenario = parse_scenario(text, "shop.yaml")
    with Runners(1) as runners:
        result = make_plan(scenario, [], replications=5, seed=3, runners=runners)
    assert result.grid.count == 4 and result.grid.boundaries()[-1] == 100 * 60
    requirement = result.erlang[0]
    assert requirement is not None
    # 10:00-10:30 and 10:30-10:40 have the same rate: the same tills (the cut one's 3x too few
    # if its arrivals were spread over 30 minutes).
    assert abs(requirement.pointwise[3] - requirement.pointwise[2]) <= 1
    assert requirement.pointwise[2] >= 4
    made = result.shifts[0]
    assert made is not None and made[1].short == []
    assert not result.short and result.final == result.compared["shifts"][0]


def test_shifts_that_cannot_cover_the_plan_leave_the_plans_rosters(
    capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = SHOP.replace("plan: {min: 1, max: 9}", "plan: {min: 1, max: 9, min_shift: 3h, max_shift: 3h}")
    code = main(_plan(_write(tmp_path, text)))
    _, err = capfd.readouterr()
    assert code == 0
    assert "no shift of the allowed lengths fits the day" in err
    assert "the rosters given are the plan's, not the shifts'" in err
    assert "plan.people too few" not in err


def test_the_worst_interval_of_an_upper_bound_is_its_highest(
    capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    scenario = parse_scenario(SHOP, "shop.yaml")
    with Runners(1) as runners:
        result = make_plan(
            scenario, ["max_interval(wait_mean) <= 1m"], replications=8, seed=3, runners=runners
        )
    from checkout_sim.analysis.plan_display import worst_interval

    judged = result.verified
    means = [mean for mean, _ in judged.sides[0] if mean is not None]
    found = worst_interval(result, judged)
    assert found is not None and found[0] == max(means)
