"""The same warehouse models on Apache Spark: each SQLMesh model is rendered for a date range, transpiled
by sqlglot to the Spark dialect and run with ``spark.sql`` over temporary views.

Table references are reduced to bare names (``dw.dws_line_day`` → view ``dws_line_day``), so that the
ODS tables, the DIM seeds and every model's result live side by side as temp views. This is the
scale-out column of the architecture; :func:`compare_frames` is what the conformance test asserts on.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlglot import exp

from plantloop.dataplatform.governance.sql_text import ident
from plantloop.dataplatform.governance.table_state import table_columns
from plantloop.dataplatform.warehouse.layers import bare_name
from plantloop.dataplatform.warehouse.warehouse import Warehouse


def spark_session(app_name: str = "plantloop-warehouse") -> Any:
    """A small local Spark: 2 cores, 1 shuffle partition (test-sized data), no UI, UTC session time zone."""
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master("local[2]")
        .appName(app_name)
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "2")
        # test-sized data: adaptive re-planning adds stages (and seconds) without saving any
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )


def _strip_qualifiers(node: exp.Expression) -> Any:
    if isinstance(node, exp.Table):
        return (
            exp.to_table(bare_name(node.name)).as_(node.alias_or_name)
            if node.alias
            else exp.to_table(bare_name(node.name))
        )
    return node


def render_spark_sql(wh: Warehouse, model_name: str, start: date, end: date) -> str:
    """The model's query for [start, end] (days, inclusive) in Spark SQL, over bare view names."""
    model = wh.context().get_model(f"dw.{bare_name(model_name)}")
    query = model.render_query_or_raise(start=start.isoformat(), end=end.isoformat())
    return str(query.transform(_strip_qualifiers).sql(dialect="spark"))


@dataclass
class SparkRun:
    models: list[str]
    sql: dict[str, str]


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, date | bool | int | float | str):
        return value
    if isinstance(value, list | tuple) or hasattr(value, "tolist"):
        return [_plain(v) for v in list(value)]
    return str(value)


def _to_spark(spark: Any, df: pd.DataFrame, name: str, schema: str) -> None:
    """Register ``df`` as temp view ``name``; ``schema`` (a Spark DDL string) types it, empty or not."""
    frame = df.copy()
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = frame[col].map(_plain)
    if frame.empty:
        spark.createDataFrame([], schema).createOrReplaceTempView(name)
    else:
        spark.createDataFrame(frame, schema).createOrReplaceTempView(name)


def _spark_ddl(con_columns: dict[str, str]) -> str:
    return ", ".join(f"`{c}` {_spark_type(t)}" for c, t in con_columns.items())


def _load_table(spark: Any, wh: Warehouse, relation: str, name: str) -> None:
    """A DuckDB table or view as a Spark temp view of the same columns (UUID and JSON as text)."""
    with wh.connect() as con:
        columns = table_columns(con, relation)
    select = ", ".join(
        f"CAST({ident(c)} AS VARCHAR) AS {ident(c)}" if t.upper() in ("UUID", "JSON") else ident(c)
        for c, t in columns.items()
    )
    df = wh.query_df(f"SELECT {select} FROM {relation}")
    _to_spark(spark, df, name, _spark_ddl(columns))


def run_models_on_spark(spark: Any, wh: Warehouse, start: date, end: date) -> SparkRun:
    """Load every table SQLMesh does not build (ODS, governed STG, crosswalk) and the DIM seeds from the
    warehouse's DuckDB file into Spark, then run every other model in dependency order; each result is
    cached as a temp view of its bare name."""
    ctx = wh.context()
    ran: list[str] = []
    sql: dict[str, str] = {}
    for fqn in ctx.dag:
        model = ctx.get_model(fqn)
        name = bare_name(fqn)
        if model is None or model.kind.is_external:
            _load_table(spark, wh, f"main.{name}", name)
            continue
        if model.kind.is_embedded:
            continue
        if model.kind.is_seed:
            _load_table(spark, wh, f"dw.{name}", name)
            continue
        sql[name] = render_spark_sql(wh, name, start, end)
        frame = spark.sql(sql[name]).cache()
        frame.count()
        frame.createOrReplaceTempView(name)
        ran.append(name)
    return SparkRun(models=ran, sql=sql)


def _spark_type(duckdb_type: str) -> str:
    """The Spark SQL type of a DuckDB column type."""
    kind = duckdb_type.upper()
    if kind.endswith("[]"):
        return f"array<{_spark_type(kind[:-2])}>"
    if kind.startswith("TIMESTAMP"):
        return "timestamp"
    if kind == "DATE":
        return "date"
    if kind in ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER"):
        return "bigint"
    if kind in ("DOUBLE", "FLOAT", "REAL") or kind.startswith("DECIMAL"):
        return "double"
    if kind == "BOOLEAN":
        return "boolean"
    return "string"


@dataclass
class Mismatch:
    model: str
    detail: str


def _normalise(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            series = out[col]
            if getattr(series.dt, "tz", None) is not None:
                series = series.dt.tz_convert("UTC").dt.tz_localize(None)
            text = series.astype("datetime64[us]").astype(str)
            out[col] = text.where(series.notna(), None)  # NaT is a missing value, like None
        elif out[col].dtype == object:
            out[col] = out[col].map(lambda v: None if _missing(v) else str(v))
    return out


def compare_frames(
    model: str, left: pd.DataFrame, right: pd.DataFrame, keys: Iterable[str], *, tolerance: float = 1e-9
) -> list[Mismatch]:
    """Row counts equal and every value equal (numbers within ``tolerance``, relative above 1)."""
    if len(left) != len(right):
        return [Mismatch(model, f"row count {len(left)} != {len(right)}")]
    if set(left.columns) != set(right.columns):
        return [Mismatch(model, f"columns differ: {sorted(set(left.columns) ^ set(right.columns))}")]
    cols = list(left.columns)
    order = [k for k in keys if k in cols] + [c for c in cols if c not in keys]
    a = _normalise(left[cols]).sort_values(order, na_position="first").reset_index(drop=True)
    b = _normalise(right[cols]).sort_values(order, na_position="first").reset_index(drop=True)
    problems: list[Mismatch] = []
    for col in cols:
        for i, (x, y) in enumerate(zip(a[col], b[col], strict=True)):
            if _same(x, y, tolerance):
                continue
            problems.append(Mismatch(model, f"{col} row {i}: {x!r} != {y!r}"))
            break
    return problems


def _same(x: Any, y: Any, tolerance: float) -> bool:
    x_missing, y_missing = _missing(x), _missing(y)
    if x_missing or y_missing:
        return x_missing and y_missing
    if isinstance(x, bool | str) or isinstance(y, bool | str):
        return str(x).lower() == str(y).lower()
    try:
        fx, fy = float(x), float(y)
    except (TypeError, ValueError):
        return str(x) == str(y)
    return abs(fx - fy) <= tolerance * max(1.0, abs(fx), abs(fy))


def _missing(value: Any) -> bool:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
