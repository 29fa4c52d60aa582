"""Catalog API: search tables, one table's entry, its lineage to source fields, what a decision was built on.

``build_catalog_router`` is a factory; the composition root passes the data platform and the auth
dependencies. Mount under ``/api/v1``: ``GET /api/v1/catalog?q=oee``, ``GET /api/v1/catalog/ads_x/lineage``.
"""

from collections.abc import Callable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.encoders import jsonable_encoder

from plantloop.dataplatform.service import DataPlatform
from plantloop.kernel.errors import NotFound


def build_catalog_router(
    platform: Callable[[], DataPlatform], *, dependencies: Sequence[Any] = (), prefix: str = "/catalog"
) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=["catalog"], dependencies=list(dependencies))
    PlatformDep = Annotated[DataPlatform, Depends(platform)]

    @router.get("")
    def search(
        dp: PlatformDep, q: Annotated[str, Query(description="words to find (all must match)")] = ""
    ) -> list[dict[str, Any]]:
        """Tables whose name, description, owner, layer or columns match every word of ``q``."""
        return [e.to_dict() for e in dp.catalog.search(q or None)]

    @router.get("/decisions/{decision_id}")
    def decision(decision_id: str, dp: PlatformDep) -> list[dict[str, Any]]:
        """The partitions a decision was built on, with their DQ verdict then and now."""
        rows = dp.decision_inputs(decision_id)
        if not rows:
            raise NotFound(f"no lineage recorded for decision {decision_id!r}", decision_id=decision_id)
        return list(jsonable_encoder(rows))

    @router.get("/{table}")
    def table(table: str, dp: PlatformDep) -> dict[str, Any]:
        """One table: description, owner, layer, freshness, DQ status, partitions and columns."""
        return dp.catalog.table(table, consumer="api").to_dict()

    @router.get("/{table}/lineage")
    def lineage(table: str, dp: PlatformDep) -> dict[str, Any]:
        """Upstream tables and, per column, its parent columns and source fields."""
        return dp.catalog.lineage(table)

    return router
