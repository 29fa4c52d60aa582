"""The decision service: proposals from the optimizers become versioned, DQ-gated, approved, audited MES
commands — and the MES's answer is recorded on the decision.

``propose`` records a new version of a decision about a subject (superseding any older version that was not
published yet), asks the data-quality gate about its inputs, and either publishes it at once (the approval
policy says ``auto`` and the gate passed) or leaves it waiting for a person. ``approve`` / ``reject`` are the
person's answer. Publishing sends the commands in order to the command sink — the MES message bus in the
plant, the simulator's gateway on the twin — stamping each with the decision id where the command carries
one; the handlers' results are the acknowledgement. A command the MES refuses (a plantloop error: unknown
lot, invalid transition …) marks the decision FAILED with the reason; the commands before it stay applied
and the acknowledgement says which.

Every transition is audited and announced to the notifiers. The service is thread-safe.
"""

from __future__ import annotations

import builtins
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from plantloop.kernel.clock import Clock, SystemClock
from plantloop.kernel.errors import PlantloopError
from plantloop.kernel.ids import deterministic_id
from plantloop.loop.approval import ApprovalPolicy
from plantloop.loop.audit import AuditLog, InMemoryAuditLog
from plantloop.loop.decisions import (
    Decision,
    DecisionKind,
    DecisionStatus,
    PartitionRef,
    command_to_dict,
)
from plantloop.loop.errors import DataQualityRefused, NotAllowedToApprove
from plantloop.loop.gating import DqGate, NoDqResults
from plantloop.loop.notify import Notifier, notify_all
from plantloop.loop.store import DecisionStore, InMemoryDecisionStore
from plantloop.mes.domain.commands import Command


class CommandSink(Protocol):
    """Where commands go: ``MessageBus``, the simulator's gateways, an HTTP client of the MES API."""

    def handle(self, command: Command) -> Any: ...


#: Called after a decision is recorded, with the decision (e.g. the catalog recording decision lineage).
LineageHook = Callable[[Decision], None]

SYSTEM_APPROVER = "policy:auto"


class DecisionService:
    def __init__(
        self,
        sink: CommandSink,
        store: DecisionStore | None = None,
        *,
        policy: ApprovalPolicy | None = None,
        gate: DqGate | None = None,
        audit: AuditLog | None = None,
        notifiers: Iterable[Notifier] = (),
        lineage: LineageHook | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.sink = sink
        self.store = store or InMemoryDecisionStore()
        self.policy = policy or ApprovalPolicy()
        self.gate = gate or NoDqResults()
        self.clock = clock or SystemClock()
        self.audit = audit or InMemoryAuditLog(self.clock)
        self.notifiers: list[Notifier] = list(notifiers)
        self.lineage = lineage
        self._lock = threading.RLock()

    # ---- proposing -------------------------------------------------------------------------------
    def propose(
        self,
        kind: DecisionKind,
        subject: str,
        commands: Sequence[Command],
        *,
        title: str,
        evidence: dict[str, Any] | None = None,
        inputs: Sequence[PartitionRef] = (),
        parameters: dict[str, Any] | None = None,
        model_version: str | None = None,
        proposed_by: str = "system",
    ) -> Decision:
        """Record a new version of the decision about ``subject``; publish it now if policy and DQ allow."""
        with self._lock:
            for older in self.store.open_versions(kind, subject):
                self._save(older.superseded(), actor=proposed_by, action="decision.supersede")
            version = self.store.latest_version(kind, subject) + 1
            verdict = self.gate.verdict(inputs)
            needs_person = self.policy.needs_approval(kind) or not verdict.passed
            decision = Decision(
                id=deterministic_id("decision", kind.value, subject, version),
                kind=kind,
                subject=subject,
                version=version,
                title=title,
                commands=tuple(commands),
                status=DecisionStatus.PROPOSED,
                proposed_by=proposed_by,
                proposed_at=self.clock.now(),
                evidence=evidence or {},
                parameters=parameters or {},
                inputs=tuple(inputs),
                model_version=model_version,
                dq=verdict,
                approval_required=needs_person,
            )
            self.store.add(decision)
            self.audit.record(
                proposed_by,
                "decision.propose",
                f"decision:{decision.id}",
                kind=kind.value,
                subject=subject,
                version=version,
                dq_passed=verdict.passed,
                commands=[command_to_dict(c) for c in decision.commands],
            )
            if self.lineage is not None:
                self.lineage(decision)
            if needs_person:
                notify_all(self.notifiers, decision, "proposed")
                return decision
            approved = decision.approve(SYSTEM_APPROVER, self.clock.now(), note="approval policy: auto")
            self._save(approved, actor=SYSTEM_APPROVER, action="decision.approve")
            return self._publish(approved)

    # ---- a person's answer -----------------------------------------------------------------------
    def approve(
        self,
        decision_id: str,
        user: str,
        roles: Iterable[str],
        *,
        note: str = "",
        override_dq: bool = False,
    ) -> Decision:
        """Approve and publish. ``override_dq`` acts on data that failed its checks (recorded as such)."""
        held = tuple(roles)
        with self._lock:
            decision = self.store.get(decision_id)
            if not self.policy.may_approve(decision.kind, held):
                self.audit.record(user, "decision.approve", f"decision:{decision_id}", outcome="denied")
                raise NotAllowedToApprove(decision_id, user, self.policy.rule(decision.kind).roles)
            if not decision.dq.passed and not override_dq:
                raise DataQualityRefused(decision_id, decision.dq.failed_partitions)
            if override_dq and not decision.dq.passed:
                note = f"{note} [data-quality gate overridden by {user}]".strip()
            approved = decision.approve(user, self.clock.now(), note=note)
            self._save(approved, actor=user, action="decision.approve", override_dq=override_dq)
            return self._publish(approved)

    def reject(self, decision_id: str, user: str, roles: Iterable[str], reason: str) -> Decision:
        with self._lock:
            decision = self.store.get(decision_id)
            if not self.policy.may_approve(decision.kind, tuple(roles)):
                self.audit.record(user, "decision.reject", f"decision:{decision_id}", outcome="denied")
                raise NotAllowedToApprove(decision_id, user, self.policy.rule(decision.kind).roles)
            rejected = decision.reject(user, self.clock.now(), reason)
            self._save(rejected, actor=user, action="decision.reject", reason=reason)
            notify_all(self.notifiers, rejected, "rejected")
            return rejected

    # ---- reading ---------------------------------------------------------------------------------
    def get(self, decision_id: str) -> Decision:
        return self.store.get(decision_id)

    def list(
        self,
        *,
        kind: DecisionKind | None = None,
        status: DecisionStatus | None = None,
        subject: str | None = None,
        limit: int = 100,
    ) -> list[Decision]:
        return self.store.list(kind=kind, status=status, subject=subject, limit=limit)

    def pending(self, limit: int = 100) -> builtins.list[Decision]:
        return self.store.list(status=DecisionStatus.PROPOSED, limit=limit)

    def record_effect(self, decision_id: str, metric: str, effect: dict[str, Any]) -> Decision:
        """Attach a measured KPI effect (see :mod:`plantloop.loop.effect`) to an acknowledged decision."""
        with self._lock:
            updated = self.store.get(decision_id).with_effect(metric, effect)
            self._save(updated, actor="loop.effect", action="decision.effect", metric=metric, **effect)
            return updated

    # ---- internals -------------------------------------------------------------------------------
    def _publish(self, decision: Decision) -> Decision:
        published = decision.published(self.clock.now())
        self._save(published, actor=decision.decided_by or SYSTEM_APPROVER, action="decision.publish")
        results: builtins.list[Any] = []
        for index, command in enumerate(published.commands):
            try:
                results.append(self.sink.handle(stamped(command, published)))
            except PlantloopError as exc:
                ack = {"applied": index, "results": _jsonable(results), "refused": exc.to_dict()}
                failed = published.failed(f"{type(command).__name__}: {exc.message}", ack)
                self._save(failed, actor="mes", action="decision.fail", error=exc.code)
                notify_all(self.notifiers, failed, "failed")
                return failed
        done = published.acknowledged({"applied": len(results), "results": _jsonable(results)})
        self._save(done, actor="mes", action="decision.acknowledge")
        notify_all(self.notifiers, done, "published")
        return done

    def _save(self, decision: Decision, *, actor: str, action: str, **details: Any) -> None:
        self.store.save(decision)
        self.audit.record(actor, action, f"decision:{decision.id}", status=decision.status.value, **details)


def stamped(command: Command, decision: Decision) -> Command:
    """The command as the MES receives it: carrying the decision id (where it has the field) and issued by
    whoever approved it."""
    update: dict[str, Any] = {"issued_by": decision.decided_by or decision.proposed_by}
    if "decision_id" in type(command).model_fields:
        update["decision_id"] = decision.id
    return command.model_copy(update=update)


def _scalar(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


def _jsonable(results: list[Any]) -> list[Any]:
    out: list[Any] = []
    for r in results:
        if r is None or isinstance(r, str | int | float | bool):
            out.append(r)
        elif isinstance(r, list | tuple):
            out.append(_jsonable(list(r)))
        elif isinstance(r, dict):
            out.append(
                {str(k): v if isinstance(v, str | int | float | bool) else str(v) for k, v in r.items()}
            )
        else:
            out.append(str(r))
    return out
