"""Which parser re-reads which quarantined record: the replay table, built for one plant.

Every record in the quarantine names the parser that first read it (``mqtt.uns``, ``rest.event`` …) and
keeps its raw bytes; replay hands them back to that parser — one record at a time for streaming sources,
the whole set at once for the batch sources parsed in SQL — so a fixed contract, master-data entry or
parser decides again exactly as live ingestion would.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from plantloop.collect.batch import CandidateBatch
from plantloop.collect.sql import TableParser
from plantloop.kernel.clock import SystemClock
from plantloop.mes.masterdata.schema import PlantDefinition

#: ``(batch, source, source_key, raw, quarantine_id)``: appends exactly one row (or one reject) to the batch.
ReplayParser = Callable[[CandidateBatch, str, str | None, bytes, int], None]


def replay_parsers(plant: PlantDefinition, *, sparkplug_decoder: Any = None) -> dict[str, ReplayParser]:
    """Per-record parsers by name. ``sparkplug_decoder``: the running collector's, which knows the
    aliases its edge nodes announced (a fresh one knows none)."""
    from plantloop.collect.connectors import jetstream, legacy_db, mes_outbox, opcua, sparkplug, uns

    resolver = uns.UnsResolver(plant)
    paths = dict(plant.equipment_paths)
    clock = SystemClock()

    def mqtt(batch: CandidateBatch, source: str, key: str | None, raw: bytes, qid: int) -> None:
        uns.parse_uns(batch, resolver, source, key or "", raw, clock.now(), qid)

    decoder = sparkplug_decoder or sparkplug.SparkplugDecoder(paths)

    def sparkplug_metric(batch: CandidateBatch, source: str, key: str | None, raw: bytes, qid: int) -> None:
        decoder.parse(batch, source, key or "", raw, clock.now(), qid)

    return {
        uns.PARSER: mqtt,
        sparkplug.PARSER: sparkplug_metric,
        mes_outbox.PARSER: mes_outbox.replay_parser,
        jetstream.PARSER: jetstream.parse_envelope,
        legacy_db.PARSER: legacy_db.parse_legacy_row,
        opcua.PARSER: partial(opcua.parse_opcua_value, equipment_paths=paths),
    }


def table_parsers() -> dict[str, TableParser]:
    """Parsers that read a whole table of records in SQL (batch sources): replay hands them the same
    ``(row_no, source_key, raw, quarantine_id)`` table that live ingestion does."""
    from plantloop.collect.connectors import files, rest

    return {rest.PARSER: rest.parse_events, files.PARSER: files.parse_rows}
