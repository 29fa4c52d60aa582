"""Errors to HTTP, in one place. Every error body is JSON ``{"error": code, "message": text, ...ids}``.

NotFound → 404   InvalidInput → 422   Conflict → 409   PermissionDenied → 403   Unauthenticated → 401
request validation (bad fields, malformed JSON) → 422   other HTTP errors keep their status
anything else → 500 (a bug; logged)
"""

from __future__ import annotations

import logging

import duckdb
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from plantloop.kernel.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PlantloopError,
    Unauthenticated,
)

log = logging.getLogger(__name__)

STATUS: list[tuple[type[PlantloopError], int]] = [
    (NotFound, 404),
    (InvalidInput, 422),
    (Conflict, 409),
    (PermissionDenied, 403),
    (Unauthenticated, 401),
]


def status_of(exc: PlantloopError) -> int:
    specific = getattr(exc, "http_status", None)  # a subclass may name a more precise status (413 …)
    if isinstance(specific, int):
        return specific
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 400


def _validation_message(errors: list[dict[str, object]]) -> str:
    parts = []
    for err in errors[:5]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body")  # type: ignore[attr-defined]
        parts.append(f"{loc or 'body'}: {err.get('msg')}")
    more = f"; and {len(errors) - 5} more" if len(errors) > 5 else ""
    return "; ".join(parts) + more if parts else "invalid request"


#: at most this many of a request's validation errors are listed in ``details`` (``error_count`` has all):
#: a bulk body of 100,000 bad samples answers with a short error, not one of tens of megabytes
MAX_DETAILS = 100


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(PlantloopError)
    async def _plantloop(_: Request, exc: PlantloopError) -> JSONResponse:
        status = status_of(exc)
        headers = {"WWW-Authenticate": 'Basic realm="plantloop", Bearer'} if status == 401 else None
        return JSONResponse(exc.to_dict(), status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _request_validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [dict(e) for e in exc.errors()]
        malformed = any(e.get("type") == "json_invalid" for e in errors)
        body = {
            "error": "malformed_json" if malformed else "invalid_input",
            "message": _validation_message(errors),
            "details": [
                {
                    "loc": [str(p) for p in e.get("loc", ())],
                    "msg": str(e.get("msg")),
                    "type": str(e.get("type")),
                }
                for e in errors[:MAX_DETAILS]
            ],
            "error_count": len(errors),
        }
        return JSONResponse(body, status_code=422)

    @app.exception_handler(ValidationError)
    async def _model_validation(_: Request, exc: ValidationError) -> JSONResponse:
        errors = [dict(e) for e in exc.errors()]
        return JSONResponse(
            {"error": "invalid_input", "message": _validation_message(errors)}, status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"error": "http_error", "message": str(exc.detail)},
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(duckdb.CatalogException)
    async def _not_built(_: Request, exc: duckdb.CatalogException) -> JSONResponse:
        # a warehouse table that does not exist yet: the first build has not finished (or not run)
        detail = str(exc).splitlines()[0][:300]
        return JSONResponse(
            {"error": "not_built", "message": f"the data platform has not built this yet: {detail}"},
            status_code=404,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse({"error": "internal_error", "message": "internal error"}, status_code=500)
