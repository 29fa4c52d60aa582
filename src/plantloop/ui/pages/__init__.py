"""One module per page; :func:`register_all` registers every page with NiceGUI (called once by ``mount``)."""

from __future__ import annotations


def register_all() -> None:
    from plantloop.ui.pages import (
        admin,
        alerts,
        data,
        decisions,
        forms,
        home,
        login,
        maintenance,
        quality,
        reports,
        schedule,
        screen,
        terminal,
        trace,
    )

    modules = (login, home, screen, terminal, trace, schedule, quality, maintenance, data, reports, forms)
    for module in (*modules, alerts, decisions, admin):
        module.register()
