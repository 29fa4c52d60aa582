"""Telling people: the decision layer announces what happened to a decision to every registered notifier.

A notifier is anything with ``notify(decision, event)``; events are ``proposed`` (waiting for approval),
``published``, ``failed`` and ``rejected``. The reports context adapts e-mail and chat webhooks to this port;
:class:`RecordingNotifier` is the twin. A failing notifier never blocks the loop: the error is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from plantloop.loop.decisions import Decision

log = logging.getLogger(__name__)


class Notifier(Protocol):
    def notify(self, decision: Decision, event: str) -> None: ...


class RecordingNotifier:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []  # (event, decision id, kind)

    def notify(self, decision: Decision, event: str) -> None:
        self.sent.append((event, decision.id, decision.kind.value))


class CallbackNotifier:
    """Adapt a plain function ``fn(decision, event)`` (e.g. the UI pushing to open browsers)."""

    def __init__(self, fn: Callable[[Decision, str], None]) -> None:
        self._fn = fn

    def notify(self, decision: Decision, event: str) -> None:
        self._fn(decision, event)


def notify_all(notifiers: list[Notifier], decision: Decision, event: str) -> None:
    for notifier in notifiers:
        try:
            notifier.notify(decision, event)
        except Exception:  # a broken channel must not stop a hold from reaching the line
            log.exception("notifier %r failed for decision %s (%s)", notifier, decision.id, event)
