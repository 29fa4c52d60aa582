"""Errors of the decision layer::

LoopError
 ├── UnknownDecision          (NotFound)          no decision with that id
 ├── DecisionNotPending       (Conflict)          the decision's status does not allow that action
 ├── DataQualityRefused       (Conflict)          inputs failed DQ checks and nobody overrode the gate
 ├── NotAllowedToApprove      (PermissionDenied)  the approver lacks the role the policy asks for
 └── InvalidPolicy            (InvalidInput)      an approval policy file that does not validate
"""

from __future__ import annotations

from collections.abc import Sequence

from plantloop.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied, PlantloopError


class LoopError(PlantloopError):
    code = "loop_error"


class UnknownDecision(LoopError, NotFound):
    code = "unknown_decision"

    def __init__(self, decision_id: str) -> None:
        super().__init__(f"no decision {decision_id!r}", decision_id=decision_id)
        self.decision_id = decision_id


class DecisionNotPending(LoopError, Conflict):
    code = "decision_not_pending"

    def __init__(self, decision_id: str, status: str, action: str) -> None:
        super().__init__(
            f"decision {decision_id!r} is {status}: it cannot {action}",
            decision_id=decision_id,
            status=status,
            action=action,
        )
        self.decision_id = decision_id
        self.status = status


class DataQualityRefused(LoopError, Conflict):
    code = "data_quality_refused"

    def __init__(self, decision_id: str, failed_partitions: Sequence[str]) -> None:
        super().__init__(
            f"decision {decision_id!r} was built on partitions that failed data-quality checks "
            f"({', '.join(failed_partitions) or 'unknown'}); approve with override_dq to act anyway",
            decision_id=decision_id,
            failed_partitions=list(failed_partitions),
        )
        self.decision_id = decision_id


class NotAllowedToApprove(LoopError, PermissionDenied):
    code = "not_allowed_to_approve"

    def __init__(self, decision_id: str, user: str, roles: Sequence[str]) -> None:
        super().__init__(
            f"{user!r} may not approve decision {decision_id!r}: it needs one of the roles {sorted(roles)}",
            decision_id=decision_id,
            user=user,
            roles=sorted(roles),
        )


class InvalidPolicy(LoopError, InvalidInput):
    code = "invalid_approval_policy"
