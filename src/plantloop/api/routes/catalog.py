"""Catalog API: search tables, one table's entry, its lineage to source fields, a decision's inputs.

``build_catalog_router`` is a factory; the composition root passes the catalog and auth dependencies.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.encoders import jsonable_encoder

from plantloop.dataplatform.catalog.catalog import Catalog
from plantloop.dataplatform.catalog.decisions import decision_inputs
from plantloop.kernel.errors import NotFound


def build_catalog_router(
    catalog: Callable[[], Catalog], *, dependencies: Sequence[Any] = (), prefix: str = "/catalog"
) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=["catalog"], dependencies=list(dependencies))
    CatalogDep = Annotated[Catalog, Depends(catalog)]

    @router.get("")
    def search(
        cat: CatalogDep, q: Annotated[str, Query(description="text to find")] = ""
    ) -> list[dict[str, Any]]:
        """Tables whose name, description, owner or columns match ``q`` (all tables without it)."""
        return [e.to_dict() for e in cat.search(q or None)]

    @router.get("/decisions/{decision_id}")
    def decision(decision_id: str, cat: CatalogDep) -> list[dict[str, Any]]:
        """The partitions a decision was built on, with their DQ status."""
        with cat.wh.connect() as con:
            rows = decision_inputs(con, decision_id)
        if not rows:
            raise NotFound(f"no lineage recorded for decision {decision_id!r}", decision_id=decision_id)
        return list(jsonable_encoder(rows))

    @router.get("/{table}")
    def table(table: str, cat: CatalogDep) -> dict[str, Any]:
        """One table: description, owner, layer, freshness, DQ status and columns."""
        return cat.table(table, consumer="api").to_dict()

    @router.get("/{table}/lineage")
    def lineage(table: str, cat: CatalogDep) -> dict[str, Any]:
        """Upstream tables and, per column, its parent columns and ODS source fields."""
        return cat.lineage(table)

    return router
