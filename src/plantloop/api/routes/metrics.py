"""Metrics API: the metric registry with definitions, one metric's values, and today's live OEE.

``build_metrics_router`` is a factory: the composition root passes how to get the warehouse (and the
live fold), the auth dependencies (``deps.require``) and the caller's row-level scope (a set of line ids,
or None for all lines); the router never decides access itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.encoders import jsonable_encoder

from plantloop.dataplatform.live.combined import oee_today
from plantloop.dataplatform.live.metrics import LiveMetrics
from plantloop.dataplatform.metrics.query import list_metrics, parse_filter, query_metric
from plantloop.dataplatform.warehouse.warehouse import Warehouse
from plantloop.kernel.errors import NotFound


def _no_scope() -> set[str] | None:
    return None


def build_metrics_router(
    warehouse: Callable[[], Warehouse],
    *,
    live: Callable[[], LiveMetrics | None] | None = None,
    scope: Callable[..., set[str] | None] = _no_scope,
    dependencies: Sequence[Any] = (),
    prefix: str = "/metrics",
) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=["metrics"], dependencies=list(dependencies))
    WarehouseDep = Annotated[Warehouse, Depends(warehouse)]
    ScopeDep = Annotated[set[str] | None, Depends(scope)]

    @router.get("")
    def metric_list() -> list[dict[str, object]]:
        """Every metric with its definition, unit, grain, additive flag, owner and allowed groupings."""
        return list_metrics()

    @router.get("/live/oee")
    def live_oee(wh: WarehouseDep, user_scope: ScopeDep) -> list[dict[str, Any]]:
        """Today's OEE per equipment: materialised shifts plus the running shift folded live."""
        fold = live() if live is not None else None
        if fold is None:
            raise NotFound("the live path is not running", resource="live")
        return list(jsonable_encoder(oee_today(fold, wh, scope=user_scope)))

    @router.get("/{name}")
    def metric_values(
        name: str,
        wh: WarehouseDep,
        user_scope: ScopeDep,
        period: Annotated[
            str, Query(description="shift | day | week | all | YYYY-MM-DD..YYYY-MM-DD")
        ] = "day",
        group_by: Annotated[str, Query(description="comma-separated: line,shift,equipment,product,…")] = "",
        filter: Annotated[str, Query(description="dimension:value pairs, comma-separated")] = "",
    ) -> dict[str, Any]:
        """Values of one metric for a period, grouped and filtered, within the caller's scope."""
        groups = [g.strip() for g in group_by.split(",") if g.strip()]
        result = query_metric(wh, name, period, groups, parse_filter(filter), user_scope, consumer="api")
        return result.to_dict()

    return router
