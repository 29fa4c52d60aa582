"""Who must approve what, by configuration.

Each decision kind is either published automatically or waits for a person holding one of the listed roles
(``admin`` may always approve). A YAML file sets it per plant::

    schedule:          {mode: approval, roles: [planner, manager]}
    lot_hold:          {mode: auto}
    maintenance_order: {mode: approval, roles: [maintenance]}

Kinds not named keep the defaults below: schedules and holds are published automatically (they are
reversible and time-critical), releases of held lots and form entries need a person.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from plantloop.loop.decisions import DecisionKind
from plantloop.loop.errors import InvalidPolicy


class ApprovalMode(StrEnum):
    AUTO = "auto"
    APPROVAL = "approval"


class KindRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    mode: ApprovalMode = ApprovalMode.AUTO
    roles: tuple[str, ...] = ()


DEFAULT_RULES: dict[DecisionKind, KindRule] = {
    DecisionKind.SCHEDULE: KindRule(mode=ApprovalMode.AUTO, roles=("planner", "manager")),
    DecisionKind.LOT_HOLD: KindRule(mode=ApprovalMode.AUTO, roles=("quality", "manager")),
    DecisionKind.LOT_RELEASE: KindRule(mode=ApprovalMode.APPROVAL, roles=("quality", "manager")),
    DecisionKind.MAINTENANCE_ORDER: KindRule(mode=ApprovalMode.AUTO, roles=("maintenance", "manager")),
    DecisionKind.NONCONFORMANCE: KindRule(mode=ApprovalMode.AUTO, roles=("quality", "manager")),
    DecisionKind.FORM_ENTRY: KindRule(mode=ApprovalMode.APPROVAL, roles=("manager", "quality")),
}


class ApprovalPolicy:
    def __init__(self, rules: Mapping[DecisionKind, KindRule] | None = None) -> None:
        self.rules: dict[DecisionKind, KindRule] = {**DEFAULT_RULES, **(rules or {})}

    def rule(self, kind: DecisionKind) -> KindRule:
        return self.rules[kind]

    def needs_approval(self, kind: DecisionKind) -> bool:
        return self.rules[kind].mode is ApprovalMode.APPROVAL

    def may_approve(self, kind: DecisionKind, roles: Iterable[str]) -> bool:
        held = set(roles)
        return "admin" in held or bool(held & set(self.rules[kind].roles))

    def with_mode(self, kind: DecisionKind, mode: ApprovalMode) -> ApprovalPolicy:
        """A copy with one kind switched (e.g. the demo requiring approval of schedules)."""
        rule = self.rules[kind].model_copy(update={"mode": mode})
        return ApprovalPolicy({**self.rules, kind: rule})

    @classmethod
    def from_file(cls, path: Path) -> ApprovalPolicy:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise InvalidPolicy(f"{path}: {exc}", path=str(path)) from None
        if not isinstance(raw, dict):
            raise InvalidPolicy(f"{path}: expected a mapping of decision kinds", path=str(path))
        rules: dict[DecisionKind, KindRule] = {}
        for key, value in raw.items():
            try:
                kind = DecisionKind(key)
            except ValueError:
                known = ", ".join(k.value for k in DecisionKind)
                raise InvalidPolicy(f"{path}: {key}: unknown decision kind (known: {known})") from None
            try:
                rules[kind] = KindRule.model_validate(value)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                raise InvalidPolicy(f"{path}: {key}.{where}: {first['msg']}", path=str(path)) from None
        return cls(rules)
