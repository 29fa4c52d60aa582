"""The live rescheduler: MES events in, a new plan out as a SCHEDULE decision, without anyone pressing a
button.

:class:`LiveRescheduler` follows the MES outbox from where it was started (earlier events are history, not
news). A poll reads the events since its cursor; when one of them calls for a new plan
(:func:`~plantloop.optimize.scheduling.replan.trigger_of`: machine down or back, predicted failure, rush
order, order changed or cancelled, quantity scrapped, lot held or released), it builds the plant's problem
from the MES as it is now (``from_mes.py``), re-solves it against the plan in force — the dispatch lists the
MES holds, with their planned equipment and starts — with the stability term of
:func:`~plantloop.optimize.scheduling.replan.replan` (only what must move moves), and proposes the result to
the decision layer. Whether it reaches the floor at once or after a planner's approval is the approval
policy's business (``loop/approval.py``). Several triggers read in one poll make one plan, named after all
of them. A poll that fails (a solver or store error) leaves the cursor where it was, so the next poll
retries the same events; every plan is kept in ``history`` with its trigger, moved operations and solve time.

Run it beside a real plant's MES (``plantloop schedule follow``) or call :meth:`poll` from your own loop.
The demo does not start it: there the twin's ``loop`` policy already re-plans on the same events.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from plantloop.kernel.ports import OutboxRecord
from plantloop.loop import Decision, DecisionKind, DecisionService
from plantloop.mes.masterdata.schema import PlantDefinition
from plantloop.mes.queries import MesQueries
from plantloop.optimize.scheduling.from_mes import shop_from_mes
from plantloop.optimize.scheduling.problem import Objective
from plantloop.optimize.scheduling.publish import MODEL_VERSION, plan_evidence, plan_to_commands
from plantloop.optimize.scheduling.replan import Trigger, replan, trigger_of
from plantloop.optimize.scheduling.runner import SolveParams

log = logging.getLogger(__name__)

#: outbox records read per poll at most (the rest wait for the next poll)
BATCH = 10_000

Windows = Callable[[datetime], Iterable[tuple[str, datetime, datetime]]]


class _Clock(Protocol):
    def now(self) -> datetime: ...


class _Outbox(Protocol):
    def fetch_after(self, after_seq: int, limit: int) -> list[OutboxRecord]: ...

    def last_seq(self) -> int: ...


def plan_in_force(queries: MesQueries, plant: PlantDefinition) -> dict[str, tuple[str, datetime]]:
    """Operation id → (equipment, planned start) of every published, not started dispatch-list entry."""
    out: dict[str, tuple[str, datetime]] = {}
    for wc in plant.work_centers:
        for item in queries.dispatch_list(wc):
            if item.published and item.equipment_id and item.planned_start_at is not None:
                out[item.operation_id] = (item.equipment_id, item.planned_start_at)
    return out


@dataclass
class LiveRescheduler:
    """See the module docstring. ``windows(now)`` gives planned or predicted maintenance windows."""

    queries: MesQueries
    outbox: _Outbox
    decisions: DecisionService
    plant: PlantDefinition
    clock: _Clock
    objective: Objective = Objective.ON_TIME_AND_FLOW
    time_limit_s: float = 10.0
    num_workers: int = 1
    primary_weight: int = 1
    windows: Windows | None = None
    #: the last outbox sequence number read; ``None``: start from the present
    cursor: int | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.cursor is None:
            self.cursor = self.outbox.last_seq()

    def poll(self) -> Decision | None:
        """Read the events since the cursor; re-plan and propose if any of them calls for it."""
        records = self.outbox.fetch_after(self.cursor or 0, BATCH)
        if not records:
            return None
        triggers = [t for r in records if (t := trigger_of(r.envelope)) is not None]
        decision = self.replan_now(triggers) if triggers else None
        self.cursor = records[-1].seq  # only after the plan is proposed: a failure retries these events
        return decision

    def replan_now(self, triggers: list[Trigger]) -> Decision | None:
        """Re-plan the live plant against the plan in force; ``None`` when nothing is open."""
        now = self.clock.now()
        windows = list(self.windows(now)) if self.windows is not None else []
        shop = shop_from_mes(self.queries, self.plant, now, predicted_windows=windows)
        reasons = sorted({t.reason.value for t in triggers}) or ["manual"]
        if not shop.problem.jobs:
            self.history.append({"at": now.isoformat(), "trigger": reasons, "open_orders": 0})
            return None
        t0 = time.perf_counter()
        params = SolveParams(time_limit_s=self.time_limit_s, num_workers=self.num_workers)
        shop_plan = replan(
            shop,
            plan_in_force(self.queries, self.plant),
            self.objective,
            params,
            trigger=",".join(reasons),
            primary_weight=self.primary_weight,
        )
        subjects = sorted({t.subject for t in triggers if t.subject})
        decision = self.decisions.propose(
            DecisionKind.SCHEDULE,
            "plant",
            plan_to_commands(shop_plan, issued_by="rescheduler"),
            title=f"Reschedule on {', '.join(reasons)}"
            + (f" ({', '.join(subjects[:5])})" if subjects else "")
            + f": {len(shop.work_order_ids)} orders, {shop_plan.moved_ops} operations moved",
            evidence=plan_evidence(shop_plan),
            parameters={
                "time_limit_s": self.time_limit_s,
                "objective": self.objective.value,
                "primary_weight": self.primary_weight,
                "trigger": reasons,
            },
            model_version=MODEL_VERSION,
            proposed_by="rescheduler",
        )
        self.history.append(
            {
                "at": now.isoformat(),
                "trigger": reasons,
                "subjects": subjects,
                "open_orders": len(shop.work_order_ids),
                "moved_ops": shop_plan.moved_ops,
                "machine_changes": shop_plan.machine_changes,
                "status": shop_plan.plan.status.value,
                "solve_time_s": round(time.perf_counter() - t0, 3),
                "decision_id": decision.id,
                "decision_status": decision.status.value,
            }
        )
        return decision

    # ---- running in the background -----------------------------------------------------------------
    def start(self, poll_s: float = 5.0) -> None:
        """Poll every ``poll_s`` seconds in a daemon thread until :meth:`stop`."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(poll_s,), name="rescheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.time_limit_s + 30.0)
            self._thread = None

    def _run(self, poll_s: float) -> None:
        while not self._stop.is_set():
            try:
                self.poll()
            except Exception:  # a plant's rescheduler keeps running; the events are retried next poll
                log.exception("rescheduling failed; retrying the same events at the next poll")
            self._stop.wait(poll_s)
