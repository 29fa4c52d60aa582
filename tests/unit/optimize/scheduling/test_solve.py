"""CP-SAT solving: known optima on small benchmarks, MES extensions respected, every result checked."""

from __future__ import annotations

from pathlib import Path

from plantloop.optimize.scheduling.check import check_schedule
from plantloop.optimize.scheduling.instances import load_instance
from plantloop.optimize.scheduling.model import build_model, makespan_lower_bound
from plantloop.optimize.scheduling.problem import (
    FrozenOp,
    Job,
    Objective,
    Operation,
    Option,
    Problem,
    Unavailability,
)
from plantloop.optimize.scheduling.rules import Rule, dispatch
from plantloop.optimize.scheduling.runner import solver_for
from plantloop.optimize.scheduling.solve import SolveParams, SolveStatus, solve

FAST = SolveParams(time_limit_s=5.0, num_workers=2, random_seed=1)


def test_ft06_reaches_its_optimum_55(bench_dir: Path) -> None:
    p = load_instance(bench_dir / "jssp/ft06.txt", "jssp")
    plan = solve(p, params=FAST)
    assert plan.violations == ()
    assert plan.makespan == 55
    assert plan.best_bound <= 55


def test_la01_reaches_its_optimum_666(bench_dir: Path) -> None:
    p = load_instance(bench_dir / "jssp/la01.txt", "jssp")
    plan = solve(p, params=FAST)
    assert plan.violations == ()
    assert plan.makespan <= 666 * 1.01
    assert plan.best_bound <= 666


def test_mk01_is_within_five_percent_of_its_optimum_40(bench_dir: Path) -> None:
    p = load_instance(bench_dir / "fjsp/brandimarte/mk01.txt", "fjsp")
    plan = solve(p, params=FAST)
    assert plan.violations == ()
    assert plan.makespan <= 42
    assert check_schedule(p, plan.schedule) == []


def _shop() -> Problem:
    jobs = tuple(
        Job(
            f"J{j}",
            (
                Operation((Option(0, 3), Option(1, 5))),
                Operation((Option(2, 2),)),
                Operation((Option(0, 2), Option(1, 2)), earliest_start=4 if j == 1 else 0),
            ),
            release=j,
            due=10 + 2 * j,
            weight=1 + j % 2,
            family="AB"[j % 2],
        )
        for j in range(5)
    )
    return Problem(
        jobs=jobs,
        n_machines=3,
        setups={0: {("A", "B"): 2, ("B", "A"): 3}, 2: {("A", "B"): 1, ("B", "A"): 1}},
        unavailable=(Unavailability(0, 4, 7, "maintenance"), Unavailability(2, 10, 12, "shift off")),
    )


def test_setups_and_unavailability_are_respected_and_the_rule_is_not_beaten_by_chance() -> None:
    p = _shop()
    plan = solve(p, params=FAST)
    assert plan.violations == ()
    assert plan.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)
    assert plan.makespan <= min(dispatch(p, r).makespan for r in Rule)
    assert plan.best_bound <= plan.makespan


def test_frozen_operations_keep_machine_and_start() -> None:
    p = _shop()
    p = p.with_changes(frozen={(0, 0): FrozenOp(machine=1, start=2), (3, 0): FrozenOp(machine=0, start=7)})
    plan = solve(p, params=FAST)
    keyed = plan.schedule.by_key()
    assert (keyed[(0, 0)].machine, keyed[(0, 0)].start) == (1, 2)
    assert (keyed[(3, 0)].machine, keyed[(3, 0)].start) == (0, 7)
    assert plan.violations == ()


def test_weighted_tardiness_objective_is_no_worse_than_any_rule() -> None:
    p = _shop()
    plan = solve(p, objective=Objective.WEIGHTED_TARDINESS, params=FAST)
    assert plan.violations == ()
    assert plan.objective_value == plan.schedule.weighted_tardiness(p)
    assert plan.objective_value <= min(dispatch(p, r).weighted_tardiness(p) for r in Rule)


def test_lexicographic_objective_keeps_the_best_tardiness_and_then_shortens_makespan() -> None:
    p = _shop()
    tard = solve(p, objective=Objective.WEIGHTED_TARDINESS, params=FAST)
    lex = solve(p, objective=Objective.TARDINESS_THEN_MAKESPAN, params=FAST)
    assert lex.violations == ()
    assert lex.schedule.weighted_tardiness(p) <= tard.objective_value
    if lex.schedule.weighted_tardiness(p) == tard.objective_value:
        assert lex.makespan <= tard.makespan


def test_cp_sat_raises_the_makespan_bound_beyond_the_job_and_machine_bound(bench_dir: Path) -> None:
    """A lower bound in the makespan's domain froze CP-SAT's LP bound at it (ta10: 940 instead of 1105)."""
    p = load_instance(bench_dir / "jssp/ta10.txt", "jssp")
    trivial = makespan_lower_bound(p)
    start = dispatch(p, Rule.MWKR)
    mv = build_model(p, horizon=start.makespan)
    assert mv.makespan is not None
    mv.model.minimize(mv.makespan)
    solver = solver_for(SolveParams(num_workers=2, random_seed=1), 3.0)
    solver.solve(mv.model)
    assert solver.best_objective_bound >= trivial + 100
    assert solver.best_objective_bound <= 1241  # ta10's optimum
