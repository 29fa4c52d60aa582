"""The live hub: one outbox-relay subscriber that folds MES events into the plant view and pushes a fresh
snapshot to every open big screen (and operator terminal) within a fraction of a second.

Path of an event: a command commits → the bus wakes the outbox relay → :meth:`LiveHub.handle` folds the
records (relay thread) and sets a flag on the asyncio loop → the broadcaster computes one snapshot (in a
worker thread) and hands it to every listener, which updates its page over the page's websocket. Bursts
coalesce: at most one snapshot per ``min_interval_s``; a slow tick (``tick_s``) refreshes time-based
figures (availability falls while a machine is down even when nothing happens).

At start the hub folds the recent outbox window (the running shift date) from the read side, then takes
over from the relay at the newest sequence number it saw — so a restart shows today's figures at once and
never replays the whole history. The hub also feeds the alert engine: every event to the event rules,
every snapshot's OEE per line and equipment to the metric rules.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from plantloop.bootstrap import Container
from plantloop.kernel.ports import OutboxRecord
from plantloop.mes.domain.work_order import WorkOrder, WorkOrderStatus
from plantloop.reports.alerts import AlertEngine, AlertState, MetricSample
from plantloop.ui.live.plant_view import ORDER_EVENTS, PLAN_EVENTS, PlantView, Snapshot

log = logging.getLogger(__name__)

Listener = Callable[[Snapshot], None]


class LiveHub:
    name = "ui-live"

    def __init__(
        self,
        container: Container,
        *,
        alerts: AlertEngine | None = None,
        min_interval_s: float = 0.2,
        tick_s: float = 5.0,
        window_h: float = 26.0,
        max_open_orders: int = 300,
    ) -> None:
        self.container = container
        self.view = PlantView(container.plant)
        self.alerts = alerts
        self.min_interval_s = min_interval_s
        self.tick_s = tick_s
        self.window_h = window_h
        self.max_open_orders = max_open_orders
        self.latest: Snapshot | None = None
        self.version = 0
        self.computed_at = 0.0
        self._listeners: dict[int, Listener] = {}
        self._next_id = 0
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._dirty: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._orders_dirty = True
        self._plan_dirty = True
        self._open_orders: list[WorkOrder] = []
        self._plan: dict[str, int] = {}
        self._plan_day: Any = None
        self._subscribed = False

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Fold the recent window, subscribe to the relay, start broadcasting on ``loop``."""
        self._loop = loop
        self._dirty = asyncio.Event()
        self.bootstrap()
        self.container.relay.subscribe(self)
        self._subscribed = True
        self._task = loop.create_task(self._broadcast(), name="ui-live-broadcast")
        self._dirty.set()

    async def stop(self) -> None:
        if self._subscribed:
            with contextlib.suppress(ValueError):
                self.container.relay.subscribers.remove(self)
            self._subscribed = False
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def bootstrap(self) -> int:
        """Fold the events of the last ``window_h`` hours (up to the newest now); returns how many."""
        queries = self.container.queries
        newest = queries.last_events(1)
        top = newest[0].seq if newest else 0
        since = self.container.clock.now() - timedelta(hours=self.window_h)
        if newest:
            since = min(since, newest[0].envelope.occurred_at - timedelta(hours=self.window_h))
        folded, cursor = 0, 0
        while True:
            batch = queries.events(since=since, after_seq=cursor, limit=1000)
            for record in batch:
                if record.seq > top:
                    break
                self.view.fold(record.seq, record.envelope)
                folded += 1
            if len(batch) < 1000 or batch[-1].seq >= top:
                break
            cursor = batch[-1].seq
        self.view.last_seq = max(self.view.last_seq, top)
        self.container.checkpoints.save(self.name, top)
        log.info("live hub: folded %d recent events up to seq %d", folded, top)
        return folded

    # -- relay subscriber --------------------------------------------------------------------------
    def handle(self, records: list[OutboxRecord]) -> None:
        orders = plan = False
        for record in records:
            self.view.fold(record.seq, record.envelope)
            orders = orders or record.envelope.type in ORDER_EVENTS
            plan = plan or record.envelope.type in PLAN_EVENTS
            if self.alerts is not None:
                try:
                    self.alerts.observe_event(record.envelope)
                except Exception:  # an alert channel failing must not stop the screen
                    log.exception("alert evaluation failed for %s", record.envelope.type)
        if orders:
            self._orders_dirty = True
        if plan:
            self._plan_dirty = True
        self.poke()

    def poke(self) -> None:
        """Ask for a new snapshot soon (thread-safe)."""
        loop, dirty = self._loop, self._dirty
        if loop is not None and dirty is not None and not loop.is_closed():
            loop.call_soon_threadsafe(dirty.set)

    # -- listeners ---------------------------------------------------------------------------------
    def listen(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(snapshot)`` on every new snapshot; returns the function that stops it."""
        with self._lock:
            key = self._next_id
            self._next_id += 1
            self._listeners[key] = listener

        def stop() -> None:
            with self._lock:
                self._listeners.pop(key, None)

        return stop

    @property
    def listeners(self) -> int:
        return len(self._listeners)

    # -- computing and broadcasting ---------------------------------------------------------------
    def compute(self) -> Snapshot:
        """A fresh snapshot of the whole plant (runs in a worker thread)."""
        queries = self.container.queries
        now = self.view.now(self.container.clock.now())
        today = self.view.shift_date(now)
        if self._orders_dirty:
            self._orders_dirty = False
            open_orders: list[WorkOrder] = []
            for status in (WorkOrderStatus.IN_PROGRESS, WorkOrderStatus.RELEASED):
                open_orders += queries.work_orders(status=status, limit=self.max_open_orders)
            self._open_orders = sorted(open_orders, key=lambda w: w.due_at)[: self.max_open_orders]
        if self._plan_dirty or self._plan_day != today:
            self._plan_dirty = False
            waiting = queries.work_orders(status=WorkOrderStatus.CREATED, limit=10_000)
            in_work = [
                wo
                for status in (WorkOrderStatus.RELEASED, WorkOrderStatus.IN_PROGRESS)
                for wo in queries.work_orders(status=status, limit=10_000)
            ]
            self._plan = self.view.plan_by_line(waiting + in_work, today)
            self._plan_day = today
        alerts = self._open_alerts()
        snapshot = self.view.snapshot(now, queries.equipment_states(), self._open_orders, self._plan, alerts)
        self._feed_metric_rules(snapshot, now)
        return snapshot

    def _open_alerts(self) -> list[dict[str, Any]]:
        """Unresolved alerts as alarm rows (target: equipment path / id, or ``line:<id>``)."""
        if self.alerts is None:
            return []
        plant = self.container.plant
        out = []
        for a in self.alerts.alerts():
            if a.state is AlertState.RESOLVED:
                continue
            target = a.target.removeprefix("line:")
            equipment = target.rsplit("/", 1)[-1]
            line = target if target in plant.lines else plant.line_of.get(equipment)
            out.append(
                {
                    "kind": "alert",
                    "id": a.id,
                    "target": equipment if equipment in plant.equipment else target,
                    "line_id": line,
                    "reason": a.message,
                    "severity": a.severity.value,
                    "since": a.opened_at.isoformat(),
                    "state": a.state.value,
                    "rule_id": a.rule_id,
                }
            )
        return out

    def _feed_metric_rules(self, snapshot: Snapshot, now: Any) -> None:
        if self.alerts is None:
            return
        samples = [
            MetricSample(metric=m, target=f"line:{line['line_id']}", value=line[m], at=now)
            for line in snapshot["lines"]
            for m in ("oee", "availability", "quality")
            if line.get(m) is not None
        ] + [
            MetricSample(metric=m, target=e["equipment_id"], value=e[m], at=now)
            for e in snapshot["equipment"]
            for m in ("oee", "availability")
            if e.get(m) is not None
        ]
        for sample in samples:
            try:
                self.alerts.observe(sample)
            except Exception:
                log.exception("metric alert evaluation failed")

    async def _broadcast(self) -> None:
        assert self._dirty is not None
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._dirty.wait(), timeout=self.tick_s)
            self._dirty.clear()
            try:
                snapshot = await asyncio.to_thread(self.compute)
            except Exception:
                log.exception("live hub: snapshot failed")
                await asyncio.sleep(1.0)
                continue
            self.latest = snapshot
            self.version += 1
            self.computed_at = time.time()
            with self._lock:
                listeners = list(self._listeners.values())
            for listener in listeners:
                try:
                    listener(snapshot)
                except Exception:
                    log.exception("live hub: a listener failed")
            await asyncio.sleep(self.min_interval_s)
