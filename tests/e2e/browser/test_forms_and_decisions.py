"""Data entry through review: an entry checked by the DQ engine, refused when it fails, proposed when it
passes, approved by someone else, and then — only then — present in the MES; decisions waiting for
approval are decided on their page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from plantloop.loop import DecisionKind, DecisionStatus
from plantloop.mes.domain import commands as c
from tests.e2e.browser.plant import ServedPlant


def choose(page: Any, field: str, option: str) -> None:
    page.locator(f"[data-test=field-{field}]").click()
    page.get_by_role("option", name=option).first.click()


def local(plant: ServedPlant, hours_ago: float) -> str:
    when = plant.container.clock.now() - timedelta(hours=hours_ago)
    return when.astimezone(ZoneInfo(plant.container.plant.site.timezone)).strftime("%Y-%m-%dT%H:%M")


def test_a_downtime_report_takes_effect_only_after_review(
    plant: ServedPlant, open_as: Any, screenshot: Any
) -> None:
    queries = plant.container.queries
    page = open_as("operator_l1", "/forms?form=downtime_report")
    choose(page, "equipment_id", "PK-11")
    choose(page, "reason_code", "MAT")
    page.locator("[data-test=field-started_at]").fill(local(plant, 3))
    page.locator("[data-test=field-ended_at]").fill(local(plant, 3.5))  # ends before it starts
    page.locator("[data-test=form-submit]").click()
    page.wait_for_selector("text=ends_after_start")
    assert not [d for d in plant.ctx.forms.entries() if "PK-11" in d.title]  # nothing proposed
    page.locator("[data-test=field-ended_at]").fill(local(plant, 2.5))
    screenshot(page, "data_entry_form")
    page.locator("[data-test=form-submit]").click()
    page.wait_for_url("**/forms?tab=mine")
    entry = next(d for d in plant.ctx.forms.entries(entered_by="operator_l1") if "PK-11" in d.title)
    assert entry.status is DecisionStatus.PROPOSED and entry.kind is DecisionKind.FORM_ENTRY
    assert not [e for e in queries.events(subject="PK-11", limit=1000) if e.envelope.type == "DowntimeStarted"
                and e.envelope.payload["reason_code"] == "MAT"]  # fmt: skip
    assert page.locator("[data-test=forms-tab-review]").count() == 0  # an operator does not review

    review = open_as("manager", "/forms?tab=review")
    review.wait_for_selector(f"[data-test=review-{entry.id}]")
    screenshot(review, "data_entry_review")
    review.locator(f"[data-test=approve-{entry.id}]").click()
    review.wait_for_selector(f"[data-test=review-{entry.id}]", state="detached")
    decided = plant.container.decisions.get(entry.id)
    assert decided.status is DecisionStatus.ACKNOWLEDGED and decided.decided_by == "manager"
    types = [e.envelope.type for e in queries.events(subject="PK-11", limit=1000)]
    assert "DowntimeStarted" in types and "DowntimeEnded" in types
    ended = [e for e in queries.events(subject="PK-11", limit=1000) if e.envelope.type == "DowntimeEnded"][-1]
    assert abs(ended.envelope.payload["duration_s"] - 1800) < 61
    audit = plant.container.audit.entries(target=f"decision:{entry.id}")
    assert {a.actor for a in audit} >= {"operator_l1", "manager"}


def test_the_person_who_entered_a_form_cannot_approve_it(plant: ServedPlant, open_as: Any) -> None:
    page = open_as("quality", "/forms?form=manual_inspection")
    started = {
        op.id
        for wo in plant.container.queries.work_orders(limit=1000)
        for op in wo.operations
        if op.started_at is not None
    }
    page.locator("[data-test=field-operation_id]").click()
    # the list offers the 200 most recent started operations (in-progress orders first): which ones
    # depends on how far the twin has run, so take the first it offers
    first = page.get_by_role("option").first
    assert first.inner_text().strip() in started
    first.click()
    choose(page, "result", "pass")
    page.locator("[data-test=form-submit]").click()
    page.wait_for_url("**/forms?tab=mine")
    entry = next(d for d in plant.ctx.forms.entries(entered_by="quality"))
    page.goto(page.url.replace("tab=mine", "tab=review"))
    page.wait_for_selector(f"[data-test=review-{entry.id}]")
    assert page.locator(f"[data-test=approve-{entry.id}]").is_disabled()


def test_a_decision_waiting_for_approval_is_approved_on_the_decisions_page(
    plant: ServedPlant, open_as: Any, screenshot: Any
) -> None:
    lot = next(lot for lot in plant.container.queries.lots(limit=200) if not lot.held)
    hold = plant.container.decisions.propose(
        DecisionKind.LOT_HOLD, f"lot:{lot.id}", [c.HoldLot(lot_id=lot.id, reason="suspect supplier lot")],
        title=f"Hold {lot.id}", evidence={"p_value": 0.001}, proposed_by="quality-watch",
    )  # fmt: skip
    if hold.status is not DecisionStatus.PROPOSED:  # holds publish automatically by default
        release = plant.container.decisions.propose(
            DecisionKind.LOT_RELEASE, f"lot:{lot.id}", [c.ReleaseLot(lot_id=lot.id, reason="cleared")],
            title=f"Release {lot.id}", evidence={"retest": "passed"}, proposed_by="quality-watch",
        )  # fmt: skip
        waiting = release
    else:
        waiting = hold
    assert waiting.status is DecisionStatus.PROPOSED
    page = open_as("manager", "/decisions")
    page.wait_for_selector(f"[data-test=pending-{waiting.id}]")
    screenshot(page, "decisions")
    page.locator(f"[data-test=approve-{waiting.id}]").click()
    page.wait_for_selector(f"[data-test=pending-{waiting.id}]", state="detached")
    assert plant.container.decisions.get(waiting.id).status is DecisionStatus.ACKNOWLEDGED


def test_a_planner_releases_a_work_order_in_sub_lots_through_the_form(
    plant: ServedPlant, open_as: Any
) -> None:
    queries = plant.container.queries
    page = open_as("planner", "/forms?form=work_order_release")
    page.locator("[data-test=field-work_order_id]").fill("SO-E2E")
    choose(page, "material_id", "P-KET-01")
    page.locator("[data-test=field-qty]").fill("90")
    page.locator("[data-test=field-due_at]").fill(local(plant, -48))  # two days ahead
    page.locator("[data-test=field-lots]").fill("3")
    page.locator("[data-test=form-submit]").click()
    page.wait_for_url("**/forms?tab=mine")
    entry = next(d for d in plant.ctx.forms.entries(entered_by="planner") if "SO-E2E" in d.title)
    assert "3 sub-lots" in entry.title and queries.work_order("SO-E2E.1") is None

    review = open_as("manager", "/forms?tab=review")
    review.wait_for_selector(f"[data-test=review-{entry.id}]")
    review.locator(f"[data-test=approve-{entry.id}]").click()
    review.wait_for_selector(f"[data-test=review-{entry.id}]", state="detached")
    lots = [queries.work_order(f"SO-E2E.{i}") for i in (1, 2, 3)]
    assert [(wo.qty, wo.status.value) for wo in lots if wo is not None] == [(30, "released")] * 3
