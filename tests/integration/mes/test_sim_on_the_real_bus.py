"""The simulator drives the real MES (message bus → SQL store + outbox) on SQLite and on PostgreSQL, and
executes the dispatch lists the MES answers — the same path the demo takes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from plantloop.bootstrap import Container
from plantloop.loop.decisions import DecisionKind, DecisionStatus
from plantloop.mes.domain.commands import CreateMaintenanceOrder, MaintenanceKind
from plantloop.mes.domain.maintenance import MaintenanceStatus
from plantloop.mes.domain.work_order import WorkOrderStatus
from plantloop.mes.gateway import BusGateway
from plantloop.runtime.plant_process import TwinFloorSink, schedule_decisions
from plantloop.sim.policies import make_policy
from plantloop.sim.run import SimRun, run_simulation
from plantloop.sim.scenario import scenario

Make = Callable[..., Container]


def test_a_simulated_day_on_the_real_bus_leaves_the_mes_in_the_state_the_simulator_reached(
    make_container: Make,
) -> None:
    mes = make_container()
    gateway = BusGateway(mes.bus, mes.queries)
    config = scenario(days=1, seed=5, policy="atcs", telemetry_hz=0.0, id_prefix="E1-")
    with gateway.group_commit():
        result = run_simulation(config, gateway, plant=mes.plant)
    kpis = result.kpis
    assert kpis.commands_rejected == 0 and kpis.orders_completed > 0
    assert kpis.dispatch_reads > 0 and kpis.commands_sent["PublishDispatchLists"] > 0
    done = [wo for wo in result.plant.records.work_orders if wo.completed_s is not None]
    counts = mes.queries.work_order_counts()
    assert counts.get(WorkOrderStatus.COMPLETED.value, 0) == len(done)
    assert sum(counts.values()) == len(result.plant.records.work_orders)
    assert all(wo.id.startswith("E1-") for wo in mes.queries.work_orders(limit=1000))
    # the read side lists exactly the operations the simulator still has waiting, per work center
    waiting = {op.id for op in result.plant.waiting.values()}
    listed = {item.operation_id for wc in mes.plant.work_centers for item in mes.queries.dispatch_list(wc)}
    assert listed == waiting
    # the last version the policy published is the one operators see
    published = {wc for wc in mes.plant.work_centers if mes.queries.schedule_version(wc) is not None}
    assert published and all(
        (mes.queries.schedule_version(wc) or "").startswith("E1-atcs-") for wc in published
    )
    # a second process on the same database sees the same events, in order, with unique ids
    other = make_container()
    records = other.outbox_reader.fetch_after(0, 1_000_000)
    assert [r.seq for r in records] == sorted(r.seq for r in records)
    assert len({r.envelope.id for r in records}) == len(records) == mes.outbox_reader.last_seq()


def test_a_maintenance_decision_published_to_the_mes_is_carried_out_by_the_twin(make_container: Make) -> None:
    """The demo's loop: the decision layer publishes to the MES and the twin's floor does the work, which
    the MES then records (start and completion of the very order the decision created)."""
    mes = make_container()
    gateway = BusGateway(mes.bus, mes.queries)
    config = scenario(days=2, seed=5, policy="baseline", telemetry_hz=0.0, id_prefix="E1-")
    run = SimRun(config, gateway, plant=mes.plant)
    mes.decisions.sink = TwinFloorSink(mes.bus, run)
    with gateway.group_commit():
        run.advance(6 * 3600.0)
    at = config.start_at + timedelta(seconds=run.now_s)
    decision = mes.decisions.propose(
        DecisionKind.MAINTENANCE_ORDER,
        "equipment:IM-01",
        [
            CreateMaintenanceOrder(
                maintenance_order_id="MO-PDM-1",
                equipment_id="IM-01",
                kind=MaintenanceKind.PREDICTIVE,
                planned_start_at=at,
                planned_duration_s=1800,
            )
        ],
        title="predicted wear on IM-01",
    )
    assert decision.status is DecisionStatus.ACKNOWLEDGED  # automatic by default; the MES acknowledged it
    order = mes.queries.maintenance_order("MO-PDM-1")
    assert order is not None and order.status is MaintenanceStatus.PLANNED
    with gateway.group_commit():
        run.advance(run.now_s + 24 * 3600.0)
    order = mes.queries.maintenance_order("MO-PDM-1")
    assert order is not None and order.status is MaintenanceStatus.COMPLETED
    assert run.plant.commands_sent["CreateMaintenanceOrder"] == 0  # the twin did not create it again


def test_the_schedulers_dispatch_lists_reach_the_mes_as_acknowledged_schedule_decisions(
    make_container: Make,
) -> None:
    """The demo's path: aps plans, each new set of lists is a schedule decision with the plan's figures as
    evidence, published (automatic by default) and acknowledged; the floor works the MES's lists."""
    mes = make_container()
    gateway = BusGateway(mes.bus, mes.queries)
    config = scenario(days=0.5, seed=5, policy="aps", telemetry_hz=0.0, id_prefix="E1-")
    policy = make_policy("aps")
    policy.publish = schedule_decisions(mes, policy)
    with gateway.group_commit():
        result = run_simulation(config, gateway, plant=mes.plant, policy=policy)
    decisions = mes.decisions.list(kind=DecisionKind.SCHEDULE, limit=1000)
    assert decisions and {d.status for d in decisions} == {DecisionStatus.ACKNOWLEDGED}
    newest = decisions[0]
    assert newest.evidence["policy"] == "aps" and newest.evidence["plan"]["feasible"] is True
    assert "PublishDispatchLists" not in result.kpis.commands_sent  # they went through the decision layer
    assert result.kpis.commands_rejected == 0 and result.kpis.orders_completed > 0
    published = {wc for wc in mes.plant.work_centers if mes.queries.schedule_version(wc)}
    assert published and all(
        (mes.queries.schedule_version(wc) or "").startswith("E1-aps-") for wc in published
    )


def test_orders_released_as_sub_lots_are_work_orders_of_one_sales_order_in_the_mes(
    make_container: Make,
) -> None:
    """Lot streaming (policy ``split``): a sales order of 60 units or more becomes up to three work orders
    in the MES, each carrying the sales order, together its whole quantity; the KPIs count the customer
    order once, complete when its last sub-lot is."""
    mes = make_container()
    gateway = BusGateway(mes.bus, mes.queries)
    config = scenario(days=1, seed=5, policy="split", telemetry_hz=0.0, id_prefix="E1-")
    with gateway.group_commit():
        result = run_simulation(config, gateway, plant=mes.plant)
    assert result.kpis.commands_rejected == 0
    released = [o for o in result.orders if o.arrival_s < config.horizon_s]
    assert result.kpis.orders_released == len(released)
    split = [o for o in released if o.qty >= 60]
    assert split, "the demand must have orders large enough to split"
    for order in released:
        of_order = mes.queries.work_orders_of(sales_order_id=order.sales_order_id)
        lots = [wo for wo in of_order if wo.parent_work_order_id is None]
        assert sum(wo.qty for wo in lots) == order.qty
        if order.qty >= 60:
            names = [f"{order.work_order_id}.{i}" for i in range(1, len(lots) + 1)]
            assert sorted(wo.id for wo in lots) == names
            assert 2 <= len(lots) <= 3 and max(wo.qty for wo in lots) - min(wo.qty for wo in lots) <= 1
        else:
            assert [wo.id for wo in lots] == [order.work_order_id]
        assert {wo.due_at for wo in lots} == {lots[0].due_at}
    # a customer order is complete when its last sub-lot is
    sims: dict[str, list[Any]] = {}
    for wo in result.plant.records.work_orders:
        if wo.is_top_level:
            sims.setdefault(wo.order_key, []).append(wo)
    complete = [key for key, lots in sims.items() if all(wo.completed_s is not None for wo in lots)]
    assert result.kpis.orders_completed == len(complete) > 0
