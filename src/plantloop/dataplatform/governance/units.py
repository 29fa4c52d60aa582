"""Units of measure the field dictionary converts between: linear maps to one base unit per dimension.

A conversion ``from → to`` is ``value * scale + offset``; both must share a dimension (°F → °C yes,
g → °C no). Unit names are the ones data engineers write in dictionaries (``degF``, ``g``, ``min``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Dimension(StrEnum):
    MASS = "mass"
    TIME = "time"
    LENGTH = "length"
    TEMPERATURE = "temperature"
    PRESSURE = "pressure"
    CURRENT = "current"
    ENERGY = "energy"
    SPEED = "speed"


@dataclass(frozen=True)
class _Unit:
    dimension: Dimension
    factor: float  # value in base unit = value * factor + offset
    offset: float = 0.0


_UNITS: dict[str, _Unit] = {
    # mass, base kg
    "kg": _Unit(Dimension.MASS, 1.0),
    "g": _Unit(Dimension.MASS, 1e-3),
    "mg": _Unit(Dimension.MASS, 1e-6),
    "t": _Unit(Dimension.MASS, 1e3),
    "lb": _Unit(Dimension.MASS, 0.45359237),
    # time, base s
    "s": _Unit(Dimension.TIME, 1.0),
    "ms": _Unit(Dimension.TIME, 1e-3),
    "min": _Unit(Dimension.TIME, 60.0),
    "h": _Unit(Dimension.TIME, 3600.0),
    # length, base m
    "m": _Unit(Dimension.LENGTH, 1.0),
    "cm": _Unit(Dimension.LENGTH, 1e-2),
    "mm": _Unit(Dimension.LENGTH, 1e-3),
    "um": _Unit(Dimension.LENGTH, 1e-6),
    "in": _Unit(Dimension.LENGTH, 0.0254),
    # temperature, base degC
    "degC": _Unit(Dimension.TEMPERATURE, 1.0),
    "degF": _Unit(Dimension.TEMPERATURE, 5.0 / 9.0, -32.0 * 5.0 / 9.0),
    "K": _Unit(Dimension.TEMPERATURE, 1.0, -273.15),
    # pressure, base Pa
    "Pa": _Unit(Dimension.PRESSURE, 1.0),
    "kPa": _Unit(Dimension.PRESSURE, 1e3),
    "MPa": _Unit(Dimension.PRESSURE, 1e6),
    "bar": _Unit(Dimension.PRESSURE, 1e5),
    "psi": _Unit(Dimension.PRESSURE, 6894.757293168),
    # electric current, base A
    "A": _Unit(Dimension.CURRENT, 1.0),
    "mA": _Unit(Dimension.CURRENT, 1e-3),
    # energy, base J
    "J": _Unit(Dimension.ENERGY, 1.0),
    "kJ": _Unit(Dimension.ENERGY, 1e3),
    "Wh": _Unit(Dimension.ENERGY, 3600.0),
    "kWh": _Unit(Dimension.ENERGY, 3.6e6),
    # speed, base m/s
    "m_s": _Unit(Dimension.SPEED, 1.0),
    "mm_s": _Unit(Dimension.SPEED, 1e-3),
    "m_min": _Unit(Dimension.SPEED, 1.0 / 60.0),
}

KNOWN_UNITS: frozenset[str] = frozenset(_UNITS)


def linear_conversion(from_unit: str, to_unit: str) -> tuple[float, float]:
    """``(scale, offset)`` with ``to = from * scale + offset``; ValueError names the problem."""
    for unit in (from_unit, to_unit):
        if unit not in _UNITS:
            raise ValueError(f"unknown unit {unit!r}; known: {', '.join(sorted(_UNITS))}")
    a, b = _UNITS[from_unit], _UNITS[to_unit]
    if a.dimension is not b.dimension:
        raise ValueError(
            f"cannot convert {from_unit} ({a.dimension.value}) to {to_unit} ({b.dimension.value})"
        )
    # base = x * fa + oa ; to = (base - ob) / fb
    scale = a.factor / b.factor
    offset = (a.offset - b.offset) / b.factor
    return scale, offset


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """Convert one value (for tests and for documenting a dictionary)."""
    scale, offset = linear_conversion(from_unit, to_unit)
    return value * scale + offset
