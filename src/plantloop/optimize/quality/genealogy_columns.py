"""Column-wise building blocks of the genealogy index: string vocabularies, growable NumPy arrays, UTC
times as int64 nanoseconds, and compressed-sparse-row adjacency with a delta for rows added later.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

IntArray = npt.NDArray[np.int64]
NO_TIME = np.iinfo(np.int64).min


class Vocabulary:
    """Strings ↔ dense int codes; code 0 is "none"."""

    def __init__(self) -> None:
        self.names: list[str | None] = [None]
        self._codes: dict[str, int] = {}

    def code(self, name: str | None) -> int:
        if name is None:
            return 0
        found = self._codes.get(name)
        if found is None:
            found = self._codes[name] = len(self.names)
            self.names.append(name)
        return found

    def find(self, name: str) -> int | None:
        return self._codes.get(name)

    def encode(self, values: Sequence[Any] | pd.Series) -> npt.NDArray[np.int32]:
        """Codes of many values at once (None / NaN → 0)."""
        labels, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
        table = np.array([self.code(str(u)) for u in uniques] + [0], dtype=np.int32)
        return np.asarray(table[labels], dtype=np.int32)  # label -1 (missing) picks the trailing 0

    def name(self, code: int) -> str | None:
        return self.names[code]


class Growable:
    """A 1-D NumPy array with amortised O(1) append and bulk extend."""

    def __init__(self, dtype: Any, fill: Any = 0) -> None:
        self._data = np.full(1024, fill, dtype=dtype)
        self._fill = fill
        self.size = 0

    def _reserve(self, n: int) -> None:
        if n > len(self._data):
            grown = np.full(max(n, 2 * len(self._data)), self._fill, dtype=self._data.dtype)
            grown[: self.size] = self._data[: self.size]
            self._data = grown

    def append(self, value: Any) -> int:
        self._reserve(self.size + 1)
        self._data[self.size] = value
        self.size += 1
        return self.size - 1

    def extend(self, values: npt.ArrayLike) -> None:
        arr = np.asarray(values, dtype=self._data.dtype)
        self._reserve(self.size + len(arr))
        self._data[self.size : self.size + len(arr)] = arr
        self.size += len(arr)

    def __setitem__(self, index: int, value: Any) -> None:
        self._data[index] = value

    def __getitem__(self, index: Any) -> Any:
        return self.view[index]

    @property
    def view(self) -> npt.NDArray[Any]:
        return self._data[: self.size]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def scalar_ns(value: Any) -> int:
    """One UTC datetime (naive = UTC) as int64 nanoseconds; ``None`` → ``NO_TIME``."""
    if value is None:
        return int(NO_TIME)
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return ((aware - _EPOCH) // timedelta(microseconds=1)) * 1000
    return int(to_ns([value])[0])


def to_ns(values: Any) -> npt.NDArray[np.int64]:
    """UTC datetimes (scalars, lists, Series) as int64 nanoseconds; missing → ``NO_TIME``."""
    stamps = pd.to_datetime(pd.Series(values, dtype=object), utc=True, errors="coerce", format="ISO8601")
    ns = stamps.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    ns[stamps.isna().to_numpy()] = NO_TIME
    return np.asarray(ns, dtype=np.int64)


@dataclass
class Csr:
    ptr: IntArray
    order: IntArray

    @classmethod
    def build(cls, keys: npt.NDArray[Any], n_nodes: int) -> Csr:
        order = np.argsort(keys, kind="stable").astype(np.int64)
        ptr = np.zeros(n_nodes + 1, dtype=np.int64)
        np.cumsum(np.bincount(keys, minlength=n_nodes), out=ptr[1:])
        return cls(ptr, order)

    def gather(self, nodes: IntArray) -> IntArray:
        """Row ids of every node in ``nodes`` (nodes beyond the CSR have none)."""
        inside = nodes[nodes < len(self.ptr) - 1]
        if len(inside) == 0:
            return np.zeros(0, dtype=np.int64)
        starts, ends = self.ptr[inside], self.ptr[inside + 1]
        lengths = ends - starts
        total = int(lengths.sum())
        if total == 0:
            return np.zeros(0, dtype=np.int64)
        offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(total)
        return self.order[offsets]


class Relation:
    """Rows grouped by a key column: a CSR over the indexed prefix plus a delta for newer rows."""

    def __init__(self, rebuild_fraction: float) -> None:
        self.rebuild_fraction = rebuild_fraction
        self.csr = Csr(np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64))
        self.indexed_rows = 0
        self.delta: dict[int, list[int]] = {}

    def added(self, key: int, row: int) -> None:
        self.delta.setdefault(key, []).append(row)

    def refresh(self, keys: npt.NDArray[Any], n_nodes: int, *, force: bool = False) -> None:
        pending = len(keys) - self.indexed_rows
        if pending and (force or pending > max(1024, self.rebuild_fraction * self.indexed_rows)):
            self.csr = Csr.build(keys, n_nodes)
            self.indexed_rows = len(keys)
            self.delta = {}

    def rows(self, nodes: IntArray) -> IntArray:
        found = self.csr.gather(nodes)
        if not self.delta:
            return found
        extra = [r for n in nodes.tolist() for r in self.delta.get(n, ())]
        return np.concatenate([found, np.asarray(extra, dtype=np.int64)]) if extra else found
