"""Which parser re-reads which quarantined record: the replay table, built for one plant.

Every record in the quarantine names the parser that first read it (``mqtt.uns``, ``rest.event`` …) and
keeps its raw bytes; replay hands both back to that parser, so a fixed contract, master-data entry or
parser decides again exactly as live ingestion would.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from plantloop.collect.batch import CandidateBatch
from plantloop.kernel.clock import SystemClock
from plantloop.mes.masterdata.schema import PlantDefinition

#: ``(batch, source, source_key, raw, quarantine_id)``: appends exactly one row (or one reject) to the batch.
ReplayParser = Callable[[CandidateBatch, str, str | None, bytes, int], None]


def replay_parsers(plant: PlantDefinition) -> dict[str, ReplayParser]:
    from plantloop.collect.connectors import files, legacy_db, mes_outbox, opcua, rest, uns

    resolver = uns.UnsResolver(plant)
    paths = dict(plant.equipment_paths)
    clock = SystemClock()

    def mqtt(batch: CandidateBatch, source: str, key: str | None, raw: bytes, qid: int) -> None:
        uns.parse_uns(batch, resolver, source, key or "", raw, clock.now(), qid)

    def rest_event(batch: CandidateBatch, source: str, key: str | None, raw: bytes, qid: int) -> None:
        entity = (key or "events#").split("#", 1)[0] or "events"
        rest.parse_rest_event(batch, source, key, raw, qid, entity=entity, equipment_paths=paths)

    return {
        uns.PARSER: mqtt,
        mes_outbox.PARSER: mes_outbox.replay_parser,
        rest.PARSER: rest_event,
        files.PARSER: files.parse_row,
        legacy_db.PARSER: legacy_db.parse_legacy_row,
        opcua.PARSER: partial(opcua.parse_opcua_value, equipment_paths=paths),
    }
