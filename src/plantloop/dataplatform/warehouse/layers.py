"""The layer vocabulary of the warehouse and its one rule: a model reads its own layer or the one below.

Ranks: ODS 0 — with STG beside it: a source's ODS rows after governance (field dictionary, cleaning), still
one row per source record —, DIM and DWD 1 (DIM sits beside DWD), DWS 2, ADS 3. The rule is checked on the
dependencies SQLMesh parses from each model's SQL, never on names written by hand.
"""

from __future__ import annotations

from enum import StrEnum

from plantloop.kernel.errors import InvalidInput


class Layer(StrEnum):
    ODS = "ods"
    STG = "stg"
    DIM = "dim"
    DWD = "dwd"
    DWS = "dws"
    ADS = "ads"


RANK: dict[Layer, int] = {Layer.ODS: 0, Layer.STG: 0, Layer.DIM: 1, Layer.DWD: 1, Layer.DWS: 2, Layer.ADS: 3}


def bare_name(table: str) -> str:
    """``"wh"."dw"."dws_line_day"`` → ``dws_line_day``."""
    return table.replace('"', "").replace("`", "").rsplit(".", 1)[-1]


def layer_of(table: str) -> Layer:
    name = bare_name(table)
    prefix = name.split("_", 1)[0]
    try:
        return Layer(prefix)
    except ValueError:
        raise InvalidInput(f"table {name!r} does not start with a layer prefix", table=name) from None


def may_read(reader: str, source: str) -> bool:
    """True when ``reader`` may read ``source``: the same rank or exactly one rank below."""
    r, s = RANK[layer_of(reader)], RANK[layer_of(source)]
    return s in (r, r - 1)


def violations(dependencies: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Every (model, source) pair in ``dependencies`` that breaks the layer rule."""
    return sorted(
        (bare_name(model), bare_name(src))
        for model, sources in dependencies.items()
        for src in sources
        if not may_read(model, src)
    )
