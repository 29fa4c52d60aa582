"""The scheduler in the twin's closed loop: snapshots become feasible plans, the plant executes the
published lists, and a seed gives the same run twice (deterministic work limit, one worker)."""

from __future__ import annotations

from dataclasses import replace

from plantloop.mes.domain.commands import PublishDispatchLists
from plantloop.mes.masterdata import PlantDefinition
from plantloop.optimize.scheduling.check import check_schedule
from plantloop.optimize.scheduling.problem import Objective
from plantloop.optimize.scheduling.runner import SolveParams
from plantloop.optimize.scheduling.solve import solve
from plantloop.optimize.scheduling.twin import ApsDispatch, shop_from_snapshot
from plantloop.sim.gateway import RecordingGateway
from plantloop.sim.policies import Policy, make_policy
from plantloop.sim.run import SimRun
from plantloop.sim.scenario import scenario

DAYS = 0.5


def _aps() -> Policy:
    return Policy(
        "aps", ApsDispatch(deterministic_time=0.2), publish_interval_s=3600.0, publish_on_downtime=True
    )


def test_a_mid_run_snapshot_becomes_a_feasible_plan_with_started_work_frozen(
    reference_plant: PlantDefinition,
) -> None:
    run = SimRun(
        scenario(days=DAYS, seed=5, telemetry_hz=0.0), plant=reference_plant, policy=make_policy("baseline")
    )
    run.advance(10 * 3600.0)
    snapshot = run.plant.snapshot()
    assert snapshot.running and snapshot.operations
    shop = shop_from_snapshot(snapshot)
    assert shop.problem.n_ops == len(snapshot.running) + len(snapshot.operations)
    running = {v.operation_id for v in snapshot.running}
    assert {shop.operation_ids[k] for k in shop.problem.frozen} == running
    plan = solve(shop.problem, Objective.ON_TIME_AND_FLOW, SolveParams(time_limit_s=10, num_workers=1))
    assert check_schedule(shop.problem, plan.schedule) == []
    # component orders finish before the operation that consumes them starts
    by_key = plan.schedule.by_key()
    ends = {shop.problem.jobs[k[0]].id: a.end for k, a in by_key.items()}
    for key, a in by_key.items():
        for child in shop.problem.op(key).after_jobs:
            assert a.start >= ends[child]
    # a plant whose lots take 10 minutes of handling at each step: the same durations, and every
    # changeover on a machine 10 min longer, except between lots of one customer order at one step
    handled = shop_from_snapshot(replace(snapshot, lot_handling_s=600.0))
    for key in shop.operation_ids:
        assert [o.duration for o in handled.problem.op(key).options] == [
            o.duration for o in shop.problem.op(key).options
        ]
    waiting = [k for k, op_id in shop.operation_ids.items() if op_id not in running]
    assert len(waiting) >= 2
    checked = 0
    for m in range(shop.problem.n_machines):
        on_m = [k for k in waiting if any(o.machine == m for o in shop.problem.op(k).options)]
        for a in on_m:
            for b in on_m:
                if a == b:
                    continue
                plain = shop.problem.setup_time(m, shop.problem.setup_class(a), shop.problem.setup_class(b))
                ha, hb = handled.problem.setup_class(a), handled.problem.setup_class(b)
                assert handled.problem.setup_time(m, ha, hb) == (0 if ha == hb else plain + 10)
                checked += 1
    assert checked > 0


def test_the_aps_policy_publishes_feasible_plans_the_plant_executes_and_repeats_itself(
    reference_plant: PlantDefinition,
) -> None:
    results = []
    for _ in range(2):
        policy = _aps()
        gateway = RecordingGateway(reference_plant)
        run = SimRun(
            scenario(days=DAYS, seed=4, telemetry_hz=0.0), gateway, plant=reference_plant, policy=policy
        )
        run.advance(DAYS * 86_400.0)
        result = run.finish()
        rule = policy.rule
        assert isinstance(rule, ApsDispatch)
        assert rule.history and all(h["feasible"] for h in rule.history)
        publishes = [c for c in gateway.commands if isinstance(c, PublishDispatchLists)]
        assert publishes and all(e.equipment_id for c in publishes for e in c.entries)
        # the plant ran what was published: every started operation was on a list first
        listed = {e.operation_id for c in publishes for e in c.entries}
        started = {op.id for op in run.plant.ops.values() if op.started_s is not None}
        assert started and started <= listed
        results.append((result.kpis.model_dump(), [c.schedule_version for c in publishes]))
    assert results[0] == results[1]


def test_maintenance_windows_handed_to_the_aps_rule_keep_work_off_the_machine(
    reference_plant: PlantDefinition,
) -> None:
    run = SimRun(
        scenario(days=DAYS, seed=5, telemetry_hz=0.0), plant=reference_plant, policy=make_policy("baseline")
    )
    run.advance(6 * 3600.0)
    snapshot = run.plant.snapshot()
    free = ApsDispatch(deterministic_time=0.2)(snapshot)
    # a machine with planned work whose work center has another machine to take it over
    target = next(
        e.equipment_id
        for e in free
        if e.equipment_id is not None and snapshot.equipment_count[e.work_center_id] > 1
    )
    rule = ApsDispatch(deterministic_time=0.2, windows=lambda s: [(target, s.now_s, s.now_s + 3 * 86_400.0)])
    listed = rule(snapshot)
    assert listed and all(e.equipment_id != target for e in listed)
    assert rule.history[-1]["feasible"]
