"""Where alerts outlive the process: the alert engine writes every state change through to a backing.

With a backing (``SqlAlertBacking``: the operational store, tables ``alerts`` and ``alert_transitions`` of
the MES Alembic chain, revision 0005) a restart keeps open and acknowledged alerts — who acknowledged what,
and when — and the history; an alert still open after the restart goes on counting occurrences instead of
opening a second one, and resolves when its condition clears.

Each state change (open, acknowledge, resolve) writes the alert and appends its transition in one
transaction. A further breach or event on an open alert (its occurrence count, the time and value last
seen) rewrites the alert's row without a transition: a crash loses neither states nor counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import sqlalchemy as sa

from plantloop.reports.alert_model import Alert, AlertTransition


class AlertBacking(Protocol):
    def load(self, keep_resolved: int, keep_history: int) -> tuple[list[Alert], list[AlertTransition]]:
        """Every unresolved alert, the newest ``keep_resolved`` resolved ones and the newest
        ``keep_history`` transitions (oldest first)."""
        ...

    def save(self, alert: Alert, transition: AlertTransition) -> None: ...

    def touch(self, alert: Alert) -> None:
        """Rewrite a stored alert whose state did not change (another occurrence)."""
        ...

    def forget(self, alert_ids: Iterable[str]) -> None:
        """Drop resolved alerts pruned from memory (their transitions stay: the history is an audit)."""
        ...


metadata = sa.MetaData()
alerts_table = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("rule_id", sa.String(128), nullable=False),
    sa.Column("target", sa.String(512), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("resolved_at", sa.DateTime(timezone=True)),
    sa.Column("body", sa.Text, nullable=False),
)
transitions_table = sa.Table(
    "alert_transitions",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("alert_id", sa.String(64), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
)


class SqlAlertBacking:
    def __init__(self, engine: sa.engine.Engine) -> None:
        self.engine = engine

    def load(self, keep_resolved: int, keep_history: int) -> tuple[list[Alert], list[AlertTransition]]:
        a, t = alerts_table.c, transitions_table.c
        with self.engine.connect() as conn:
            unresolved = conn.execute(sa.select(a.body).where(a.state != "resolved")).scalars().all()
            resolved = (
                conn.execute(
                    sa.select(a.body)
                    .where(a.state == "resolved")
                    .order_by(a.resolved_at.desc(), a.id.desc())
                    .limit(keep_resolved)
                )
                .scalars()
                .all()
            )
            history = (
                conn.execute(sa.select(t.body).order_by(t.seq.desc()).limit(keep_history)).scalars().all()
            )
        alerts = [Alert.model_validate_json(b) for b in [*unresolved, *resolved]]
        return alerts, [AlertTransition.model_validate_json(b) for b in reversed(history)]

    def save(self, alert: Alert, transition: AlertTransition) -> None:
        values = {
            "rule_id": alert.rule_id,
            "target": alert.target,
            "state": alert.state.value,
            "opened_at": alert.opened_at,
            "resolved_at": alert.resolved_at,
            "body": alert.model_dump_json(),
        }
        with self.engine.begin() as conn:
            row = alerts_table.update().where(alerts_table.c.id == alert.id)
            updated = conn.execute(row.values(**values))
            if updated.rowcount == 0:
                conn.execute(alerts_table.insert().values(id=alert.id, **values))
            conn.execute(
                transitions_table.insert().values(
                    alert_id=transition.alert_id, at=transition.at, body=transition.model_dump_json()
                )
            )

    def touch(self, alert: Alert) -> None:
        with self.engine.begin() as conn:
            row = alerts_table.update().where(alerts_table.c.id == alert.id)
            conn.execute(row.values(body=alert.model_dump_json()))

    def forget(self, alert_ids: Iterable[str]) -> None:
        ids = list(alert_ids)
        if not ids:
            return
        with self.engine.begin() as conn:
            for start in range(0, len(ids), 500):
                conn.execute(alerts_table.delete().where(alerts_table.c.id.in_(ids[start : start + 500])))
