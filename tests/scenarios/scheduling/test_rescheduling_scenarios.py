"""Golden rescheduling scenarios: a small plant, a previous plan, one disruption, the expected outcome.

Each ``cases/*.json`` (except ``plant.json``, the shared plant and its previous plan) gives ``now``, the
disruptions and what must hold: frozen operations unchanged, which operations move (exactly, or at most
how many), which stay, start bounds and the resulting makespan.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from plantloop.optimize.scheduling.check import check_schedule
from plantloop.optimize.scheduling.instances import problem_from_dict
from plantloop.optimize.scheduling.problem import Assignment, Job, Operation, Option, Problem, Schedule
from plantloop.optimize.scheduling.reschedule import (
    Disruption,
    JobCancelled,
    MachineDown,
    QuantityScrapped,
    ReschedulePolicy,
    RushJobInserted,
    reschedule,
)

CASES = Path(__file__).parent / "cases"
PLANT: dict[str, Any] = json.loads((CASES / "plant.json").read_text())


def _previous(problem: Problem) -> Schedule:
    out = []
    for job_id, op, machine, start in PLANT["previous"]:
        j = problem.job_index(job_id)
        d = problem.jobs[j].operations[op].duration_on(machine)
        out.append(Assignment(j, op, machine, start, start + d))
    return Schedule(tuple(out))


def _disruption(d: dict[str, Any]) -> Disruption:
    if d["kind"] == "machine_down":
        return MachineDown(d["machine"], d["start"], d["end"])
    if d["kind"] == "job_cancelled":
        return JobCancelled(d["job_id"])
    if d["kind"] == "quantity_scrapped":
        return QuantityScrapped(d["job_id"], d["extra_fraction"])
    jd = d["job"]
    ops = tuple(Operation(tuple(Option(m, t) for m, t in opts)) for opts in jd["operations"])
    return RushJobInserted(Job(jd["id"], ops, due=jd.get("due"), weight=jd.get("weight", 1)))


@pytest.mark.parametrize("case", sorted(p.stem for p in CASES.glob("*.json") if p.stem != "plant"))
def test_rescheduling_scenario(case: str) -> None:
    spec = json.loads((CASES / f"{case}.json").read_text())
    problem = problem_from_dict(PLANT)
    previous = _previous(problem)
    assert check_schedule(problem, previous) == []
    result = reschedule(
        problem,
        previous,
        spec["now"],
        [_disruption(d) for d in spec["disruptions"]],
        ReschedulePolicy(time_limit_s=3.0, random_seed=1),
    )
    new = result.problem
    assert result.plan.violations == ()
    before = {(problem.jobs[a.job].id, a.op): (a.machine, a.start) for a in previous.assignments}
    after = {(new.jobs[a.job].id, a.op): (a.machine, a.start) for a in result.plan.schedule.assignments}
    moved = {k for k in after if k in before and after[k] != before[k]}
    expect = spec["expect"]
    for job_id, op in expect.get("frozen", []):
        assert (new.job_index(job_id), op) in new.frozen
        assert after[(job_id, op)] == before[(job_id, op)]
    for a in result.plan.schedule.assignments:
        if (a.job, a.op) not in new.frozen:
            assert a.start >= spec["now"]
    if "moved" in expect:
        assert moved == {(j, o) for j, o in expect["moved"]}
        assert result.moved_ops == len(moved)
    if "max_moved" in expect:
        assert len(moved) <= expect["max_moved"]
    for job_id, op in expect.get("stay", []):
        assert after[(job_id, op)] == before[(job_id, op)]
    for key, (machine, start) in expect.get("starts", {}).items():
        job_id, op = key.split("/")
        assert after[(job_id, int(op))] == (machine, start)
    for key, bound in expect.get("not_before", {}).items():
        job_id, op = key.split("/")
        assert after[(job_id, int(op))][1] >= bound
    if "makespan" in expect:
        assert result.plan.makespan == expect["makespan"]
