"""Deterministic identifiers.

An event id is derived from the source's own keys (source id, entity, sequence or timestamp …), so the
same fact offered twice gets the same id and can be dropped as a duplicate anywhere downstream.
"""

from __future__ import annotations

import uuid
from datetime import datetime

#: Namespace for every plantloop UUIDv5; never change it (ids already stored depend on it).
PLANTLOOP_NAMESPACE = uuid.UUID("6f3c8e4e-2b8a-5d6e-9a51-0c1d7e9b4a10")


def _part(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def deterministic_id(*parts: object) -> str:
    """A UUIDv5 string from ``parts`` (joined with a separator that cannot occur in them unescaped)."""
    key = "\x1f".join(_part(p).replace("\x1f", "\\x1f") for p in parts)
    return str(uuid.uuid5(PLANTLOOP_NAMESPACE, key))


def new_id() -> str:
    """A random id, for things that are not facts offered by a source (sessions, batch ids)."""
    return str(uuid.uuid4())
