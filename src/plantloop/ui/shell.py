"""The frame around every page: header (title, language switch, user, logout), the role-aware menu, and the
page guard that turns a builder into a NiceGUI page which requires a live session and a permission.

``guarded_page(path, permission)`` is how pages are declared::

    @guarded_page("/trace/{work_order_id}", "read", title_key="nav.trace")
    def order_trace(viewer: Viewer, work_order_id: str) -> None: ...

Without a session the browser is redirected to ``/login?next=…``; without the permission the page answers
403 with an explanation inside the normal frame. The builder runs only for an allowed viewer.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import app as nicegui_app
from nicegui import ui

from plantloop.ui.context import current
from plantloop.ui.i18n import Language
from plantloop.ui.menu import PAGES
from plantloop.ui.viewer import Viewer

Builder = Callable[..., Any]

_CSS = """
.pl-kpi { font-variant-numeric: tabular-nums; }
.pl-muted { color: #64748b; }
"""


def guarded_page(
    path: str, permission: str, *, title_key: str, chrome: bool = True
) -> Callable[[Builder], Builder]:
    """Register ``builder(viewer, **path_params)`` as the page at ``path`` (see the module docstring)."""

    def register(builder: Builder) -> Builder:
        hints = typing.get_type_hints(builder)
        params = [
            p.replace(annotation=hints.get(p.name, str))
            for p in list(inspect.signature(builder).parameters.values())[1:]
        ]

        def page(request: Request, **kwargs: Any) -> Any:
            ctx = current()
            viewer = ctx.viewer(request)
            if viewer is None:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
            ui.page_title(f"{viewer.t(title_key)} · plantloop")
            if not viewer.can(permission):
                ui.status_code(403)
                with frame(viewer, path, title_key):
                    forbidden(viewer, permission)
                return None
            if chrome:
                with frame(viewer, path, title_key):
                    builder(viewer, **kwargs)
            else:
                builder(viewer, **kwargs)
            return None

        page.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [
                inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
                *params,
            ]
        )
        page.__name__ = builder.__name__
        ui.page(path, response_timeout=15)(page)
        return builder

    return register


def forbidden(viewer: Viewer, permission: str) -> None:
    with ui.card().classes("max-w-xl mx-auto mt-12 items-center text-center").props("data-test=forbidden"):
        ui.icon("block", size="3rem", color="negative")
        ui.label(viewer.t("errors.forbidden_title")).classes("text-xl font-bold")
        ui.label(viewer.t("errors.forbidden_text", permission=viewer.tv("permission", permission)))
        ui.link(viewer.t("nav.home"), "/home")


@contextmanager
def frame(viewer: Viewer, path: str, title_key: str) -> Iterator[None]:
    """Header, menu drawer and content column; the page builds inside the content column."""
    ui.add_css(_CSS)
    with ui.header(elevated=True).classes("items-center px-3 py-1 gap-2 bg-primary"):
        drawer_button = ui.button(icon="menu").props("flat round dense color=white")
        ui.label("plantloop").classes("text-lg font-bold tracking-wide gt-xs")
        ui.label("·").classes("opacity-60 gt-xs")
        ui.label(viewer.t(title_key)).classes("text-lg").props("data-test=page-title")
        ui.space()
        _language_switch(viewer)
        _user_menu(viewer)
    # show-if-above opens it on wide screens in the browser (no round trip to ask for the width)
    drawer = ui.left_drawer(value=False, bordered=True).props("width=220 breakpoint=900 show-if-above")
    with drawer, ui.list().props("dense padding").classes("w-full"):
        for page in PAGES:
            if not page.in_menu or not viewer.can(page.permission):
                continue
            active = path == page.path or (page.path != "/home" and path.startswith(page.path + "/"))
            with (
                ui.item(on_click=lambda p=page.path: ui.navigate.to(p))
                .props(f"clickable {'active' if active else ''}")
                .classes("rounded")
                .props(f"data-test=nav{page.path.replace('/', '-')}")
            ):
                with ui.item_section().props("avatar"):
                    ui.icon(page.icon)
                ui.item_section(viewer.t(page.title_key))
    drawer_button.on_click(drawer.toggle)
    with ui.column().classes("w-full max-w-screen-2xl mx-auto p-2 sm:p-4 gap-3"):
        yield
    _session_watch(viewer)


def _language_switch(viewer: Viewer) -> None:
    def choose(lang: Language) -> None:
        viewer.ctx.prefs.set_language(viewer.username, lang)
        ui.navigate.reload()

    with ui.button_group().props("flat").props("data-test=language"):
        for lang, label in ((Language.EN, "EN"), (Language.ZH, "中文")):
            ui.button(label, on_click=lambda lng=lang: choose(lng)).props(
                f"flat dense no-caps color=white {'' if lang is viewer.lang else 'class=opacity-60'}"
            ).classes("font-bold" if lang is viewer.lang else "opacity-60")


def _user_menu(viewer: Viewer) -> None:
    roles = ", ".join(viewer.tv("role", r) for r in viewer.principal.roles)
    scope = viewer.t("shell.all_lines") if viewer.scope is None else ", ".join(sorted(viewer.scope))
    with (
        ui.button(icon="account_circle").props("flat round color=white").props("data-test=user-menu"),
        ui.menu(),
    ):
        with ui.column().classes("p-3 gap-1"):
            ui.label(viewer.username).classes("font-bold").props("data-test=username")
            ui.label(f"{viewer.t('shell.roles')}: {roles}").classes("text-sm")
            ui.label(f"{viewer.t('shell.scope')}: {scope}").classes("text-sm").props("data-test=scope")
            if viewer.principal.demo:
                ui.badge(viewer.t("shell.demo_user"), color="warning")
        ui.separator()
        ui.menu_item(viewer.t("shell.logout"), on_click=lambda: logout(viewer)).props("data-test=logout")


def logout(viewer: Viewer) -> None:
    viewer.ctx.auth.sessions.revoke(viewer.session)
    ui.navigate.to("/auth/logout")


def _session_watch(viewer: Viewer) -> None:
    """Send the browser to the login page when its session ends (timeout, logout elsewhere, user removed)."""

    def check() -> None:
        if not viewer.still_valid():
            ui.navigate.to("/login?expired=1")

    ui.timer(30.0, check)


def static_setup() -> None:
    """Process-wide UI settings (called once by ``mount``)."""
    nicegui_app.colors(primary="#1e3a5f", secondary="#2f6fae", accent="#e07a1f", positive="#2e7d32")
