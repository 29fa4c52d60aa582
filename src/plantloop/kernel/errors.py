"""The root of every plantloop error.

Each context has one base class deriving from :class:`PlantloopError` and draws its own tree in its
module docstring::

    PlantloopError
     ├── NotFound                 an id that does not exist (API: 404)
     ├── InvalidInput             input that fails validation (API: 422)
     ├── Conflict                 a state transition that is not allowed now (API: 409)
     ├── PermissionDenied         authenticated but not allowed (API: 403)
     └── (context bases: MesError, CollectError, …, which also mix in one of the above)

``api/errors.py`` maps these classes to HTTP status codes in one place. Errors carry the ids they are
about as attributes, so logs and API bodies can name them.
"""

from __future__ import annotations

from typing import Any


class PlantloopError(Exception):
    """Base of all plantloop errors. ``code`` is a stable, machine-readable name."""

    code: str = "plantloop_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details

    def to_dict(self) -> dict[str, Any]:
        return {
            "error": self.code,
            "message": self.message,
            **{k: _jsonable(v) for k, v in self.details.items()},
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


class NotFound(PlantloopError):
    code = "not_found"


class InvalidInput(PlantloopError):
    code = "invalid_input"


class Conflict(PlantloopError):
    code = "conflict"


class PermissionDenied(PlantloopError):
    code = "permission_denied"


class Unauthenticated(PlantloopError):
    code = "unauthenticated"
