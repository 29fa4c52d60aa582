"""``plantloop collect``: status as JSON, import with a per-row report, quarantine review and replay."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from plantloop.cli.main import app
from plantloop.collect.connectors.rest import RestIngest
from plantloop.collect.landing import Landing
from plantloop.dataplatform.ingest import OdsStore
from plantloop.mes.masterdata import PlantDefinition

EXAMPLES = Path(__file__).resolve().parents[3] / "src" / "plantloop" / "collect" / "examples"
runner = CliRunner()


def _seed(warehouse: Path, plant: PlantDefinition) -> None:
    store = OdsStore(warehouse)
    body = {
        "events": [
            {"type": "LotReceived", "occurred_at": "2026-01-05T06:00:00Z", "key": "L-1"},
            {"type": "LotReceived", "occurred_at": "yesterday", "key": "L-2"},
        ]
    }
    RestIngest(Landing.for_plant(store, plant)).push("erp", "events", json.dumps(body).encode())
    store.close()


def test_status_prints_the_ledger_totals_of_every_source_as_json(
    tmp_path: Path, reference_plant: PlantDefinition
) -> None:
    warehouse = tmp_path / "w.duckdb"
    _seed(warehouse, reference_plant)
    result = runner.invoke(app, ["collect", "status", "--warehouse", str(warehouse), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["rest:erp"] == {
        "offered": 2,
        "landed": 1,
        "quarantined": 1,
        "duplicates": 0,
        "lag_s": doc["rest:erp"]["lag_s"],
        "reconciles": True,
    }
    assert isinstance(doc["rest:erp"]["lag_s"], float)


def test_status_of_a_warehouse_another_process_writes_says_so_instead_of_crashing(
    tmp_path: Path, reference_plant: PlantDefinition
) -> None:
    warehouse = tmp_path / "w.duckdb"
    _seed(warehouse, reference_plant)
    hold = (
        f"import duckdb, time; c = duckdb.connect({str(warehouse)!r}); print(1, flush=True); time.sleep(60)"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", hold],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "1"
        result = runner.invoke(app, ["collect", "status", "--warehouse", str(warehouse), "--json"])
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 1
    assert "open in another process" in result.output and "/api/v1/ingest/status" in result.output


def test_import_reports_each_row_and_quarantine_can_be_listed_shown_discarded_and_replayed(
    tmp_path: Path,
) -> None:
    warehouse = tmp_path / "w.duckdb"
    bad = tmp_path / "orders.csv"
    bad.write_text(
        "order_no,material_id,qty,due_at\nSO-1,P-KET-01,ten,2026-02-01\nSO-2,P-KET-01,5,2026-02-01\n"
    )
    result = runner.invoke(
        app,
        ["collect", "import", str(bad), "--entity", "erp_orders", "--warehouse", str(warehouse), "--json"],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [(r["row_number"], r["outcome"], r["reason"]) for r in report["rows"]] == [
        (2, "quarantined", "wrong_type"),
        (3, "landed", None),
    ]
    listed = runner.invoke(app, ["collect", "quarantine", "list", "--warehouse", str(warehouse), "--json"])
    (record,) = json.loads(listed.stdout)
    shown = runner.invoke(
        app, ["collect", "quarantine", "show", str(record["quarantine_id"]), "--warehouse", str(warehouse)]
    )
    assert json.loads(json.loads(shown.stdout)["raw_text"])["qty"] == "ten"
    replayed = runner.invoke(
        app, ["collect", "quarantine", "replay", "--warehouse", str(warehouse), "--json"]
    )
    assert json.loads(replayed.stdout)["still_open"] == 1  # nothing was fixed: it stays
    discarded = runner.invoke(
        app,
        [
            "collect",
            "quarantine",
            "discard",
            str(record["quarantine_id"]),
            "--note",
            "typo in the ERP export",
            "--reviewer",
            "ann",
            "--warehouse",
            str(warehouse),
        ],
    )
    assert discarded.exit_code == 0 and "discarded 1" in discarded.stdout
    summary = runner.invoke(
        app, ["collect", "quarantine", "summary", "--warehouse", str(warehouse), "--json"]
    )
    assert [(g["reason"], g["status"], g["count"]) for g in json.loads(summary.stdout)] == [
        ("wrong_type", "discarded", 1)
    ]


def test_the_example_files_import_without_a_single_rejected_row(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    for entity in ("erp_orders", "qms_results", "supplier_lots"):
        file = EXAMPLES / f"{entity}.csv"
        result = runner.invoke(
            app, ["collect", "import", str(file), "--entity", entity, "--warehouse", str(warehouse), "--json"]
        )
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["quarantined"] == 0 and report["landed"] == len(report["rows"]) > 0


@pytest.mark.parametrize("endpoint", ["opc.tcp://127.0.0.1:{port}", "not-an-endpoint"])
def test_browsing_an_unreachable_opc_ua_server_is_one_error_line(endpoint: str) -> None:
    from tests.servers import free_port

    target = endpoint.format(port=free_port())  # nothing listens there
    result = runner.invoke(app, ["collect", "opcua-browse", target])
    assert result.exit_code == 2 and "cannot browse the OPC UA server" in result.output  # was a traceback
