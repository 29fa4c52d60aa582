"""Survivorship: which system's value of each attribute makes it into the golden record.

Per attribute, the rule is *priority* (the most trusted system that offers a value wins; the latest
observation breaks ties) or *recency* (the latest value wins; priority breaks ties). Systems not listed
rank after all listed ones. Pure functions: the crosswalk feeds them the observations.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class SurvivorshipRule(StrEnum):
    PRIORITY = "priority"  # the most trusted system that has a value wins; recency breaks ties
    RECENCY = "recency"  # the latest value wins; priority breaks ties


class SurvivorshipPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    system_priority: dict[str, int] = Field(default_factory=lambda: {"plant": 0, "mes": 1})
    default_rule: SurvivorshipRule = SurvivorshipRule.PRIORITY
    attribute_rules: dict[str, SurvivorshipRule] = {}

    def rank(self, system: str) -> int:
        return self.system_priority.get(system, 1_000)


Observation = tuple[str, dict[str, Any], datetime]  # (system, attributes, observed_at)


def survive(
    policy: SurvivorshipPolicy, observations: list[Observation]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The surviving attributes and, for each, the system it came from."""
    keys = sorted({k for _, attrs, _ in observations for k, v in attrs.items() if v is not None})
    attributes: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key in keys:
        offered = [(sys, attrs[key], at) for sys, attrs, at in observations if attrs.get(key) is not None]
        rule = policy.attribute_rules.get(key, policy.default_rule)
        if rule is SurvivorshipRule.PRIORITY:
            offered.sort(key=lambda o: (policy.rank(o[0]), -o[2].timestamp()))
        else:
            offered.sort(key=lambda o: (-o[2].timestamp(), policy.rank(o[0])))
        attributes[key], sources[key] = offered[0][1], offered[0][0]
    return attributes, sources
