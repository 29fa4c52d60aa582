"""Master data routes (read-only): the plant definition the MES runs on."""

from __future__ import annotations

from fastapi import APIRouter

from plantloop.api.deps import ContainerDep, require
from plantloop.kernel.errors import NotFound
from plantloop.mes.domain.errors import UnknownMaterial
from plantloop.mes.masterdata.schema import (
    Bom,
    DefectCode,
    DowntimeReason,
    Material,
    PlantDefinition,
    Routing,
    WorkCenter,
)

router = APIRouter(prefix="/masterdata", tags=["master data"])


@router.get("/plant", dependencies=[require("read")])
def get_plant(container: ContainerDep) -> PlantDefinition:
    """The whole plant definition (ISA-95 hierarchy, materials, BOMs, routings, calendars, codes)."""
    return container.plant


@router.get("/materials", dependencies=[require("read")])
def list_materials(container: ContainerDep) -> list[Material]:
    """All materials."""
    return container.plant.materials


@router.get("/materials/{material_id}/routing", dependencies=[require("read")])
def get_routing(material_id: str, container: ContainerDep) -> Routing:
    """The routing of a produced material."""
    routing = container.plant.routings_by_material.get(material_id)
    if routing is None:
        raise (
            UnknownMaterial(material_id)
            if material_id not in container.plant.materials_by_id
            else NotFound(f"material {material_id!r} has no routing", material_id=material_id)
        )
    return routing


@router.get("/materials/{material_id}/bom", dependencies=[require("read")])
def get_bom(material_id: str, container: ContainerDep) -> Bom:
    """The bill of materials of a produced material."""
    bom = container.plant.boms_by_material.get(material_id)
    if bom is None:
        raise NotFound(f"material {material_id!r} has no BOM", material_id=material_id)
    return bom


@router.get("/work-centers", dependencies=[require("read")])
def list_work_centers(container: ContainerDep) -> list[WorkCenter]:
    """All work centers with their equipment."""
    return list(container.plant.work_centers.values())


@router.get("/equipment-paths", dependencies=[require("read")])
def list_equipment_paths(container: ContainerDep) -> dict[str, str]:
    """ISA-95 path of every line, work center and piece of equipment."""
    return container.plant.equipment_paths


@router.get("/downtime-reasons", dependencies=[require("read")])
def list_downtime_reasons(container: ContainerDep) -> list[DowntimeReason]:
    """Downtime reason codes."""
    return container.plant.downtime_reasons


@router.get("/defect-codes", dependencies=[require("read")])
def list_defect_codes(container: ContainerDep) -> list[DefectCode]:
    """Defect codes."""
    return container.plant.defect_codes
