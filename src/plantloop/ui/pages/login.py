"""The login page: user name and password (argon2, lockout after repeated failures), language choice, and —
in demo mode only — the documented demo users."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from nicegui import run, ui

from plantloop.api.routes.ui_session import safe_next
from plantloop.api.security import DEMO_PASSWORD, DEMO_USERS, AccountLocked
from plantloop.kernel.errors import Unauthenticated
from plantloop.ui.context import current
from plantloop.ui.i18n import Language, translate


def register() -> None:
    ui.page("/login", response_timeout=10)(login_page)


def login_page(request: Request, next: str = "/home", expired: int = 0, lang: str = "") -> None:
    ctx = current()
    language = Language.parse(
        lang or request.headers.get("accept-language"), Language.parse(ctx.container.settings.locale)
    )
    target = safe_next(next)

    def t(key: str, **values: object) -> str:
        return translate(key, language, **values)

    ui.page_title(f"{t('login.title')} · plantloop")
    ui.query("body").classes("bg-slate-100")
    with ui.column().classes("w-full items-center pt-10 sm:pt-20 px-3"):
        with ui.card().classes("w-full max-w-sm p-6 gap-3").props("data-test=login-card"):
            with ui.row().classes("w-full items-center"):
                ui.icon("factory", size="2rem", color="primary")
                ui.label("plantloop").classes("text-2xl font-bold text-primary")
                ui.space()
                for code, label in ((Language.EN, "EN"), (Language.ZH, "中文")):
                    ui.link(label, f"/login?lang={code.value}&next={quote(target, safe='')}").classes(
                        "text-sm " + ("font-bold" if code is language else "opacity-60")
                    )
            ui.label(t("login.subtitle")).classes("text-sm pl-muted")
            if expired:
                ui.label(t("login.expired")).classes("text-warning text-sm").props("data-test=login-expired")
            username = ui.input(t("login.username")).props("outlined autofocus autocomplete=username")
            username.props("data-test=login-username")
            password = ui.input(t("login.password"), password=True, password_toggle_button=True)
            password.props("outlined autocomplete=current-password").props("data-test=login-password")
            message = ui.label("").classes("text-negative text-sm").props("data-test=login-error")

            async def submit() -> None:
                name, secret = (username.value or "").strip(), password.value or ""
                if not name or not secret:
                    message.set_text(t("login.missing"))
                    return
                button.disable()
                try:
                    principal = await run.io_bound(ctx.auth.login, name, secret)
                except AccountLocked as exc:
                    message.set_text(t("login.locked", seconds=exc.details.get("retry_after_s", "")))
                    return
                except Unauthenticated:
                    message.set_text(t("login.failed"))
                    return
                finally:
                    button.enable()
                if principal is None:  # io_bound returns None when the app shuts down meanwhile
                    return
                if lang:
                    ctx.prefs.set_language(principal.username, language)
                session = ctx.auth.sessions.create(principal.username)
                ticket = ctx.auth.sessions.issue_ticket(session)
                ui.navigate.to(f"/auth/complete?ticket={ticket}&next={quote(target, safe='')}")

            password.on("keydown.enter", submit)
            button = ui.button(t("login.submit"), on_click=submit).props("unelevated color=primary")
            button.classes("w-full").props("data-test=login-submit")
        if ctx.container.settings.demo:
            with ui.card().classes("w-full max-w-sm p-4 gap-1 bg-amber-50").props("data-test=demo-hint"):
                ui.label(t("login.demo_title")).classes("font-bold text-sm")
                ui.label(t("login.demo_text", password=DEMO_PASSWORD)).classes("text-sm")
                ui.label(", ".join(DEMO_USERS)).classes("text-xs font-mono")
