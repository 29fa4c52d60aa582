"""The same DWD / DWS / ADS models on Apache Spark (local mode): over the simulated plant's data, every model
gives what DuckDB gave. One Spark session for the module (its start is the slow part)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from plantloop.dataplatform.warehouse.layers import Layer, layer_of
from plantloop.dataplatform.warehouse.spark_engine import (
    SparkRun,
    compare_frames,
    run_models_on_spark,
    spark_session,
)
from tests.integration.dataplatform.conftest import Built


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = spark_session("plantloop-conformance")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def spark_run(spark: Any, built: Built) -> SparkRun:
    wh = built.platform.warehouse
    end = datetime.now(UTC).date() - timedelta(days=1)  # the newest complete day, as the DuckDB build
    return run_models_on_spark(spark, wh, wh.first_day(), end)


def test_every_dwd_dws_and_ads_model_runs_on_spark(spark_run: SparkRun) -> None:
    layers = {layer_of(m) for m in spark_run.models}
    assert layers == {Layer.DWD, Layer.DWS, Layer.ADS}
    assert "dwd_production_report" in spark_run.models and "ads_production_reconciliation" in spark_run.models


def test_spark_gives_the_same_rows_as_duckdb_for_every_model(
    spark: Any, spark_run: SparkRun, built: Built
) -> None:
    wh = built.platform.warehouse
    ctx = wh.context()
    problems = []
    compared = 0
    for name in spark_run.models:
        left = wh.query_df(f"SELECT * FROM dw.{name}")
        right = spark.sql(f"SELECT * FROM {name}").toPandas()
        keys = [g.sql() for g in ctx.get_model(f"dw.{name}").grains]
        problems += compare_frames(name, left, right, keys, tolerance=1e-9)
        compared += len(left)
    assert problems == []
    assert compared > 1000  # the comparison saw real data, not empty tables
