"""The ODS landing in DuckDB: one transaction per batch lands rows, quarantine, ledger and checkpoint."""

from plantloop.dataplatform.ingest.store import LandResult, OdsStore, RowCheck, RowOutcome

__all__ = ["LandResult", "OdsStore", "RowCheck", "RowOutcome"]
