"""Administration: who may log in (configured users and, in demo mode, the demo users) with roles,
permissions and row scope; the live browser sessions (end one user's sessions); the audit log of decisions.

Users are configuration (``PLANTLOOP_USERS`` with argon2 hashes), not edited here: changing who may do what
is a deployment change, reviewed like one."""

from __future__ import annotations

from nicegui import ui

from plantloop.ui.shell import guarded_page
from plantloop.ui.viewer import Viewer


def register() -> None:
    guarded_page("/admin", "admin", title_key="nav.admin")(admin_page)


def admin_page(viewer: Viewer) -> None:
    t = viewer.t
    auth = viewer.ctx.auth
    sessions = auth.sessions.active()
    by_user: dict[str, int] = {}
    for s in sessions:
        by_user[s.username] = by_user.get(s.username, 0) + 1
    rows = [
        {
            "user": p.username,
            "roles": ", ".join(viewer.tv("role", r) for r in p.roles),
            "permissions": ", ".join(sorted(p.permissions)),
            "scope": t("shell.all_lines") if p.lines is None else ", ".join(sorted(p.lines)),
            "demo": t("common.yes") if p.demo else "",
            "sessions": by_user.get(p.username, 0),
        }
        for p in auth.users()
    ]
    ui.label(t("admin.users", count=len(rows))).classes("text-lg font-bold")
    ui.label(t("admin.users_hint")).classes("pl-muted text-sm")
    columns = [
        {"name": k, "label": t(f"admin.col.{k}"), "field": k, "align": "left"}
        for k in ("user", "roles", "permissions", "scope", "demo", "sessions")
    ]
    table = ui.table(columns=columns, rows=rows, row_key="user", selection="single").props(
        "flat bordered dense data-test=admin-users"
    )
    table.classes("w-full")

    async def end_sessions() -> None:
        if not table.selected:
            ui.notify(t("admin.choose_user"), type="warning")
            return
        user = table.selected[0]["user"]
        count = await viewer.act("admin", lambda: auth.sessions.revoke_user(user))
        ui.notify(t("admin.ended", count=count or 0, user=user), type="positive")
        ui.navigate.reload()

    ui.button(t("admin.end_sessions"), icon="logout", on_click=end_sessions).props("outline")
    entries = viewer.ctx.container.audit.entries(limit=200)
    with ui.expansion(t("admin.audit", count=len(entries)), icon="policy").classes("w-full"):
        audit_rows = [
            {
                "i": i,
                "at": viewer.local(e.at, "%m-%d %H:%M:%S"),
                "actor": e.actor,
                "action": e.action,
                "target": e.target,
            }
            for i, e in enumerate(entries)
        ]
        audit_columns = [
            {"name": k, "label": t(f"admin.col.{k}"), "field": k, "align": "left"}
            for k in ("at", "actor", "action", "target")
        ]
        ui.table(columns=audit_columns, rows=audit_rows, row_key="i", pagination=20).props(
            "flat dense"
        ).classes("w-full")
