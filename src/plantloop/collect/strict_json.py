"""Strict JSON for untrusted input: Python's ``json`` accepts ``NaN`` and ``Infinity``; JSON does not."""

from __future__ import annotations

import json
import math
from typing import Any


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


_DECODER = json.JSONDecoder(parse_constant=_no_constants, parse_float=_finite)


def loads(text: str | bytes) -> Any:
    """``json.loads`` that refuses ``NaN``, ``Infinity`` and overflowing numbers (ValueError)."""
    if isinstance(text, bytes | bytearray):
        text = text.decode("utf-8")
    return _DECODER.decode(text)
