"""The pages of the web UI: path, icon, title key and the permission each needs — the menu is this list,
filtered by what the viewer may do, so the menu can never offer a page the server would refuse."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    path: str
    icon: str
    title_key: str
    permission: str
    #: Shown in the menu (detail pages such as one order's trace are reached from their list page).
    in_menu: bool = True


PAGES: tuple[PageSpec, ...] = (
    PageSpec("/home", "home", "nav.home", "read"),
    PageSpec("/screen", "tv", "nav.screen", "read"),
    PageSpec("/terminal", "precision_manufacturing", "nav.terminal", "execute"),
    PageSpec("/trace", "account_tree", "nav.trace", "read"),
    PageSpec("/schedule", "view_timeline", "nav.schedule", "read"),
    PageSpec("/quality", "verified", "nav.quality", "read"),
    PageSpec("/maintenance", "build", "nav.maintenance", "read"),
    PageSpec("/data", "storage", "nav.data", "govern"),
    PageSpec("/reports", "summarize", "nav.reports", "read"),
    PageSpec("/forms", "edit_note", "nav.forms", "read"),
    PageSpec("/alerts", "notifications", "nav.alerts", "read"),
    PageSpec("/decisions", "gavel", "nav.decisions", "read"),
    PageSpec("/admin", "admin_panel_settings", "nav.admin", "admin"),
)


def spec(path: str) -> PageSpec:
    for page in PAGES:
        if page.path == path:
            return page
    raise KeyError(path)
