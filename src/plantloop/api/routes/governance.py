"""Governance API: the steward queue (review and resolve codes the crosswalk could not match), crosswalk
look-ups with their version history, DQ results per table and partition, verdicts, and cleaning counts.

``build_governance_router`` is a factory. The composition root passes the data platform, the read
dependencies (e.g. ``[deps.require("read")]``), the write dependencies for stewardship (e.g.
``[deps.require("govern")]``) and ``actor``, a dependency returning the acting user's name (e.g.
``lambda user=deps.CurrentUser: user.username``) — it is written to the audit trail. Mount under ``/api/v1``.
A steward's decision reaches the warehouse at the next build, which restates the days it touches.
"""

from collections.abc import Callable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, ConfigDict, Field

from plantloop.dataplatform.governance.cleaning import CLEANING_LOG_DDL
from plantloop.dataplatform.governance.crosswalk_store import MasterEntity, StewardStatus
from plantloop.dataplatform.governance.dq_report import dq_report
from plantloop.dataplatform.service import DataPlatform
from plantloop.kernel.errors import NotFound


class MapCode(BaseModel):
    model_config = ConfigDict(extra="forbid")
    canonical_id: str = Field(min_length=1, max_length=64)
    note: str | None = Field(default=None, max_length=500)


class CreateEntity(MapCode):
    attributes: dict[str, str | int | float | bool | None] = Field(default_factory=dict)


class Reject(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(min_length=1, max_length=500, description="Why the code is not master data.")


def _api_actor() -> str:
    return "api"


def build_governance_router(
    platform: Callable[[], DataPlatform],
    *,
    dependencies: Sequence[Any] = (),
    write_dependencies: Sequence[Any] = (),
    actor: Callable[..., str] = _api_actor,
    prefix: str = "/governance",
) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=["governance"], dependencies=list(dependencies))
    PlatformDep = Annotated[DataPlatform, Depends(platform)]
    ActorDep = Annotated[str, Depends(actor)]
    writes = list(write_dependencies)

    @router.get("/steward")
    def steward_items(
        dp: PlatformDep,
        status: Annotated[StewardStatus | None, Query(description="open (default), resolved, rejected")] = (
            StewardStatus.OPEN
        ),
        entity: Annotated[MasterEntity | None, Query()] = None,
    ) -> list[dict[str, Any]]:
        """Codes waiting for (or decided by) a steward, those holding most rows first."""
        with dp.steward_queue() as queue:
            return list(jsonable_encoder(queue.list_items(status, entity)))

    @router.get("/steward/{item_id}")
    def steward_item(item_id: str, dp: PlatformDep) -> dict[str, Any]:
        """One item with its candidates and audit trail."""
        with dp.steward_queue() as queue:
            item = queue.get(item_id)
            trail = queue.audit_trail(item_id)
        return dict(jsonable_encoder({**item.__dict__, "audit": [a.__dict__ for a in trail]}))

    @router.post("/steward/{item_id}/map", dependencies=writes)
    def map_code(item_id: str, body: MapCode, dp: PlatformDep, who: ActorDep) -> dict[str, Any]:
        """The code is an existing entity: map it (a new crosswalk version)."""
        with dp.steward_queue() as queue:
            version = queue.map_to(item_id, body.canonical_id, steward=who, note=body.note)
        return {"item_id": item_id, "canonical_id": body.canonical_id, "crosswalk_version": version}

    @router.post("/steward/{item_id}/create", dependencies=writes)
    def create_entity(item_id: str, body: CreateEntity, dp: PlatformDep, who: ActorDep) -> dict[str, Any]:
        """The code is a new entity: create its golden record and map the code to it."""
        with dp.steward_queue() as queue:
            version = queue.create_entity(
                item_id, body.canonical_id, steward=who, attributes=body.attributes, note=body.note
            )
        return {"item_id": item_id, "canonical_id": body.canonical_id, "crosswalk_version": version}

    @router.post("/steward/{item_id}/reject", dependencies=writes)
    def reject(item_id: str, body: Reject, dp: PlatformDep, who: ActorDep) -> dict[str, Any]:
        """The code is not master data (a typo, a test code); it stays visible as rejected."""
        with dp.steward_queue() as queue:
            queue.reject(item_id, steward=who, note=body.note)
        return {"item_id": item_id, "status": StewardStatus.REJECTED.value}

    @router.get("/crosswalk/{entity}/{system}/{code}")
    def crosswalk(entity: MasterEntity, system: str, code: str, dp: PlatformDep) -> dict[str, Any]:
        """A source code's canonical id now, and every version of its mapping."""
        with dp.steward_queue() as queue:
            history = queue.crosswalk.mapping_history(entity, system, code)
            current = queue.crosswalk.canonical_id(entity, system, code)
        if not history:
            raise NotFound(f"{system} code {code!r} has no {entity.value} mapping", system=system, code=code)
        return dict(jsonable_encoder({"canonical_id": current, "versions": history}))

    @router.get("/dq")
    def dq(
        dp: PlatformDep,
        table: Annotated[str | None, Query(description="one table (bare name)")] = None,
        failed: Annotated[bool, Query(description="only partitions that fail or inherit a failure")] = False,
    ) -> list[dict[str, Any]]:
        """Latest DQ result per table, partition and check, with failures inherited from upstream."""
        with dp.connect() as con:
            return list(jsonable_encoder(dq_report(con, table=table, only_failed=failed)))

    @router.get("/dq/verdict")
    def verdict(
        dp: PlatformDep,
        table: Annotated[str, Query(min_length=1)],
        partition: Annotated[str, Query(min_length=1, description="day=2026-11-27/line=L1 or 2026-11-27/L1")],
    ) -> dict[str, Any]:
        """May one act on this partition? Its own failures and those of everything it was built on."""
        with dp.connect() as con:
            v = dp.gate(con).verdict(table, partition)
        return {
            "table": table,
            "partition": partition,
            "ok": v.ok,
            "checked": v.checked,
            "actionable": v.actionable,
            "reasons": v.reasons(),
            "upstream": list(v.upstream),
        }

    @router.get("/cleaning")
    def cleaning(dp: PlatformDep, table: Annotated[str | None, Query()] = None) -> list[dict[str, Any]]:
        """The last cleaning run of each table: rows in, and rows flagged or removed per rule, with why."""
        with dp.connect() as con:
            con.execute(CLEANING_LOG_DDL)
            where = "WHERE target_table = ? " if table else ""
            cursor = con.execute(
                "SELECT table_name, target_table, rule, kind, action, reason, rows_affected, rows_in, "
                f"logged_at FROM cleaning_log {where}QUALIFY dense_rank() OVER (PARTITION BY target_table "
                "ORDER BY logged_at DESC, run_id DESC) = 1 ORDER BY target_table, rule",
                [table] if table else [],
            )
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]

    return router
