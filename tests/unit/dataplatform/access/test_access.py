"""Access to governed data: line scope as bound SQL, personal data masked unless allowed, and audited."""

from __future__ import annotations

import duckdb
import pytest

from plantloop.api.security import Principal
from plantloop.dataplatform.access import Masking, mask_person, scope_clause
from plantloop.loop import InMemoryAuditLog

ROWS = [
    {"line_id": "L1", "operator_name": "王小明", "good": 10},
    {"line_id": "L2", "operator_name": "John Smith", "good": 7},
]


def test_a_line_scope_filters_rows_in_duckdb_and_keeps_plant_wide_rows() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('L1', 1), ('L2', 2), (NULL, 3)) v(line_id, n)")
    where, params = scope_clause("line_id", frozenset({"L1"}))
    assert sorted(r[0] for r in con.execute(f"SELECT n FROM t WHERE {where}", params).fetchall()) == [1, 3]
    strict, params = scope_clause("line_id", ["L1"], plant_wide_visible=False)
    assert con.execute(f"SELECT n FROM t WHERE {strict}", params).fetchall() == [(1,)]
    everything, none = scope_clause("line_id", None)
    assert (everything, none) == ("TRUE", [])


def test_a_scope_value_is_bound_not_spliced_into_the_sql() -> None:
    where, params = scope_clause("line_id", ["L1'); DROP TABLE t; --"])
    assert "DROP" not in where and params == [["L1'); DROP TABLE t; --"]]
    with pytest.raises(ValueError):
        scope_clause("line_id; DROP TABLE t", ["L1"])


def test_personal_names_are_masked_for_an_operator_and_clear_but_audited_for_a_manager() -> None:
    audit = InMemoryAuditLog()
    masking = Masking(audit)
    operator = Principal("olga", ("operator",))
    manager = Principal("mia", ("manager",))
    masked = masking.rows(operator, [dict(r) for r in ROWS], source="ads_operator_output")
    assert [r["operator_name"] for r in masked] == ["王**", "J*********"]
    assert [r["good"] for r in masked] == [10, 7]
    assert audit.entries() == []
    clear = masking.rows(manager, [dict(r) for r in ROWS], source="ads_operator_output")
    assert clear == ROWS
    [entry] = audit.entries(action="access.read_sensitive")
    assert (entry.actor, entry.target, entry.details["rows"]) == ("mia", "ads_operator_output", 2)


def test_streamed_exports_are_masked_row_by_row() -> None:
    masking = Masking(InMemoryAuditLog())
    rows = masking.tuples(
        Principal("ana", ("analyst",)),
        ["line_id", "operator_name"],
        iter([("L1", "Li Lei")]),
        source="export",
    )
    assert list(rows) == [("L1", "L*****")]
    assert mask_person(None) is None
