"""Golden schedules: small cases whose optimum is known (published, or found here by brute force), solved
with short limits; the schedule must be feasible and its objective within tolerance of the optimum."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from plantloop.optimize.scheduling.check import check_schedule
from plantloop.optimize.scheduling.instances import load_instance
from plantloop.optimize.scheduling.problem import (
    LATE_ORDER_PENALTY,
    TARDINESS_OVER_FLOW,
    Job,
    Objective,
    Operation,
    Option,
    Problem,
)
from plantloop.optimize.scheduling.runner import SolveParams
from plantloop.optimize.scheduling.solve import solve

BENCH = Path(__file__).resolve().parents[3] / ".." / "shared" / "benchmarks" / "scheduling"


@pytest.mark.parametrize(
    ("path", "fmt", "optimum"),
    [
        ("jssp/ft06.txt", "jssp", 55),
        ("jssp/la01.txt", "jssp", 666),
        ("fjsp/brandimarte/mk01.txt", "fjsp", 40),
    ],
)
def test_small_benchmark_instances_reach_their_known_optimum(path: str, fmt: str, optimum: int) -> None:
    if not (BENCH / path).is_file():
        pytest.skip("benchmark folder not available")
    problem = load_instance(BENCH / path, fmt)
    plan = solve(problem, params=SolveParams(time_limit_s=10, num_workers=2, random_seed=1))
    assert check_schedule(problem, plan.schedule) == []
    assert plan.makespan <= optimum * 1.02
    assert plan.best_bound <= optimum


def _setup_shop() -> Problem:
    """Two unrelated machines, six single-operation orders of three families, setups, due dates."""
    spec = [  # (duration on m0, duration on m1, family, due, weight)
        (4, 6, "A", 8, 1),
        (3, 3, "B", 6, 2),
        (5, 4, "A", 14, 1),
        (2, 5, "C", 5, 3),
        (6, 4, "B", 12, 1),
        (3, 2, "C", 9, 1),
    ]
    jobs = tuple(
        Job(f"J{i}", (Operation((Option(0, d0), Option(1, d1))),), due=due, weight=w, family=fam)
        for i, (d0, d1, fam, due, w) in enumerate(spec)
    )
    setups = {m: {(a, b): (0 if a == b else 2 + m) for a in "ABC" for b in "ABC"} for m in range(2)}
    return Problem(jobs=jobs, n_machines=2, setups=setups, initial_setup={0: "A"})


def _brute_force(problem: Problem, objective: Objective) -> int:
    """Every split over the machines and every order on each: the best objective value."""
    n = len(problem.jobs)
    best: int | None = None
    for split in itertools.product(range(problem.n_machines), repeat=n):
        groups = [[j for j in range(n) if split[j] == m] for m in range(problem.n_machines)]
        options = []
        for m, group in enumerate(groups):
            outcomes = []
            for order in itertools.permutations(group):
                t, cls, ends = 0, problem.initial_setup.get(m), []
                for j in order:
                    fam = problem.jobs[j].family
                    t += problem.setup_time(m, cls, fam) if cls is not None else 0
                    t += problem.jobs[j].operations[0].duration_on(m)
                    ends.append((j, t))
                    cls = fam
                outcomes.append(ends)
            options.append(outcomes or [[]])
        for combo in itertools.product(*options):
            ends = {j: e for chosen in combo for j, e in chosen}
            value = _value(problem, ends, objective)
            best = value if best is None else min(best, value)
    assert best is not None
    return best


def _value(problem: Problem, ends: dict[int, int], objective: Objective) -> int:
    tard = sum(job.weight * max(0, ends[j] - (job.due or 0)) for j, job in enumerate(problem.jobs))
    late = sum(job.weight for j, job in enumerate(problem.jobs) if ends[j] > (job.due or 0))
    flow = sum(ends.values())
    if objective is Objective.WEIGHTED_TARDINESS:
        return tard
    if objective is Objective.MAKESPAN:
        return max(ends.values())
    base = TARDINESS_OVER_FLOW * tard + flow
    return base + LATE_ORDER_PENALTY * late if objective is Objective.ON_TIME_AND_FLOW else base


@pytest.mark.parametrize(
    "objective",
    [
        Objective.WEIGHTED_TARDINESS,
        Objective.MAKESPAN,
        Objective.TARDINESS_AND_FLOW,
        Objective.ON_TIME_AND_FLOW,
    ],
)
def test_a_setup_shop_is_solved_to_the_brute_force_optimum(objective: Objective) -> None:
    problem = _setup_shop()
    expected = _brute_force(problem, objective)
    plan = solve(problem, objective, SolveParams(time_limit_s=10, num_workers=1, random_seed=3))
    assert check_schedule(problem, plan.schedule) == []
    assert plan.schedule.value(problem, objective) == expected
    assert plan.status.value == "optimal"
    assert plan.best_bound == expected
