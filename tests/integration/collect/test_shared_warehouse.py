"""One DuckDB file, many users in one process: the collector keeps landing while the SQLMesh warehouse
builds on the same file (the demo's situation). Neither fails, nothing is lost, the ledger reconciles."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from plantloop.collect.batch import CandidateBatch
from plantloop.collect.connectors.uns import PARSER, UnsResolver, parse_uns
from plantloop.collect.contracts import SourceKind
from plantloop.collect.ledger import source_status
from plantloop.collect.service import CollectService
from plantloop.dataplatform.ingest.schema import create_ods_table, ods_table_ddl
from plantloop.dataplatform.warehouse import Warehouse
from plantloop.kernel.settings import Settings
from plantloop.mes.masterdata import PlantDefinition
from plantloop.sim.transports.mqtt_publisher import uns_topic

#: Yesterday: the warehouse's daily models then have a day or two to build, not a year.
T0 = (datetime.now(UTC) - timedelta(days=1)).replace(hour=6, minute=0, second=0, microsecond=0)


def test_landing_goes_on_while_the_warehouse_builds_on_the_same_file(
    tmp_path: Path, reference_plant: PlantDefinition
) -> None:
    settings = Settings(warehouse_path=tmp_path / "warehouse.duckdb")
    service = CollectService(settings, reference_plant)
    resolver, machines = UnsResolver(reference_plant), list(reference_plant.equipment)
    stop, errors, landed, batches = threading.Event(), [], [0], [0]

    def land_forever() -> None:
        k = 0
        try:
            while not stop.is_set() or batches[0] < 3:
                batch = CandidateBatch(parser=PARSER)
                for _ in range(200):
                    k += 1
                    path = reference_plant.equipment_paths[machines[k % len(machines)]]
                    body = {"ts": (T0 + timedelta(seconds=k)).isoformat(), "value": 20.0 + k % 7, "seq": k}
                    topic = uns_topic(path, "telemetry", "temperature_c")
                    parse_uns(batch, resolver, "mqtt:uns", topic, json.dumps(body).encode(), T0)
                landed[0] += service.landing.land(batch, source="mqtt:uns", kind=SourceKind.MQTT).landed
                batches[0] += 1
        except Exception as exc:  # any DuckDB conflict with the build would end up here
            errors.append(exc)

    lander = threading.Thread(target=land_forever, daemon=True)
    lander.start()
    warehouse = Warehouse(settings.resolved_warehouse_path(), reference_plant)
    try:
        report = warehouse.build()  # SQLMesh on the same file, in the same process, meanwhile
    finally:
        stop.set()
        lander.join(60)
    assert errors == [] and report.models > 10
    built = warehouse.query("SELECT count(*) FROM dw.dwd_telemetry")[0][0]
    assert 0 < built <= landed[0]  # the build read a consistent snapshot of what had landed
    warehouse.close()
    (status,) = source_status(service.store)
    assert status.landed == landed[0] == service.store.query("SELECT count(*) FROM ods_mqtt__telemetry")[0][0]
    assert status.reconciles
    service.stop()


def test_a_table_created_meanwhile_on_another_cursor_is_waited_for_not_fatal(tmp_path: Path) -> None:
    """The race behind the test above, made certain: one cursor holds an uncommitted CREATE of an ODS table;
    a plain CREATE on a second cursor fails with DuckDB's catalog conflict, ``create_ods_table`` retries
    until the first commits and then finds the table."""
    con = duckdb.connect(str(tmp_path / "race.duckdb"))
    winner, loser = con.cursor(), con.cursor()
    winner.execute("BEGIN TRANSACTION")
    winner.execute(ods_table_ddl("ods_mqtt__telemetry"))
    with pytest.raises(duckdb.TransactionException, match="write-write conflict"):
        loser.execute(ods_table_ddl("ods_mqtt__telemetry"))
    threading.Timer(0.1, lambda: winner.execute("COMMIT")).start()
    create_ods_table(loser, "ods_mqtt__telemetry")
    assert loser.execute("SELECT count(*) FROM ods_mqtt__telemetry").fetchone() == (0,)
    con.close()
