"""Master data, ISA-95 aligned: the plant definition (equipment hierarchy, materials, BOMs, routings,
personnel, skills, shift calendars), its validation and its loading from YAML."""

from plantloop.mes.masterdata.loader import PlantFileError, load_plant, load_reference_plant
from plantloop.mes.masterdata.schema import PlantDefinition

__all__ = ["PlantDefinition", "PlantFileError", "load_plant", "load_reference_plant"]
