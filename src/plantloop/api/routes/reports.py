"""Report routes: list the reports (localized), run one as paged JSON, export one as a streaming file.

``build_router(get_conn, get_scope)`` is a factory: the app supplies the DuckDB connection and the
current user's row scope (a set of line ids, or ``None`` for everything) as FastAPI dependencies, and
mounts the router (``create_app(extra_routers=[...])``). Report parameters are plain query parameters
(``?date_from=2026-01-01&line=L1``); ``lang``, ``format``, ``offset`` and ``limit`` are the API's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from plantloop.api.limits import MAX_BIGINT
from plantloop.reports.definitions import Lang, ReportDefinition, load_catalog
from plantloop.reports.export import ExportFormat, export_stream, filename_for
from plantloop.reports.query import MAX_PAGE_ROWS, ReportRunner

_API_PARAMS = frozenset({"lang", "format", "offset", "limit"})


class ParameterOut(BaseModel):
    name: str
    type: str
    label: str
    required: bool
    default: Any = None
    allowed: list[Any] | None = None
    has_lookup: bool = False


class ColumnOut(BaseModel):
    key: str
    label: str
    format: str
    decimals: int
    unit: str | None = None


class ReportOut(BaseModel):
    id: str
    title: str
    description: str
    scoped: bool
    parameters: list[ParameterOut]
    columns: list[ColumnOut]


class ReportPageOut(BaseModel):
    report_id: str
    title: str
    generated_at: str
    params: dict[str, Any]
    columns: list[ColumnOut]
    rows: list[dict[str, Any]]
    total: int
    offset: int
    limit: int


def describe(report: ReportDefinition, lang: Lang) -> ReportOut:
    return ReportOut(
        id=report.id,
        title=report.title(lang),
        description=report.description(lang),
        scoped=report.scope_column is not None,
        parameters=[
            ParameterOut(
                name=p.name,
                type=p.type.value,
                label=p.label(lang),
                required=p.required,
                default=p.default,
                allowed=p.allowed,
                has_lookup=p.lookup is not None,
            )
            for p in report.parameters
        ],
        columns=_columns(report, lang),
    )


def _columns(report: ReportDefinition, lang: Lang) -> list[ColumnOut]:
    return [
        ColumnOut(key=c.key, label=c.label(lang), format=c.format.value, decimals=c.decimals, unit=c.unit)
        for c in report.columns
    ]


def _report_params(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items() if k not in _API_PARAMS}


def build_router(
    get_conn: Callable[..., Any],
    get_scope: Callable[..., set[str] | frozenset[str] | None],
    *,
    runner: ReportRunner | None = None,
    require_permission: Callable[[str], Any] | None = None,
) -> APIRouter:
    """The ``/reports`` router. ``require_permission`` defaults to ``plantloop.api.deps.require``."""
    if require_permission is None:
        from plantloop.api.deps import require

        require_permission = require
    runner = runner or ReportRunner(load_catalog())
    catalog = runner.catalog
    router = APIRouter(prefix="/reports", tags=["reports"], dependencies=[require_permission("read")])
    # Parameter defaults, not local Annotated aliases: annotations are strings here (PEP 563) and
    # FastAPI resolves them in the module's globals.
    conn_dep: Any = Depends(get_conn)
    scope_dep: Any = Depends(get_scope)

    @router.get("")
    def list_reports(lang: Lang = Lang.EN) -> list[ReportOut]:
        """The available reports, with parameters and columns, labelled in ``lang`` (en | zh)."""
        return [describe(r, lang) for r in catalog.reports]

    @router.get("/{report_id}/parameters/{name}/values")
    def parameter_values(
        report_id: str, name: str, conn: Any = conn_dep, scope: Any = scope_dep
    ) -> list[Any]:
        """The values a parameter may take for the current user (for drop-downs)."""
        return runner.lookup_values(conn, catalog.get(report_id), name, scope)

    @router.get("/{report_id}/export", dependencies=[require_permission("export")])
    def export_report(
        report_id: str,
        request: Request,
        format: str = "xlsx",
        lang: Lang = Lang.EN,
        conn: Any = conn_dep,
        scope: Any = scope_dep,
    ) -> StreamingResponse:
        """The report as a streaming xlsx, csv or pdf download (parameters as query parameters)."""
        fmt = ExportFormat.parse(format)
        run = runner.run(conn, report_id, _report_params(request), scope)
        return StreamingResponse(
            export_stream(run, fmt, lang),
            media_type=fmt.media_type,
            headers={"Content-Disposition": f'attachment; filename="{filename_for(run, fmt)}"'},
        )

    @router.get("/{report_id}")
    def run_report(
        report_id: str,
        request: Request,
        lang: Lang = Lang.EN,
        offset: int = Query(default=0, ge=0, le=MAX_BIGINT),
        limit: int = Query(default=100, ge=1, le=MAX_PAGE_ROWS),
        conn: Any = conn_dep,
        scope: Any = scope_dep,
    ) -> ReportPageOut:
        """One page of the report's rows as JSON, with the total row count."""
        run, total = runner.page(conn, report_id, _report_params(request), scope, offset=offset, limit=limit)
        rows = [dict(zip(run.column_names, row, strict=True)) for row in run.rows()]
        return ReportPageOut(
            report_id=run.report.id,
            title=run.report.title(lang),
            generated_at=run.generated_at.isoformat(),
            params={k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in run.params.items()},
            columns=_columns(run.report, lang),
            rows=rows,
            total=total,
            offset=offset,
            limit=limit,
        )

    return router
