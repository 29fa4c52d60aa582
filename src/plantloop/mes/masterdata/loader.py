"""Load a plant definition from YAML, turning every problem into one error naming file, path and reason."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from plantloop.kernel.errors import InvalidInput
from plantloop.mes.masterdata.schema import PlantDefinition

REFERENCE_PLANT = Path(__file__).resolve().parent.parent.parent / "plants" / "reference.yaml"


class PlantFileError(InvalidInput):
    """The plant file cannot be read or does not validate. ``problems`` lists (path, reason) pairs."""

    code = "invalid_plant_file"

    def __init__(self, file: Path, problems: list[tuple[str, str]]) -> None:
        lines = "\n".join(f"  {file}: {path}: {reason}" for path, reason in problems)
        super().__init__(f"invalid plant file {file}:\n{lines}", file=str(file), problems=problems)
        self.file = file
        self.problems = problems


def load_plant(path: Path | str) -> PlantDefinition:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlantFileError(path, [("", "file not found")]) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise PlantFileError(path, [("", f"not valid YAML: {exc}")]) from None
    if not isinstance(raw, dict):
        raise PlantFileError(path, [("", "top level must be a mapping")])
    try:
        return PlantDefinition.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "(document)"
            problems.append((loc, err["msg"].removeprefix("Value error, ")))
        raise PlantFileError(path, problems) from None


def load_reference_plant() -> PlantDefinition:
    return load_plant(REFERENCE_PLANT)
