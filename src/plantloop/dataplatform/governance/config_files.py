"""Reading governance configs: a YAML file (or a dict) validated by a Pydantic model.

Every problem becomes one :class:`GovernanceConfigError` naming the file, the path inside the document and
the reason, so a data engineer can fix a mapping without reading code. Configs shipped with the package live
in ``plantloop/dataplatform/config/``; :func:`shipped_config` finds them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from plantloop.dataplatform.governance.errors import GovernanceConfigError

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"

M = TypeVar("M", bound=BaseModel)
#: libyaml's safe loader when PyYAML was built with it (several times faster), else the pure-Python one.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def shipped_config(*parts: str) -> Path:
    """Path of a config shipped with the package, e.g. ``shipped_config("dictionary", "legacy_mes.yaml")``."""
    return CONFIG_DIR.joinpath(*parts)


def read_yaml(path: Path | str) -> dict[str, Any]:
    """The top-level mapping of a YAML file, or a :class:`GovernanceConfigError` saying why not."""
    path = Path(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except FileNotFoundError:
        raise GovernanceConfigError(path, [("", "file not found")]) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise GovernanceConfigError(path, [("", f"not valid YAML: {exc}")]) from None
    if not isinstance(raw, dict):
        raise GovernanceConfigError(path, [("", "top level must be a mapping")])
    return raw


def validate_config(model: type[M], raw: dict[str, Any], origin: Path | str = "<document>") -> M:
    """Validate ``raw`` as ``model``; ``origin`` names the file in the error."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems: list[tuple[str, str]] = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "(document)"
            problems.append((loc, err["msg"].removeprefix("Value error, ")))
        raise GovernanceConfigError(origin, problems) from None


def load_config(model: type[M], path: Path | str) -> M:
    """Read and validate one YAML config file."""
    return validate_config(model, read_yaml(path), path)
