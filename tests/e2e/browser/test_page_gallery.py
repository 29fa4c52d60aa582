"""Every page renders for the role it is for, with its main content and without a server error; the
screenshots of docs/screenshots come from here and from the other browser tests."""

from __future__ import annotations

import time
from typing import Any

import pytest

from plantloop.loop import DecisionKind
from tests.e2e.browser.conftest import TV_WALL
from tests.e2e.browser.plant import ServedPlant

PAGES = [
    ("planner", "/schedule", "[data-test=schedule-gantt]", "scheduling"),
    ("quality", "/quality", "[data-test=quality-pareto]", "quality"),
    ("maintenance", "/maintenance", "[data-test=maintenance-equipment]", "maintenance"),
    ("analyst", "/data", "[data-test=data-sources]", "data_platform"),
    ("manager", "/alerts", "[data-test=alerts-rules]", "alerts_rules"),
    ("admin", "/admin", "[data-test=admin-users]", "admin"),
    ("admin", "/home", "[data-test=home-welcome]", "home_admin"),
]


def no_error(page: Any) -> None:
    body = page.inner_text("body")
    assert "Something went wrong" not in body and "Internal Server Error" not in body
    assert "服务器出错" not in body


@pytest.mark.parametrize(("user", "path", "selector", "name"), PAGES)
def test_each_page_renders_its_content(
    open_as: Any, screenshot: Any, user: str, path: str, selector: str, name: str
) -> None:
    page = open_as(user, path)
    page.wait_for_selector(selector, timeout=20_000)
    no_error(page)
    screenshot(page, name)


def test_the_quality_page_draws_spc_and_the_genealogy_of_a_lot(
    plant: ServedPlant, open_as: Any, screenshot: Any
) -> None:
    lot = next(
        lot for lot in plant.container.queries.lots(limit=500) if plant.container.queries.genealogy(lot.id)
    )
    page = open_as("quality", f"/quality?lot={lot.id}")
    page.wait_for_selector("[data-test=genealogy-graph]", timeout=20_000)
    page.wait_for_selector("[data-test=quality-p-chart]")
    page.locator("[data-test=rca-run]").click()
    page.wait_for_selector("[data-test=rca-table]", timeout=30_000)
    no_error(page)
    screenshot(page, "quality_genealogy_rca")


def test_a_planner_reschedules_and_the_plan_is_published_as_a_decision(
    plant: ServedPlant, open_as: Any
) -> None:
    before = len(plant.container.decisions.list(kind=DecisionKind.SCHEDULE))
    page = open_as("planner", "/schedule")
    page.wait_for_selector("[data-test=reschedule]")
    page.locator("[data-test=reschedule]").click()
    for _ in range(120):  # CP-SAT runs up to its 10 s limit on a busy machine
        decisions = plant.container.decisions.list(kind=DecisionKind.SCHEDULE)
        if len(decisions) > before:
            break
        page.wait_for_timeout(500)
    assert len(decisions) == before + 1
    latest = decisions[0]
    assert latest.proposed_by == "planner" and latest.evidence["work_orders"] > 0
    page.wait_for_selector(f"text={latest.evidence['schedule_version']}", timeout=20_000)


def test_the_big_screen_speaks_chinese_for_a_chinese_user(open_as: Any, screenshot: Any) -> None:
    page = open_as("maintenance", "/home")
    page.locator("[data-test=language] button", has_text="中文").click()
    page.wait_for_selector("text=欢迎，maintenance")
    page.set_viewport_size(TV_WALL)
    page.goto(page.url.replace("/home", "/screen"))
    page.wait_for_selector("text=各产线 OEE 及其三要素")
    page.wait_for_function("document.querySelector('[data-test=screen-seq]')?.innerText.startsWith('#')")
    screenshot(page, "big_screen_zh", full_page=False)
    page.goto(page.url.replace("/screen", "/home"))
    page.locator("[data-test=language] button", has_text="EN").click()
    page.wait_for_selector("text=Welcome, maintenance")


def test_an_alert_is_acknowledged_on_its_page_and_resolves_with_its_clearing_event(
    plant: ServedPlant, open_as: Any, screenshot: Any
) -> None:
    from plantloop.mes.domain import commands as c
    from plantloop.reports.alerts import AlertState

    engine = plant.ctx.alerts
    machine = next(
        e.id
        for e in plant.container.queries.equipment_states()
        if plant.container.plant.line_of[e.id] == "L2"
        and e.current_operation_id is None
        and not e.downtime_reason_code
    )
    plant.gateway.handle(c.StartDowntime(equipment_id=machine, reason_code="BRK"))
    for _ in range(100):
        alert = next((a for a in engine.alerts(AlertState.OPEN) if a.target.endswith(machine)), None)
        if alert is not None:
            break
        time.sleep(0.05)
    assert alert is not None, "the stop opened no alert"
    page = open_as("operator", "/alerts")
    page.wait_for_selector(f"[data-test=ack-{alert.id}]")
    screenshot(page, "alerts")
    page.locator(f"[data-test=ack-{alert.id}]").click()
    page.wait_for_selector(f"[data-test=ack-{alert.id}]", state="detached")
    acked = engine.get(alert.id)
    assert acked.state is AlertState.ACKNOWLEDGED and acked.acknowledged_by == "operator"
    plant.gateway.handle(c.EndDowntime(equipment_id=machine))
    for _ in range(100):
        if engine.get(alert.id).state is AlertState.RESOLVED:
            break
        time.sleep(0.05)
    assert engine.get(alert.id).state is AlertState.RESOLVED
