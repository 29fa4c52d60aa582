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

from plantloop.dataplatform.warehouse.layers import bare_name
from plantloop.dataplatform.warehouse.project import ODS_SOURCES
from plantloop.dataplatform.warehouse.warehouse import Warehouse


def spark_session(app_name: str = "plantloop-warehouse") -> Any:
    """A small local Spark: 2 cores, 2 shuffle partitions, no UI, UTC session time zone."""
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master("local[2]")
        .appName(app_name)
        .config("spark.sql.shuffle.partitions", "2")
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


def _to_spark(spark: Any, df: pd.DataFrame, name: str) -> None:
    frame = df.copy()
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = frame[col].map(
                lambda v: None if v is None else (v if isinstance(v, date) else str(v))
            )
    spark.createDataFrame(frame).createOrReplaceTempView(name)


def run_models_on_spark(spark: Any, wh: Warehouse, start: date, end: date) -> SparkRun:
    """Load ODS tables and DIM seeds from the warehouse's DuckDB file into Spark, then run every
    non-seed model in dependency order; each result is cached as a temp view of its bare name."""
    ctx = wh.context()
    for table in ODS_SOURCES:
        df = wh.query_df(f"SELECT * REPLACE (CAST(event_id AS VARCHAR) AS event_id, "
                         f"CAST(payload AS VARCHAR) AS payload) FROM main.{table}")  # fmt: skip
        if df.empty:
            schema = ", ".join(f"{c} {_spark_type(str(t))}" for c, t in df.dtypes.items())
            spark.createDataFrame([], schema).createOrReplaceTempView(table)
        else:
            _to_spark(spark, df, table)
    ran: list[str] = []
    sql: dict[str, str] = {}
    for fqn in ctx.dag:
        model = ctx.get_model(fqn)
        if model is None or model.kind.is_external or model.kind.is_embedded:
            continue
        name = bare_name(fqn)
        if model.kind.is_seed:
            _to_spark(spark, wh.query_df(f"SELECT * FROM dw.{name}"), name)
            continue
        sql[name] = render_spark_sql(wh, name, start, end)
        frame = spark.sql(sql[name]).cache()
        frame.count()
        frame.createOrReplaceTempView(name)
        ran.append(name)
    return SparkRun(models=ran, sql=sql)


def _spark_type(dtype: str) -> str:
    if dtype.startswith("datetime64"):
        return "timestamp"
    if dtype.startswith("int"):
        return "bigint"
    if dtype.startswith("float"):
        return "double"
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
            out[col] = series.astype("datetime64[us]").astype(str)
        elif out[col].dtype == object:
            out[col] = out[col].map(
                lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
            )
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
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
