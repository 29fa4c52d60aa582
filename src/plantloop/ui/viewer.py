"""The viewer: who is looking at a page — principal, language, session — and the MES as they may see it.

Every page and every action of the UI goes through a :class:`Viewer`. Its ``queries`` and ``bus`` are the
row-scoped MES (:mod:`plantloop.api.scope`), so a page cannot show or change another line by accident, and
:meth:`Viewer.act` re-checks the session and the permission on the server for every button press (a hidden
button is a convenience, never the control).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from plantloop.api.scope import scoped_bus, scoped_queries
from plantloop.api.security import Principal
from plantloop.kernel.errors import PermissionDenied, PlantloopError
from plantloop.mes.messagebus import MessageBus
from plantloop.mes.queries import MesQueries
from plantloop.ui.i18n import Language, translate, translate_value

if TYPE_CHECKING:
    from plantloop.ui.context import UiContext

log = logging.getLogger(__name__)


@dataclass
class Viewer:
    principal: Principal
    lang: Language
    session: str
    ctx: UiContext

    @property
    def username(self) -> str:
        return self.principal.username

    @property
    def scope(self) -> frozenset[str] | None:
        return self.principal.lines

    def can(self, permission: str) -> bool:
        return self.principal.can(permission)

    def sees_line(self, line_id: str | None) -> bool:
        return self.principal.sees_line(line_id)

    def local(self, when: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        """An instant as the plant's wall time (the site's time zone), or "" for None."""
        if when is None:
            return ""
        return when.astimezone(ZoneInfo(self.ctx.container.plant.site.timezone)).strftime(fmt)

    def t(self, key: str, /, **values: Any) -> str:
        return translate(key, self.lang, **values)

    def tv(self, group: str, value: str | None) -> str:
        return translate_value(group, value, self.lang)

    @property
    def queries(self) -> MesQueries:
        return scoped_queries(self.ctx.container.queries, self.scope)

    @property
    def bus(self) -> MessageBus:
        return scoped_bus(self.ctx.container.bus, self.ctx.container.queries, self.scope)

    def still_valid(self) -> bool:
        """The session is alive and the user still exists (without restarting the idle clock)."""
        session = self.ctx.auth.sessions.peek(self.session)
        return session is not None and self.ctx.auth.principal_for(self.username) is not None

    def check(self, permission: str) -> None:
        """Raise unless the session is alive and the user may ``permission`` (checked on the server)."""
        if self.ctx.auth.sessions.touch(self.session) is None:
            raise PermissionDenied(self.t("errors.session_expired"))
        current = self.ctx.auth.principal_for(self.username)
        if current is None or not current.can(permission):
            raise PermissionDenied(self.t("errors.not_allowed", permission=permission), permission=permission)

    async def act(
        self,
        permission: str,
        action: Callable[[], Any] | Callable[[], Awaitable[Any]],
        *,
        done: str | None = None,
    ) -> Any:
        """Run ``action`` if allowed; show its outcome (or its error, translated) as a notification.

        An action with blocking work should be async and use ``nicegui.run.io_bound`` for it, so that other
        screens keep updating meanwhile.
        """
        from nicegui import ui

        try:
            self.check(permission)
            result = action()
            if inspect.isawaitable(result):
                result = await result
        except PlantloopError as exc:
            ui.notify(self.error_text(exc), type="negative", multi_line=True, close_button=True)
            return None
        except Exception:
            log.exception("UI action failed for %s", self.username)
            ui.notify(self.t("errors.internal"), type="negative")
            return None
        if done:
            ui.notify(done, type="positive")
        return result

    def error_text(self, exc: PlantloopError) -> str:
        """A user-facing message for a plantloop error (known codes translated, else the message)."""
        key = f"errors.code.{exc.code}"
        text = translate(key, self.lang, **{k: v for k, v in exc.details.items() if isinstance(v, str)})
        return text if text != key else exc.message
