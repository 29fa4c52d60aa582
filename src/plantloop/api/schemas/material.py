"""API schemas for lots and genealogy."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class GenealogyEdgeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    component_lot_id: str
    qty: float
    operation_id: str
    at: datetime


class LotOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    material_id: str
    lot_kind: str
    qty: float
    status: str
    held: bool
    supplier_id: str | None
    supplier_lot_ref: str | None
    work_order_id: str | None
    created_at: datetime | None
    components: list[GenealogyEdgeOut]


class ReceiveLotIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lot_id: str = Field(min_length=1, max_length=64)
    material_id: str
    supplier_id: str
    qty: float = Field(gt=0)
    supplier_lot_ref: str | None = None
    at: datetime | None = None


class HoldLotIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1)
    at: datetime | None = None


class ReleaseLotIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = ""
    at: datetime | None = None


class GenealogyLinkOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    produced_lot_id: str
    component_lot_id: str
    qty: float
    operation_id: str
    at: datetime
    depth: int


class GenealogyOut(BaseModel):
    lot_id: str
    direction: str
    links: list[GenealogyLinkOut]
