"""The big screen updating within two seconds of a shop-floor event, and the operator terminal on a phone
running an operation through MES commands (and refusing another line's work center)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from plantloop.mes.domain import commands as c
from plantloop.mes.domain.work_order import OperationStatus
from tests.e2e.browser.conftest import PHONE, TV_WALL
from tests.e2e.browser.plant import ServedPlant


def _idle_machine(plant: ServedPlant, line: str) -> str:
    for eq in plant.container.queries.equipment_states():
        if (
            plant.container.plant.line_of[eq.id] == line
            and eq.current_operation_id is None
            and not eq.downtime_reason_code
        ):
            return eq.id
    raise AssertionError(f"no idle machine on {line}")


def test_the_big_screen_shows_a_machine_stop_within_two_seconds(
    plant: ServedPlant, open_as: Any, screenshot: Any
) -> None:
    page = open_as("manager", "/screen", viewport=TV_WALL)
    page.wait_for_function("document.querySelector('[data-test=screen-seq]')?.innerText.startsWith('#')")
    machine = _idle_machine(plant, "L3")
    tile = f"[data-test=eq-{machine}]"
    assert "BRK" not in page.inner_text(tile)
    started = time.monotonic()
    plant.gateway.handle(c.StartDowntime(equipment_id=machine, reason_code="BRK"))  # the simulator's port
    page.wait_for_function(f"document.querySelector('{tile}').innerText.includes('BRK')", timeout=5_000)
    elapsed = time.monotonic() - started
    assert elapsed < 2.0, f"the screen showed the stop after {elapsed:.2f} s"
    page.wait_for_function(
        f"document.querySelector('[data-test=screen-alarms]').innerText.includes('{machine}')", timeout=3_000
    )
    plant.advance_sim(900)  # up to fifteen more simulated minutes of the plant (never past the wall clock)
    top = plant.container.queries.last_events(1)[0].seq
    page.wait_for_function(
        f"document.querySelector('[data-test=screen-seq]').innerText === '#{top}'", timeout=3_000
    )
    screenshot(page, "big_screen", full_page=False)
    plant.gateway.handle(c.EndDowntime(equipment_id=machine))
    page.wait_for_function(f"!document.querySelector('{tile}').innerText.includes('BRK')", timeout=3_000)


def test_a_scoped_big_screen_shows_only_its_lines(open_as: Any) -> None:
    page = open_as("operator_l1", "/screen", viewport=TV_WALL)
    page.wait_for_function("document.querySelector('[data-test=screen-seq]')?.innerText.startsWith('#')")
    tiles = page.eval_on_selector_all("[data-test^=eq-]", "els => els.map(e => e.dataset.test)")
    assert sorted(tiles) == ["eq-AS-11", "eq-AS-12", "eq-PK-11", "eq-TS-11"]
    assert "L2" not in page.inner_text("[data-test=screen-orders]")


def test_an_operator_runs_an_operation_from_the_phone_terminal(
    plant: ServedPlant, open_as: Any, screenshot: Any
) -> None:
    container = plant.container
    now = container.clock.now()
    container.bus.handle(
        c.CreateWorkOrder(
            work_order_id="WO-PHONE-1",
            material_id="P-KET-02",
            qty=4,
            priority=1,
            due_at=now + timedelta(hours=2),
        )
    )
    container.bus.handle(c.ReleaseWorkOrder(work_order_id="WO-PHONE-1"))
    op = "WO-PHONE-1/010"
    page = open_as("operator_l1", "/terminal?wc=L1-ASSY", viewport=PHONE)
    page.wait_for_selector(f"[data-test='dispatch-{op}']")
    if page.locator(f"[data-test='start-{op}']").count() == 0 or not _has_idle(plant, "L1-ASSY"):
        running = page.locator("[data-test^=complete-]").first
        running.click()  # finish what runs on the work center so that a machine is free
        page.wait_for_timeout(500)
        page.reload()
    page.locator(f"[data-test='start-{op}']").click()
    page.wait_for_selector(f"[data-test='running-{op}']")
    wo = container.queries.work_order("WO-PHONE-1")
    assert wo is not None and wo.operations[0].status is OperationStatus.RUNNING
    assert wo.operations[0].operator_id == "operator_l1"
    page.locator(f"[data-test='qty-good-{op}']").fill("3")
    page.locator(f"[data-test='qty-scrap-{op}']").fill("1")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "operator_terminal_phone")
    # A plant event on this work center rebuilds the board: what the operator typed must survive it.
    mine = container.queries.work_order("WO-PHONE-1").operations[0].equipment_id  # type: ignore[union-attr]
    other = next(e for e in ("AS-11", "AS-12") if e != mine)
    downtime_before = bool(container.queries.equipment(other).downtime_reason_code)  # type: ignore[union-attr]
    if not downtime_before:
        plant.gateway.handle(c.StartDowntime(equipment_id=other, reason_code="MINOR"))
        page.wait_for_selector(f"[data-test='end-downtime-{other}']")
    assert page.input_value(f"[data-test='qty-good-{op}']") == "3"
    assert page.input_value(f"[data-test='qty-scrap-{op}']") == "1"
    if not downtime_before:
        plant.gateway.handle(c.EndDowntime(equipment_id=other))
        page.wait_for_selector(f"[data-test='start-downtime-{other}']")
    page.locator(f"[data-test='complete-{op}']").click()
    page.wait_for_selector("text=Scrap needs a defect code.")
    page.locator(f"[data-test='defect-{op}']").click()
    page.get_by_role("option", name="D-CRACK").first.click()
    page.locator(f"[data-test='complete-{op}']").click()
    page.wait_for_selector(f"[data-test='running-{op}']", state="detached")
    done = container.queries.work_order("WO-PHONE-1").operations[0]  # type: ignore[union-attr]
    assert (done.status, done.qty_good, done.qty_scrap) == (OperationStatus.COMPLETED, 3, 1)
    events = container.queries.events(subject=op)
    assert events[-1].envelope.type == "OperationCompleted"
    assert events[-1].envelope.payload["scrap_defect_code"] == "D-CRACK"


def _has_idle(plant: ServedPlant, work_center: str) -> bool:
    return any(
        e.current_operation_id is None and not e.downtime_reason_code
        for e in plant.container.queries.equipment_states()
        if e.work_center_id == work_center
    )


def test_the_terminal_refuses_a_work_center_outside_the_scope(open_as: Any) -> None:
    page = open_as("operator_l1", "/terminal?wc=L2-ASSY", viewport=PHONE)
    page.wait_for_selector("text=Work center L2-ASSY is outside your scope.")
    assert "L1-ASSY" in page.input_value("[data-test=terminal-wc]") or "L1" in page.inner_text(
        "[data-test=terminal-wc]"
    )
    assert page.locator("[data-test^=machine-AS-2]").count() == 0
