"""Configuration of the crosswalk: match rules per master entity and the survivorship policy.

```yaml
match:
  equipment: {fuzzy_threshold: 0.9}
  person: {fuzzy_name: false}
survivorship:
  system_priority: {plant: 0, mes: 1, erp: 2, legacy: 3}
  attribute_rules: {lead_time_days: recency}
```
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from plantloop.dataplatform.governance.config_files import load_config
from plantloop.dataplatform.governance.crosswalk_matching import MatchRules
from plantloop.dataplatform.governance.crosswalk_store import MasterEntity
from plantloop.dataplatform.governance.survivorship import SurvivorshipPolicy


class CrosswalkConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    match: dict[MasterEntity, MatchRules] = {}
    survivorship: SurvivorshipPolicy = SurvivorshipPolicy()

    def rules_for(self, entity: MasterEntity) -> MatchRules:
        return self.match.get(entity, MatchRules())


def load_crosswalk_config(path: Path | str) -> CrosswalkConfig:
    return load_config(CrosswalkConfig, path)
