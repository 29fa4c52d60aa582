"""Data-entry forms: typed fields, the data platform's DQ engine on the entry, a FORM_ENTRY decision that
changes the MES only when someone else approves it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from plantloop.bootstrap import Container, build_in_memory_container
from plantloop.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from plantloop.kernel.settings import Settings
from plantloop.loop import DecisionKind, DecisionStatus
from plantloop.mes.domain import commands as c
from plantloop.mes.masterdata import PlantDefinition
from plantloop.reports.forms.definitions import FormDefinitionError, load_forms
from plantloop.reports.forms.service import FormService, OwnEntry, check_reviewer


@pytest.fixture
def container(reference_plant: PlantDefinition) -> Container:
    container = build_in_memory_container(Settings(), plant=reference_plant)
    now = container.clock.now()
    container.bus.handle(
        c.CreateWorkOrder(
            work_order_id="WO-1", material_id="P-KET-02", qty=3, due_at=now + timedelta(hours=5)
        )
    )
    container.bus.handle(c.ReleaseWorkOrder(work_order_id="WO-1"))
    container.bus.handle(c.StartOperation(operation_id="WO-1/010", equipment_id="AS-11"))
    container.bus.handle(c.CompleteOperation(operation_id="WO-1/010", qty_good=3))
    return container


@pytest.fixture
def forms(container: Container) -> FormService:
    return FormService(container.plant, container.decisions, clock=container.clock)


INSPECTION = {
    "operation_id": "WO-1/010",
    "result": "fail",
    "qty_inspected": 3,
    "qty_defective": 1,
    "defect_code": "D-CRACK",
}


@pytest.mark.parametrize(
    ("change", "check"),
    [
        ({"qty_defective": 4}, "defective_within_inspected"),
        ({"defect_code": None}, "defect_code_when_defective"),
        ({"result": "pass"}, "fail_when_defective"),
        ({"qty_inspected": 0}, "qty_inspected_valid"),
    ],
)
def test_an_entry_failing_a_dq_check_is_refused_and_names_the_check(
    forms: FormService, container: Container, change: dict[str, object], check: str
) -> None:
    with pytest.raises(InvalidInput, match=check) as err:
        forms.validate("manual_inspection", {**INSPECTION, **change}, container.queries, "q")
    assert check in err.value.details["checks"]
    assert container.decisions.list() == []


def test_malformed_fields_are_refused_before_any_check(forms: FormService, container: Container) -> None:
    for bad in ({"qty_inspected": "three"}, {"result": "maybe"}, {"colour": "red"}):
        with pytest.raises(InvalidInput):
            forms.validate("manual_inspection", {**INSPECTION, **bad}, container.queries, "q")
    with pytest.raises(NotFound):
        forms.validate(
            "manual_inspection", {**INSPECTION, "operation_id": "WO-9/010"}, container.queries, "q"
        )


def test_a_valid_entry_waits_for_review_and_reaches_the_mes_only_when_approved(
    forms: FormService, container: Container
) -> None:
    decision = forms.submit("manual_inspection", INSPECTION, container.queries, "quality")
    assert decision.kind is DecisionKind.FORM_ENTRY and decision.status is DecisionStatus.PROPOSED
    assert all(check["passed"] for check in decision.evidence["dq"])
    assert container.queries.inspections(work_order_id="WO-1") == []
    with pytest.raises(OwnEntry):
        check_reviewer(decision, "quality")
    check_reviewer(decision, "manager")
    done = container.decisions.approve(decision.id, "manager", ["manager"])
    assert done.status is DecisionStatus.ACKNOWLEDGED
    [inspection] = container.queries.inspections(work_order_id="WO-1")
    assert (inspection.qty_defective, inspection.defect_code) == (1, "D-CRACK")


def test_a_downtime_report_becomes_a_stop_and_a_restart_at_the_reported_times(
    forms: FormService, container: Container
) -> None:
    now = container.clock.now()
    entry = {
        "equipment_id": "PK-21",
        "reason_code": "MAT",
        "started_at": (now - timedelta(hours=2)).isoformat(),
        "ended_at": (now - timedelta(hours=1, minutes=30)).isoformat(),
    }
    with pytest.raises(InvalidInput, match="not_in_future"):
        forms.validate(
            "downtime_report",
            {**entry, "ended_at": (now + timedelta(hours=1)).isoformat()},
            container.queries,
            "o",
        )
    with pytest.raises(InvalidInput, match=r"started_at: .* outside the years"):  # a typo, not an overflow
        forms.validate(
            "downtime_report", {**entry, "started_at": "9999-12-31T23:00:00-05:00"}, container.queries, "o"
        )
    decision = forms.submit("downtime_report", entry, container.queries, "operator")
    container.decisions.approve(decision.id, "manager", ["manager"])
    ended = container.queries.events(type="DowntimeEnded", subject="PK-21")[-1].envelope
    assert ended.payload["duration_s"] == pytest.approx(1800) and ended.payload["reason_code"] == "MAT"


def test_a_scoped_user_cannot_report_for_another_line(forms: FormService, container: Container) -> None:
    from plantloop.api.scope import scoped_queries

    now = container.clock.now()
    entry = {
        "equipment_id": "PK-21",
        "reason_code": "MAT",
        "started_at": (now - timedelta(hours=2)).isoformat(),
        "ended_at": (now - timedelta(hours=1)).isoformat(),
    }
    with pytest.raises(PermissionDenied):
        forms.validate("downtime_report", entry, scoped_queries(container.queries, {"L1"}), "operator_l1")


def test_a_form_with_an_unknown_target_does_not_load(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "forms.yaml"
    path.write_text(
        "forms:\n  - {id: x, title_en: X, title_zh: X, permission: read, target: nowhere, fields: [],"
        " checks: [{name: c, kind: row_count}]}\n",
        encoding="utf-8",
    )
    with pytest.raises(FormDefinitionError, match="unknown target"):
        load_forms(path)


def test_the_two_lists_of_targets_agree() -> None:
    from plantloop.reports.forms import definitions, targets

    assert set(targets.TARGETS) == definitions.TARGETS


def _order_entry(container: Container, **change: object) -> dict[str, object]:
    due = container.clock.now() + timedelta(days=2)
    return {
        "work_order_id": "SO-77",
        "material_id": "P-KET-01",
        "qty": 100,
        "due_at": due.isoformat(),
        **change,
    }


def test_a_work_order_typed_in_is_created_and_released_in_sub_lots_once_approved(
    forms: FormService, container: Container
) -> None:
    decision = forms.submit(
        "work_order_release", _order_entry(container, lots=3), container.queries, "planner"
    )
    assert "3 sub-lots" in decision.title
    assert container.queries.work_order("SO-77.1") is None  # nothing before the review
    done = container.decisions.approve(decision.id, "manager", ["manager"])
    assert done.status is DecisionStatus.ACKNOWLEDGED
    lots = [container.queries.work_order(f"SO-77.{i}") for i in (1, 2, 3)]
    assert [wo.qty for wo in lots if wo is not None] == [34, 33, 33]
    assert all(wo is not None and wo.status.value == "released" for wo in lots)
    assert container.queries.work_order("SO-77") is None
    # the same order again is refused at once, whole or split
    with pytest.raises(Conflict, match="SO-77"):
        forms.validate("work_order_release", _order_entry(container), container.queries, "planner")


def test_a_whole_work_order_typed_in(forms: FormService, container: Container) -> None:
    decision = forms.submit("work_order_release", _order_entry(container, priority=2), container.queries, "p")
    container.decisions.approve(decision.id, "manager", ["manager"])
    wo = container.queries.work_order("SO-77")
    assert wo is not None and (wo.qty, wo.priority, wo.status.value) == (100, 2, "released")


@pytest.mark.parametrize(
    ("change", "check"),
    [
        ({"qty": 0}, "qty_valid"),
        ({"priority": 12}, "priority_valid"),
        ({"lots": 0}, "lots_valid"),
        ({"qty": 2, "lots": 3}, "at_least_one_unit_per_lot"),
        ({"lots": 101}, "lots_valid"),
    ],
)
def test_a_work_order_entry_failing_a_check_names_it(
    forms: FormService, container: Container, change: dict[str, object], check: str
) -> None:
    with pytest.raises(InvalidInput, match=check):
        forms.validate("work_order_release", _order_entry(container, **change), container.queries, "p")


def test_a_work_order_due_in_the_past_or_for_an_unknown_product_is_refused(
    forms: FormService, container: Container
) -> None:
    past = (container.clock.now() - timedelta(hours=1)).isoformat()
    with pytest.raises(InvalidInput, match="due_in_future"):
        forms.validate("work_order_release", _order_entry(container, due_at=past), container.queries, "p")
    for not_a_product in ("NOPE", "SA-KBODY"):  # unknown, and an intermediate
        with pytest.raises(InvalidInput, match="not an allowed value"):
            forms.validate(
                "work_order_release",
                _order_entry(container, material_id=not_a_product),
                container.queries,
                "p",
            )
