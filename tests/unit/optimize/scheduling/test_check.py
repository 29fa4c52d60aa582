"""The independent checker catches every kind of hand-made violation."""

from __future__ import annotations

from plantloop.optimize.scheduling.check import ViolationKind, check_schedule
from plantloop.optimize.scheduling.problem import (
    Assignment,
    FrozenOp,
    Job,
    Operation,
    Option,
    Problem,
    Schedule,
    Unavailability,
)


def _problem(**kw: object) -> Problem:
    jobs = (
        Job("a", (Operation((Option(0, 3),)), Operation((Option(1, 2), Option(0, 4)))), family="X"),
        Job("b", (Operation((Option(0, 2),)),), release=1, family="Y"),
    )
    return Problem(jobs=jobs, n_machines=2, **kw)  # type: ignore[arg-type]


GOOD = Schedule((Assignment(0, 0, 0, 0, 3), Assignment(0, 1, 1, 3, 5), Assignment(1, 0, 0, 3, 5)))


def _kinds(p: Problem, s: Schedule) -> set[ViolationKind]:
    return {v.kind for v in check_schedule(p, s)}


def test_a_feasible_schedule_has_no_violations() -> None:
    assert check_schedule(_problem(), GOOD) == []


def test_overlap_on_a_machine_is_reported() -> None:
    bad = Schedule((Assignment(0, 0, 0, 0, 3), Assignment(0, 1, 1, 3, 5), Assignment(1, 0, 0, 2, 4)))
    assert ViolationKind.OVERLAP in _kinds(_problem(), bad)


def test_precedence_wrong_machine_and_wrong_duration_are_reported() -> None:
    bad = Schedule((Assignment(0, 0, 0, 0, 3), Assignment(0, 1, 1, 2, 4), Assignment(1, 0, 1, 3, 5)))
    assert {ViolationKind.PRECEDENCE, ViolationKind.INVALID_MACHINE} <= _kinds(_problem(), bad)
    bad2 = Schedule((Assignment(0, 0, 0, 0, 3), Assignment(0, 1, 0, 3, 5), Assignment(1, 0, 0, 5, 7)))
    assert ViolationKind.WRONG_DURATION in _kinds(_problem(), bad2)


def test_release_missing_and_duplicate_operations_are_reported() -> None:
    early = Schedule((Assignment(0, 0, 0, 2, 5), Assignment(0, 1, 1, 5, 7), Assignment(1, 0, 0, 0, 2)))
    assert ViolationKind.RELEASE in _kinds(_problem(), early)
    partial = Schedule((Assignment(0, 0, 0, 0, 3), Assignment(0, 0, 0, 0, 3)))
    assert {ViolationKind.MISSING, ViolationKind.DUPLICATE} <= _kinds(_problem(), partial)


def test_setup_time_between_families_is_enforced() -> None:
    p = _problem(setups={0: {("X", "Y"): 2}})
    assert ViolationKind.SETUP in _kinds(p, GOOD)
    shifted = Schedule((Assignment(0, 0, 0, 0, 3), Assignment(0, 1, 1, 3, 5), Assignment(1, 0, 0, 5, 7)))
    assert check_schedule(p, shifted) == []


def test_unavailable_window_and_moved_frozen_operation_are_reported() -> None:
    assert ViolationKind.UNAVAILABLE in _kinds(_problem(unavailable=(Unavailability(1, 4, 6),)), GOOD)
    p = _problem(frozen={(1, 0): FrozenOp(machine=0, start=6)})
    assert ViolationKind.FROZEN in _kinds(p, GOOD)


def test_zero_length_operations_do_not_occupy_their_machine() -> None:
    jobs = (Job("a", (Operation((Option(0, 4),)),)), Job("b", (Operation((Option(0, 0),)),)))
    p = Problem(jobs=jobs, n_machines=1)
    assert check_schedule(p, Schedule((Assignment(0, 0, 0, 0, 4), Assignment(1, 0, 0, 2, 2)))) == []
