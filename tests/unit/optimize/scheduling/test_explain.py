"""Explanations: bottleneck machines, the critical path and the constraint that makes a job late."""

from __future__ import annotations

from plantloop.optimize.scheduling.explain import ConstraintKind, critical_path, late_jobs, utilisation
from plantloop.optimize.scheduling.problem import (
    Assignment,
    Job,
    Operation,
    Option,
    Problem,
    Schedule,
    Unavailability,
)


def _case() -> tuple[Problem, Schedule]:
    jobs = (
        Job("A", (Operation((Option(0, 4),)), Operation((Option(1, 1),))), due=10),
        Job("B", (Operation((Option(0, 4),)), Operation((Option(1, 1),))), due=6),
        Job("C", (Operation((Option(1, 2),)),), due=1),
        Job("D", (Operation((Option(2, 3),)),), due=5),
    )
    p = Problem(jobs=jobs, n_machines=3, unavailable=(Unavailability(2, 0, 4, "maintenance"),))
    s = Schedule(
        (
            Assignment(0, 0, 0, 0, 4),
            Assignment(0, 1, 1, 4, 5),
            Assignment(1, 0, 0, 4, 8),
            Assignment(1, 1, 1, 8, 9),
            Assignment(2, 0, 1, 0, 2),
            Assignment(3, 0, 2, 4, 7),
        )
    )
    return p, s


def test_the_busiest_machine_leads_the_utilisation_list() -> None:
    p, s = _case()
    loads = utilisation(p, s)
    assert loads[0].machine == 0
    assert loads[0].utilisation_pct == round(100 * 8 / 9, 2)


def test_the_critical_path_ends_at_the_makespan_and_runs_through_the_bottleneck() -> None:
    p, s = _case()
    path = critical_path(p, s)
    assert path[-1].end == s.makespan
    assert [(st.job, st.op) for st in path] == [(0, 0), (1, 0), (1, 1)]
    assert path[1].reason is ConstraintKind.CAPACITY


def test_each_late_job_names_the_constraint_that_makes_it_late() -> None:
    p, s = _case()
    late = {lj.job_id: lj for lj in late_jobs(p, s)}
    assert set(late) == {"B", "C", "D"}
    assert late["B"].constraint is ConstraintKind.CAPACITY and late["B"].machine == 0
    assert late["D"].constraint is ConstraintKind.UNAVAILABILITY and late["D"].machine == 2
    assert late["C"].constraint is ConstraintKind.LEAD_TIME
