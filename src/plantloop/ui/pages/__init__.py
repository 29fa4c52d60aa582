"""One module per page; :func:`register_all` registers every page with NiceGUI (called once by ``mount``)."""

from __future__ import annotations


def register_all() -> None:
    from plantloop.ui.pages import home, login, screen, terminal

    for module in (login, home, screen, terminal):
        module.register()
