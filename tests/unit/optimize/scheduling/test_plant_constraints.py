"""Component links, initial setups and plant objectives: model, rules and checker agree."""

from __future__ import annotations

import pytest

from plantloop.optimize.scheduling.check import ViolationKind, check_schedule
from plantloop.optimize.scheduling.problem import (
    LATE_ORDER_PENALTY,
    Assignment,
    Job,
    Objective,
    Operation,
    Option,
    Problem,
    Schedule,
    SchedulingInputError,
)
from plantloop.optimize.scheduling.rules import Rule, dispatch
from plantloop.optimize.scheduling.runner import SolveParams
from plantloop.optimize.scheduling.solve import solve


def _kit() -> Problem:
    """A parent that consumes two children made on the other machine; machine 0 starts set up for X."""
    return Problem(
        jobs=(
            Job(
                "P", (Operation((Option(0, 3),), setup_class="Y", after_jobs=("C1", "C2")),), due=12, weight=2
            ),
            Job("C1", (Operation((Option(1, 4),)),)),
            Job("C2", (Operation((Option(1, 2),)),)),
            Job("Q", (Operation((Option(0, 2),), setup_class="X"),), due=2),
        ),
        n_machines=2,
        setups={0: {("X", "Y"): 5, ("Y", "X"): 5, ("Y", "Y"): 0}},
        initial_setup={0: "Y"},
    )


def test_the_checker_catches_a_parent_that_starts_before_its_component_ends() -> None:
    p = _kit()
    bad = Schedule(
        (
            Assignment(0, 0, 0, 0, 3),
            Assignment(1, 0, 1, 0, 4),
            Assignment(2, 0, 1, 4, 6),
            Assignment(3, 0, 0, 10, 12),
        )
    )
    kinds = {v.kind for v in check_schedule(p, bad)}
    assert ViolationKind.COMPONENT in kinds


def test_the_checker_catches_a_first_operation_without_its_initial_setup() -> None:
    p = _kit()
    bad = Schedule(
        (
            Assignment(0, 0, 0, 7, 10),
            Assignment(1, 0, 1, 0, 4),
            Assignment(2, 0, 1, 4, 6),
            Assignment(3, 0, 0, 0, 2),  # machine 0 is set up for Y: X first needs 5
        )
    )
    assert [v.kind for v in check_schedule(p, bad)] == [ViolationKind.SETUP]


@pytest.mark.parametrize("rule", list(Rule))
def test_every_dispatching_rule_respects_components_and_initial_setups(rule: Rule) -> None:
    assert check_schedule(_kit(), dispatch(_kit(), rule)) == []


def test_the_solver_finds_the_optimum_of_the_kit_by_hand() -> None:
    # best: C2 (0-2), C1 (2-6) on machine 1; P at 6-9 (no setup: Y), Q after P with setup 5: 14-16 → late.
    # Or Q first: setup Y→X 5 → 5-7, then X→Y 5 → P at 12-15 (late, weight 2). Q late (weight 1) wins.
    p = _kit()
    plan = solve(p, Objective.ON_TIME_AND_FLOW, SolveParams(time_limit_s=5, num_workers=1))
    assert plan.violations == () and plan.status.value == "optimal"
    ends = {p.jobs[a.job].id: a.end for a in plan.schedule.assignments}
    assert ends["P"] <= 12
    assert plan.schedule.weighted_late(p) == 1
    assert plan.objective_value == plan.schedule.value(p, Objective.ON_TIME_AND_FLOW)
    assert plan.objective_value >= LATE_ORDER_PENALTY


def test_component_links_that_form_a_cycle_are_refused() -> None:
    with pytest.raises(SchedulingInputError):
        Problem(
            jobs=(
                Job("A", (Operation((Option(0, 1),), after_jobs=("B",)),)),
                Job("B", (Operation((Option(0, 1),), after_jobs=("A",)),)),
            ),
            n_machines=1,
        )
