"""Logging in per role, the role-aware menu, the language switch, lockout, and pages refusing whom they
must."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from plantloop.ui.menu import PAGES
from tests.e2e.browser.conftest import DESKTOP, login
from tests.e2e.browser.plant import LOCKOUT_USER, ServedPlant

ROLES = ["admin", "manager", "planner", "operator", "quality", "maintenance", "analyst"]
MENU = {
    "admin": {p.path for p in PAGES},
    "manager": {p.path for p in PAGES} - {"/terminal", "/data", "/admin"},
    "planner": {p.path for p in PAGES} - {"/terminal", "/data", "/admin"},
    "operator": {p.path for p in PAGES} - {"/data", "/admin"},
    "quality": {p.path for p in PAGES} - {"/terminal", "/data", "/admin"},
    "maintenance": {p.path for p in PAGES} - {"/data", "/admin"},
    "analyst": {p.path for p in PAGES} - {"/terminal", "/admin"},
}


def menu_of(page: Any) -> set[str]:
    page.wait_for_selector("[data-test=nav-home]")
    marks = page.eval_on_selector_all("[data-test^=nav-]", "els => els.map(e => e.dataset.test)")
    return {m.replace("nav-", "/", 1) for m in marks}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_logs_in_and_sees_the_pages_of_its_permissions(
    open_as: Any, role: str, screenshot: Any
) -> None:
    page = open_as(role, "/home")
    assert page.locator("[data-test=home-welcome]").inner_text() == f"Welcome, {role}"
    assert menu_of(page) == MENU[role]
    if role == "admin":
        screenshot(page, "home")


def test_pages_need_a_session_and_send_the_browser_to_the_login_page(plant: ServedPlant) -> None:
    paths = [p.path for p in PAGES] + ["/trace?key=x", "/terminal?wc=L1-ASSY"]
    with httpx.Client(base_url=plant.base_url, follow_redirects=False) as client:
        for path in paths:
            r = client.get(path)
            assert r.status_code == 303, path
            assert r.headers["location"].startswith("/login?next="), path
        assert client.get("/login").status_code == 200
        forged = client.get("/home", cookies={"plantloop_session": "forged-session-id-123456789"})
        assert forged.status_code == 303


def test_a_page_outside_the_role_is_refused_with_403_inside_the_frame(open_as: Any, screenshot: Any) -> None:
    page = open_as("operator", "/data")
    page.wait_for_selector("[data-test=forbidden]")
    assert "Not for your role" in page.inner_text("[data-test=forbidden]")
    screenshot(page, "refused_page")
    with httpx.Client(base_url=page.url.split("/data")[0], follow_redirects=False) as client:
        cookies = {c["name"]: c["value"] for c in page.context.cookies()}
        assert client.get("/data", cookies=cookies).status_code == 403
        assert client.get("/home", cookies=cookies).status_code == 200


def test_the_language_follows_the_user_across_pages(open_as: Any, screenshot: Any) -> None:
    page = open_as("planner", "/home")
    page.locator("[data-test=language] button", has_text="中文").click()
    page.wait_for_selector("text=欢迎，planner")
    page.goto(page.url.replace("/home", "/trace"))
    assert page.locator("[data-test=page-title]").inner_text() == "订单全流程追溯"
    screenshot(page, "trace_list_zh")
    page.locator("[data-test=language] button", has_text="EN").click()
    page.wait_for_selector("text=Order traceability")


def test_repeated_wrong_passwords_lock_the_account_even_for_the_right_one(
    plant: ServedPlant, browser: Any
) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    name, password = LOCKOUT_USER
    for _ in range(plant.container.settings.login_max_failures):
        login(page, plant.base_url, name, "wrong")
        page.wait_for_selector("text=Wrong user name or password.")
    login(page, plant.base_url, name, password)
    page.wait_for_selector("text=Too many failed attempts")
    assert "/login" in page.url
    r = httpx.get(f"{plant.base_url}/api/v1/auth/me", auth=(name, password))
    assert r.status_code == 401 and r.json()["error"] == "account_locked"
    context.close()


def test_logging_out_ends_the_session_on_the_server(open_as: Any, plant: ServedPlant) -> None:
    page = open_as("viewer", "/home")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    page.locator("[data-test=user-menu]").click()
    page.locator("[data-test=logout]").click()
    page.wait_for_url("**/login")
    r = httpx.get(f"{plant.base_url}/home", cookies=cookies, follow_redirects=False)
    assert r.status_code == 303  # the old cookie no longer opens anything
