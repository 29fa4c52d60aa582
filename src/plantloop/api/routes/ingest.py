"""REST push into the ODS: ``POST /ingest/{source}/{entity}`` with an ``Idempotency-Key`` header.

A factory returns the router, so the composition root decides which :class:`RestIngest` it talks to
(``create_app(container, extra_routers=[ingest_router(rest)])``). Every refusal is a 4xx with a reason code;
the route never answers 500 for bad input.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from plantloop.collect.connectors.rest import RestIngest
from plantloop.collect.errors import IdempotencyKeyReused, InvalidSourceInput, PayloadTooLarge, UnknownEntity
from plantloop.collect.ledger import source_status


def _error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": code, "message": message, **extra})


def ingest_router(rest: RestIngest) -> APIRouter:
    router = APIRouter(prefix="/ingest", tags=["ingest"])

    @router.post("/{source}/{entity}", summary="Push a batch of events from an external system")
    async def push(
        source: str,
        entity: str,
        request: Request,
        idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
    ) -> JSONResponse:
        """Validate and land a batch; single bad events are quarantined and listed in ``rejected``."""
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > rest.max_body_bytes:
            return _error(
                413, "payload_too_large", f"body exceeds {rest.max_body_bytes} bytes", reason="oversized"
            )
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > rest.max_body_bytes:
                return _error(
                    413, "payload_too_large", f"body exceeds {rest.max_body_bytes} bytes", reason="oversized"
                )
        try:
            response, replayed = await run_in_threadpool(
                rest.push, source, entity, bytes(body), idempotency_key
            )
        except PayloadTooLarge as exc:
            return _error(413, exc.code, exc.message, **exc.details)
        except UnknownEntity as exc:
            return _error(404, exc.code, exc.message, reason="unknown_contract")
        except IdempotencyKeyReused as exc:
            return _error(409, exc.code, exc.message, reason="idempotency_key_reused")
        except InvalidSourceInput as exc:
            return _error(400, exc.code, exc.message, **exc.details)
        headers = {"Idempotent-Replayed": "true"} if replayed else {}
        return JSONResponse(status_code=200, content=response, headers=headers)

    @router.get("/status", summary="Ledger totals per source")
    def status() -> list[dict[str, Any]]:
        """Per source: offered, landed, quarantined, duplicates and lag."""
        return [s.to_dict() for s in source_status(rest.landing.store)]

    return router
