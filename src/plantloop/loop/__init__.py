"""The decision layer: analysis flows back to the line as versioned, approved, DQ-gated, audited MES
commands, and their effect is measured.

Rooms: ``decisions`` (the record and its state machine), ``service`` (propose → gate → approve → publish →
acknowledge), ``approval`` (who must approve what, by configuration), ``gating`` (the data-quality gate),
``store`` / ``orm`` (decision records in the operational store), ``audit`` (the append-only audit log),
``notify`` (telling people), ``effect`` (KPI before/after).
"""

from plantloop.loop.approval import ApprovalMode, ApprovalPolicy, KindRule
from plantloop.loop.audit import AuditEntry, AuditLog, InMemoryAuditLog, SqlAuditLog
from plantloop.loop.decisions import Decision, DecisionKind, DecisionStatus, DqVerdict, PartitionRef
from plantloop.loop.effect import measure_effect
from plantloop.loop.errors import (
    DataQualityRefused,
    DecisionNotPending,
    LoopError,
    NotAllowedToApprove,
    UnknownDecision,
)
from plantloop.loop.gating import CallableGate, DqGate, FixedGate, NoDqResults
from plantloop.loop.notify import CallbackNotifier, Notifier, RecordingNotifier
from plantloop.loop.service import CommandSink, DecisionService
from plantloop.loop.store import DecisionStore, InMemoryDecisionStore, SqlDecisionStore

__all__ = [
    "ApprovalMode",
    "ApprovalPolicy",
    "AuditEntry",
    "AuditLog",
    "CallableGate",
    "CallbackNotifier",
    "CommandSink",
    "DataQualityRefused",
    "Decision",
    "DecisionKind",
    "DecisionNotPending",
    "DecisionService",
    "DecisionStatus",
    "DecisionStore",
    "DqGate",
    "DqVerdict",
    "FixedGate",
    "InMemoryAuditLog",
    "InMemoryDecisionStore",
    "KindRule",
    "LoopError",
    "NoDqResults",
    "NotAllowedToApprove",
    "Notifier",
    "PartitionRef",
    "RecordingNotifier",
    "SqlAuditLog",
    "SqlDecisionStore",
    "UnknownDecision",
    "measure_effect",
]
