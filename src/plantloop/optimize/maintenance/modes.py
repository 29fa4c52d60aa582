"""Operating modes of a machine (off, idle, setup, running …) learned from one load channel.

A machine's telemetry differs far more between its modes than between healthy and worn: a health baseline
must therefore be learned per mode. The modes are the components of a one-dimensional Gaussian mixture on
the load channel (motor current by default), with the number of components chosen by BIC — no threshold
per machine type. A sample far from every learned mode (``gate_sigma`` standard deviations) is "unknown"
(e.g. a state never seen while learning) and is not scored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from plantloop.kernel.errors import Conflict, InvalidInput

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
UNKNOWN_MODE = -1


@dataclass
class OperatingModes:
    """Mixture components of a load channel, ordered by their mean (mode 0 = lowest load)."""

    max_modes: int = 6
    gate_sigma: float = 6.0
    min_separation_sigma: float = 4.0
    sample_size: int = 4000
    seed: int = 0
    means: FloatArray = field(default_factory=lambda: np.zeros(0))
    stds: FloatArray = field(default_factory=lambda: np.zeros(0))

    @property
    def fitted(self) -> bool:
        return len(self.means) > 0

    @property
    def count(self) -> int:
        return len(self.means)

    def fit(self, load: npt.ArrayLike) -> OperatingModes:
        values = np.asarray(load, dtype=float)
        values = values[np.isfinite(values)]
        if len(values) < 50:
            raise InvalidInput(f"need at least 50 load samples to learn operating modes, got {len(values)}")
        rng = np.random.default_rng(self.seed)
        if len(values) > self.sample_size:
            values = rng.choice(values, self.sample_size, replace=False)
        column = values.reshape(-1, 1)
        best: GaussianMixture | None = None
        best_bic = np.inf
        with threadpool_limits(limits=1):
            for k in range(1, min(self.max_modes, len(np.unique(values))) + 1):
                model = GaussianMixture(k, covariance_type="diag", random_state=self.seed, reg_covar=1e-6)
                model.fit(column)
                bic = float(model.bic(column))
                if bic < best_bic:
                    best, best_bic = model, bic
        if best is None:  # every fit's BIC overflowed: readings far beyond any sensor's range
            raise InvalidInput("cannot learn operating modes from these load readings (overflow)")
        order = np.argsort(best.means_.ravel())
        components = [
            (float(w), float(m), float(v))
            for w, m, v in zip(
                best.weights_[order],
                best.means_.ravel()[order],
                best.covariances_.ravel()[order],
                strict=True,
            )
        ]
        merged = self._merge(components)
        self.means = np.array([m for _, m, _ in merged], dtype=float)
        self.stds = np.sqrt(np.array([v for _, _, v in merged], dtype=float))
        return self

    def _merge(self, components: list[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
        """Merge neighbouring components closer than ``min_separation_sigma``: BIC splits one skewed
        mode into several Gaussians, but a mode is a distinct way of running, not a shape detail."""
        merged = [components[0]]
        for weight, mean, var in components[1:]:
            w0, m0, v0 = merged[-1]
            if mean - m0 < self.min_separation_sigma * np.sqrt(max(var, v0)):
                total = w0 + weight
                m = (w0 * m0 + weight * mean) / total
                v = (w0 * (v0 + (m0 - m) ** 2) + weight * (var + (mean - m) ** 2)) / total
                merged[-1] = (total, m, v)
            else:
                merged.append((weight, mean, var))
        return merged

    def assign(self, load: npt.ArrayLike) -> IntArray:
        """Mode of every sample: the nearest component in standard deviations, or ``UNKNOWN_MODE``."""
        if not self.fitted:
            raise Conflict("operating modes have not been learned yet")
        values = np.asarray(load, dtype=float)
        distance = np.abs(values[:, None] - self.means[None, :]) / np.maximum(self.stds[None, :], 1e-9)
        nearest = np.argmin(distance, axis=1)
        close = distance[np.arange(len(values)), nearest] <= self.gate_sigma
        return np.asarray(np.where(close & np.isfinite(values), nearest, UNKNOWN_MODE), dtype=np.int64)
