"""Which parser re-reads which quarantined record: the replay table, built for one plant."""

from __future__ import annotations

from functools import partial

from plantloop.collect.batch import CandidateBatch
from plantloop.collect.connectors import files, legacy_db, mes_outbox, opcua, rest, uns
from plantloop.collect.quarantine import ReplayParser
from plantloop.kernel.clock import SystemClock
from plantloop.mes.masterdata.schema import PlantDefinition


def replay_parsers(plant: PlantDefinition) -> dict[str, ReplayParser]:
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
