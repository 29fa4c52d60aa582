"""Metrics API: the metric registry with definitions, one metric's values (each row with its DQ status),
and today's live OEE.

``build_metrics_router`` is a factory: the composition root passes how to get the data platform (and the
live fold, and the plant's clock: "today" is the plant's today, the twin's in the demo), the auth
dependencies (``deps.require``) and the caller's row-level scope (``deps.user_scope``: a frozenset of line
ids, or None for the whole plant); the router never decides access itself. Mount it
under ``/api/v1``: ``GET /api/v1/metrics/oee?period=week&group_by=line,shift&filter=line:L1``.
"""

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.encoders import jsonable_encoder

from plantloop.dataplatform.live.combined import oee_today
from plantloop.dataplatform.live.metrics import LiveMetrics
from plantloop.dataplatform.metrics.query import list_metrics, parse_filter
from plantloop.dataplatform.service import DataPlatform
from plantloop.kernel.clock import SystemClock
from plantloop.kernel.errors import NotFound


def _no_scope() -> frozenset[str] | None:
    return None


def build_metrics_router(
    platform: Callable[[], DataPlatform],
    *,
    live: Callable[[], LiveMetrics | None] | None = None,
    now: Callable[[], datetime] = SystemClock().now,
    scope: Callable[..., Collection[str] | None] = _no_scope,
    dependencies: Sequence[Any] = (),
    prefix: str = "/metrics",
) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=["metrics"], dependencies=list(dependencies))
    PlatformDep = Annotated[DataPlatform, Depends(platform)]
    ScopeDep = Annotated[Collection[str] | None, Depends(scope)]

    @router.get("")
    def metric_list() -> list[dict[str, object]]:
        """Every metric with its definition, unit, grain, additive flag, owner and allowed groupings."""
        return list_metrics()

    @router.get("/live/oee")
    def live_oee(dp: PlatformDep, user_scope: ScopeDep) -> list[dict[str, Any]]:
        """Today's OEE per machine: materialised shifts plus the running shift folded live."""
        fold = live() if live is not None else None
        if fold is None:
            raise NotFound("the live path is not running", resource="live")
        rows = oee_today(fold, dp.warehouse, now=now(), scope=user_scope)
        return list(jsonable_encoder(rows))

    @router.get("/{name}")
    def metric_values(
        name: str,
        dp: PlatformDep,
        user_scope: ScopeDep,
        period: Annotated[
            str, Query(description="shift | day | week | all | YYYY-MM-DD..YYYY-MM-DD")
        ] = "day",
        group_by: Annotated[str, Query(description="comma-separated: line,shift,day,equipment,product")] = "",
        filter: Annotated[str, Query(description="dimension:value pairs, comma-separated")] = "",
    ) -> dict[str, Any]:
        """Values of one metric for a period, grouped and filtered, within the caller's scope; every row
        says whether a partition it is built on failed a data-quality check (``dq_status``)."""
        groups = [g.strip() for g in group_by.split(",") if g.strip()]
        result = dp.query_metric(name, period, groups, parse_filter(filter), user_scope, consumer="api")
        return result.to_dict()

    return router
