"""Lot routes: receive purchased lots, hold / release, read lots and their genealogy."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query

from plantloop.api.deps import BusDep, CurrentUser, QueriesDep, require
from plantloop.api.limits import MAX_BIGINT
from plantloop.api.schemas.execution import IdsOut
from plantloop.api.schemas.material import (
    GenealogyLinkOut,
    GenealogyOut,
    HoldLotIn,
    LotOut,
    ReceiveLotIn,
    ReleaseLotIn,
)
from plantloop.mes.domain import commands as c
from plantloop.mes.domain.errors import UnknownLot

router = APIRouter(prefix="/lots", tags=["lots"])


@router.get("", dependencies=[require("read")])
def list_lots(
    queries: QueriesDep,
    material_id: str | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
    offset: int = Query(default=0, ge=0, le=MAX_BIGINT),
) -> list[LotOut]:
    """Lots, oldest first, optionally of one material."""
    return [
        LotOut.model_validate(lot)
        for lot in queries.lots(material_id=material_id, limit=limit, offset=offset)
    ]


@router.get("/{lot_id}", dependencies=[require("read")])
def get_lot(lot_id: str, queries: QueriesDep) -> LotOut:
    """One lot with its direct components."""
    lot = queries.lot(lot_id)
    if lot is None:
        raise UnknownLot(lot_id)
    return LotOut.model_validate(lot)


@router.get("/{lot_id}/genealogy", dependencies=[require("read")])
def get_genealogy(
    lot_id: str,
    queries: QueriesDep,
    direction: Literal["backward", "forward"] = "backward",
    max_depth: int = Query(default=20, ge=1, le=100),
) -> GenealogyOut:
    """Trace a lot backward (what went into it) or forward (where it went), recursively."""
    if queries.lot(lot_id) is None:
        raise UnknownLot(lot_id)
    links = queries.genealogy(lot_id, direction, max_depth)
    return GenealogyOut(
        lot_id=lot_id, direction=direction, links=[GenealogyLinkOut.model_validate(link) for link in links]
    )


@router.post("", status_code=201, dependencies=[require("orders")])
def receive_lot(body: ReceiveLotIn, bus: BusDep, user: CurrentUser) -> IdsOut:
    """Receive a purchased material lot from a supplier."""
    bus.handle(c.ReceiveMaterialLot(**body.model_dump(), issued_by=user.username))
    return IdsOut(ids=[body.lot_id])


@router.post("/{lot_id}/hold", dependencies=[require("quality")])
def hold_lot(lot_id: str, body: HoldLotIn, bus: BusDep, user: CurrentUser) -> IdsOut:
    """Put a lot on hold: it cannot be consumed (and its work order does not start work)."""
    bus.handle(c.HoldLot(lot_id=lot_id, reason=body.reason, at=body.at, issued_by=user.username))
    return IdsOut(ids=[lot_id])


@router.post("/{lot_id}/release", dependencies=[require("quality")])
def release_lot(lot_id: str, body: ReleaseLotIn, bus: BusDep, user: CurrentUser) -> IdsOut:
    """Release a held lot."""
    bus.handle(c.ReleaseLot(lot_id=lot_id, reason=body.reason, at=body.at, issued_by=user.username))
    return IdsOut(ids=[lot_id])
