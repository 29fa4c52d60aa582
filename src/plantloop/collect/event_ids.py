"""Deterministic event ids on the hot path: the same UUIDv5 as :func:`plantloop.kernel.ids.deterministic_id`.

The kernel function is the definition; this one computes the identical string about five times faster
(one SHA-1 and string formatting, no ``uuid.UUID`` object), which matters at tens of thousands of
messages per second. ``tests/unit/collect/test_event_ids.py`` checks that both agree.
"""

from __future__ import annotations

from datetime import datetime
from hashlib import sha1

from plantloop.kernel.ids import PLANTLOOP_NAMESPACE

_NS = PLANTLOOP_NAMESPACE.bytes


def key_part(part: object) -> str:
    """One part of an id key, escaped exactly as the kernel does."""
    return (part.isoformat() if isinstance(part, datetime) else str(part)).replace("\x1f", "\\x1f")


def fast_id(*parts: object) -> str:
    return id_from_key("\x1f".join(key_part(p) for p in parts))


def id_from_key(key: str) -> str:
    """The id of an already joined key (parts escaped with :func:`key_part`, joined by ``\\x1f``)."""
    digest = bytearray(sha1(_NS + key.encode("utf-8"), usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
