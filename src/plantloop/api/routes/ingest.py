"""Collect over HTTP: push a batch of events, read the ledger, review and replay the quarantine.

``build_ingest_router(service)`` returns the router of one
:class:`~plantloop.collect.service.CollectService`; the composition root mounts it:
``create_app(container, extra_routers=[build_ingest_router(service)])``.

    POST /ingest/{source}/{entity}           push events (permission ``ingest``; ``Idempotency-Key`` header)
    GET  /ingest/status                      ledger totals and connector health per source (``read``)
    GET  /ingest/quarantine                  list, filter by source / status / reason, page (``govern``)
    GET  /ingest/quarantine/summary          counts by source, reason and status (``govern``)
    GET  /ingest/quarantine/{id}             one record with its whole raw text (``govern``)
    POST /ingest/quarantine/replay           replay open records after a fix (``govern``)
    POST /ingest/quarantine/discard          close open records with a note (``govern``)

Errors are collect's error classes, mapped to HTTP by ``api/errors.py`` (413 for an oversized body, 409 for
an idempotency key reused with another body, 404 for an unknown entity or record, 422 for a body that is
not UTF-8 / not JSON / not shaped as documented); bad input never answers 500.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from plantloop.api.deps import CurrentUser, require
from plantloop.api.limits import MAX_BIGINT
from plantloop.collect.errors import PayloadTooLarge
from plantloop.collect.quarantine import QuarantineStatus
from plantloop.collect.service import CollectService


class ReplayRequest(BaseModel):
    ids: list[int] | None = Field(default=None, description="Only these records (default: every open one)")
    source: str | None = None
    reason: str | None = None


class DiscardRequest(BaseModel):
    ids: list[int] = Field(min_length=1, max_length=10_000)
    note: str = Field(min_length=1, max_length=2000, description="Why these records never land")


def build_ingest_router(service: CollectService) -> APIRouter:
    router = APIRouter(prefix="/ingest", tags=["ingest"])
    rest, quarantine = service.rest, service.quarantine

    @router.get("/status", dependencies=[require("read")], summary="Ledger totals and connector health")
    def status() -> dict[str, Any]:
        """Per source: offered, landed, quarantined, duplicates, lag; per connector: up, received, error."""
        return service.status().to_dict()

    @router.get("/quarantine/summary", dependencies=[require("govern")], summary="Quarantine counts")
    def quarantine_summary() -> list[dict[str, object]]:
        """How many records per source, reason and status."""
        return [g.to_dict() for g in quarantine.summary()]

    @router.get("/quarantine", dependencies=[require("govern")], summary="Quarantined records")
    def quarantine_list(
        source: str | None = None,
        status: QuarantineStatus | None = QuarantineStatus.OPEN,
        reason: str | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0, le=MAX_BIGINT)] = 0,
    ) -> dict[str, Any]:
        """A page of records (oldest first) with their reason, message and a raw preview."""
        records = quarantine.list(source=source, status=status, reason=reason, limit=limit, offset=offset)
        total = quarantine.count(source=source, status=status, reason=reason)
        return {"total": total, "items": [r.to_dict() for r in records]}

    @router.get("/quarantine/{quarantine_id}", dependencies=[require("govern")], summary="One record")
    def quarantine_get(quarantine_id: int) -> dict[str, object]:
        """The record with its whole raw text."""
        return quarantine.get(quarantine_id).to_dict()

    @router.post("/quarantine/replay", dependencies=[require("govern")], summary="Replay after a fix")
    def quarantine_replay(request: Annotated[ReplayRequest, Body()]) -> dict[str, Any]:
        """Re-validate open records; what passes lands, the rest stays with its new reason."""
        return quarantine.replay(ids=request.ids, source=request.source, reason=request.reason).to_dict()

    @router.post(
        "/quarantine/discard", dependencies=[require("govern")], summary="Close records that never land"
    )
    def quarantine_discard(request: Annotated[DiscardRequest, Body()], user: CurrentUser) -> dict[str, int]:
        """Discard open records with a note; the reviewer is the caller."""
        return {"discarded": quarantine.discard(request.ids, note=request.note, reviewer=user.username)}

    @router.post("/{source}/{entity}", dependencies=[require("ingest")], summary="Push a batch of events")
    async def push(
        source: str,
        entity: str,
        request: Request,
        idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
    ) -> JSONResponse:
        """Validate and land a batch; single bad events are quarantined and listed in ``rejected``."""
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > rest.max_body_bytes:
            raise PayloadTooLarge(f"body exceeds {rest.max_body_bytes} bytes", reason="oversized")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > rest.max_body_bytes:
                raise PayloadTooLarge(f"body exceeds {rest.max_body_bytes} bytes", reason="oversized")
        response, replayed = await run_in_threadpool(rest.push, source, entity, bytes(body), idempotency_key)
        headers = {"Idempotent-Replayed": "true"} if replayed else {}
        return JSONResponse(status_code=200, content=response, headers=headers)

    return router
