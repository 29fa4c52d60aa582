"""Governance of the data platform: what DWD builds on.

- field dictionary (:mod:`dictionary`, :mod:`dictionary_sql`, :mod:`dictionary_apply`, :mod:`glossary`,
  :mod:`units`): source fields → canonical columns by configuration, with lineage;
- master-data crosswalk (:mod:`crosswalk`, :mod:`crosswalk_matching`, :mod:`survivorship`,
  :mod:`crosswalk_seed`, :mod:`steward_intake`, :mod:`steward`): one canonical id per equipment, material,
  person, supplier;
- cleaning rules (:mod:`cleaning`): flag or remove, with counts and reasons in ``cleaning_log``;
- data quality (:mod:`quality_config`, :mod:`quality`): checks per partition, results with history in
  ``dq_result``; partitions (:mod:`partitions`: schemes, keys, the overlap rule), lineage
  (:mod:`partition_lineage`) and verdicts (:mod:`verdicts`: what the decision layer gates on);
- the governance run (:mod:`pipeline`): dictionary → cleaning → crosswalk → DQ per configured source table.

Everything runs on a DuckDB connection passed in; nothing is created at import time.
"""

from plantloop.dataplatform.governance.cleaning import (
    CleaningConfig,
    CleaningReport,
    apply_cleaning,
    load_cleaning_config,
    parse_cleaning_config,
)
from plantloop.dataplatform.governance.config_files import shipped_config
from plantloop.dataplatform.governance.crosswalk import (
    Crosswalk,
    Resolution,
    ResolutionStatus,
)
from plantloop.dataplatform.governance.crosswalk_config import CrosswalkConfig, load_crosswalk_config
from plantloop.dataplatform.governance.crosswalk_matching import MatchRules
from plantloop.dataplatform.governance.crosswalk_seed import seed_from_plant
from plantloop.dataplatform.governance.crosswalk_store import (
    MasterEntity,
    current_mapping_sql,
    reference_codes_sql,
)
from plantloop.dataplatform.governance.dictionary import (
    SourceDictionary,
    load_dictionary,
    load_shipped_dictionary,
    parse_dictionary,
)
from plantloop.dataplatform.governance.dictionary_apply import ApplyReport, apply_dictionary
from plantloop.dataplatform.governance.dictionary_sql import FieldLineage, compile_table
from plantloop.dataplatform.governance.errors import (
    CodeMappingError,
    GovernanceConfigError,
    GovernanceError,
    MissingSourceFieldError,
)
from plantloop.dataplatform.governance.glossary import Glossary, load_glossary
from plantloop.dataplatform.governance.partition_lineage import (
    LineageEdge,
    PartitionRef,
    propagate,
    record_partition_lineage,
)
from plantloop.dataplatform.governance.partitions import (
    PartitionConfig,
    PlantDay,
    format_key,
    load_partition_config,
    parse_key,
    plant_day,
)
from plantloop.dataplatform.governance.pipeline import Governance, govern, load_governance
from plantloop.dataplatform.governance.quality import (
    QualityReport,
    evaluate_quality,
    partition_key,
)
from plantloop.dataplatform.governance.quality_config import (
    QualityConfig,
    load_quality_config,
    parse_quality_config,
)
from plantloop.dataplatform.governance.steward import StewardQueue
from plantloop.dataplatform.governance.survivorship import SurvivorshipPolicy
from plantloop.dataplatform.governance.verdicts import (
    Gate,
    Verdict,
    dq_verdict,
    mark_downstream,
    partition_verdict,
    record_table_lineage,
)

__all__ = [
    "ApplyReport",
    "CleaningConfig",
    "CleaningReport",
    "CodeMappingError",
    "Crosswalk",
    "CrosswalkConfig",
    "FieldLineage",
    "Gate",
    "Glossary",
    "Governance",
    "GovernanceConfigError",
    "GovernanceError",
    "LineageEdge",
    "MasterEntity",
    "MatchRules",
    "MissingSourceFieldError",
    "PartitionConfig",
    "PartitionRef",
    "PlantDay",
    "QualityConfig",
    "QualityReport",
    "Resolution",
    "ResolutionStatus",
    "SourceDictionary",
    "StewardQueue",
    "SurvivorshipPolicy",
    "Verdict",
    "apply_cleaning",
    "apply_dictionary",
    "compile_table",
    "current_mapping_sql",
    "dq_verdict",
    "evaluate_quality",
    "format_key",
    "govern",
    "load_cleaning_config",
    "load_crosswalk_config",
    "load_dictionary",
    "load_glossary",
    "load_governance",
    "load_partition_config",
    "load_quality_config",
    "load_shipped_dictionary",
    "mark_downstream",
    "parse_cleaning_config",
    "parse_dictionary",
    "parse_key",
    "parse_quality_config",
    "partition_key",
    "partition_verdict",
    "plant_day",
    "propagate",
    "record_partition_lineage",
    "record_table_lineage",
    "reference_codes_sql",
    "seed_from_plant",
    "shipped_config",
]
