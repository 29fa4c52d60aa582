"""Shewhart control charts — X̄-R, I-MR, p and u — with limits from a baseline and run rules.

Each chart function takes the data in time order and, optionally, ``baseline``: how many of the first
subgroups estimate the limits (phase I); the limits then judge every point (phase II). Without it, all
points estimate the limits (a retrospective chart).

- :func:`xbar_r_chart`: subgroups of ``n`` measurements (rows of a 2-D array). σ̂ = R̄ / d₂(n); the X̄
  limits are X̄̄ ± 3σ̂/√n and the R limits D₃R̄ … D₄R̄ with D = 1 ∓ 3 d₃/d₂.
- :func:`imr_chart`: individual values; σ̂ = MR̄ / d₂(2) from moving ranges of two.
- :func:`p_chart`: defectives out of ``n_i`` inspected; limits p̄ ± 3√(p̄(1−p̄)/n_i), per point.
- :func:`u_chart`: defects per ``n_i`` units; limits ū ± 3√(ū/n_i), per point.
- :func:`ewma_chart`: exponentially weighted moving average of individual values, for small drifts.

The bias constants d₂(n) and d₃(n) of the range of n standard normal values are computed by numerical
integration (and cached), not copied from a table. Violations of the chosen run rules
(:mod:`.spc_rules`) come with every chart; :func:`violation_events` turns them into events that the alert
engine's event rules pick up (type ``SpcRuleViolated``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import integrate, stats

from plantloop.kernel.envelope import EventEnvelope
from plantloop.optimize.quality.errors import InsufficientData
from plantloop.optimize.quality.spc_rules import RuleHit, RuleSet, evaluate_rules

FloatArray = npt.NDArray[np.float64]
SPC_SOURCE = "plantloop:spc"


@lru_cache(maxsize=64)
def d2(n: int) -> float:
    """Expected range of ``n`` standard normal values: ∫ 1 − Φ(x)ⁿ − (1 − Φ(x))ⁿ dx."""
    if n < 2:
        raise ValueError("a range needs at least two values")
    value, _ = integrate.quad(lambda x: 1.0 - stats.norm.cdf(x) ** n - stats.norm.sf(x) ** n, -np.inf, np.inf)
    return float(value)


@lru_cache(maxsize=64)
def d3(n: int) -> float:
    """Standard deviation of that range: E[R²] = 2∬_{x<y} 1 − Φ(y)ⁿ − (1−Φ(x))ⁿ + (Φ(y)−Φ(x))ⁿ dx dy."""
    if n < 2:
        raise ValueError("a range needs at least two values")

    def integrand(x: float, y: float) -> float:
        fx, fy = stats.norm.cdf(x), stats.norm.cdf(y)
        return float(1.0 - fy**n - (1.0 - fx) ** n + (fy - fx) ** n)

    second, _ = integrate.dblquad(integrand, -9.0, 9.0, lambda y: -9.0, lambda y: y, epsabs=1e-7)
    return float(np.sqrt(max(2.0 * second - d2(n) ** 2, 0.0)))


@dataclass(frozen=True)
class Chart:
    """One control chart: points with their (possibly per-point) limits and the rule violations."""

    kind: str
    points: FloatArray
    center: float
    ucl: FloatArray
    lcl: FloatArray
    sigma: FloatArray
    violations: list[RuleHit] = field(default_factory=list)
    baseline: int = 0

    @property
    def z(self) -> FloatArray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray((self.points - self.center) / self.sigma, dtype=float)

    @property
    def out_of_control(self) -> bool:
        return bool(self.violations)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "center": self.center,
            "points": self.points.tolist(),
            "ucl": self.ucl.tolist(),
            "lcl": self.lcl.tolist(),
            "baseline": self.baseline,
            "violations": [
                {"rule": v.rule, "description": v.description, "index": v.index} for v in self.violations
            ],
        }


def _baseline(n_points: int, baseline: int | None, need: int, what: str) -> int:
    size = n_points if baseline is None else min(baseline, n_points)
    if size < need:
        raise InsufficientData(what, size, need)
    return size


def _chart(
    kind: str,
    points: FloatArray,
    center: float,
    sigma: FloatArray,
    base: int,
    rules: RuleSet,
    *,
    lower_bound: float | None = None,
) -> Chart:
    ucl = center + 3.0 * sigma
    lcl = center - 3.0 * sigma
    if lower_bound is not None:
        lcl = np.maximum(lcl, lower_bound)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(sigma > 0, (points - center) / sigma, np.nan)
    return Chart(kind, points, center, ucl, lcl, sigma, evaluate_rules(z, rules), base)


def xbar_r_chart(
    subgroups: npt.ArrayLike, baseline: int | None = None, rules: RuleSet = RuleSet.NELSON
) -> tuple[Chart, Chart]:
    """X̄ chart and R chart of equal-size subgroups (rows)."""
    data = np.asarray(subgroups, dtype=float)
    if data.ndim != 2 or data.shape[1] < 2:
        raise InsufficientData("X-bar R chart subgroup size", int(data.shape[-1]) if data.ndim else 0, 2)
    n = data.shape[1]
    base = _baseline(len(data), baseline, 2, "X-bar R chart subgroups")
    means, ranges = data.mean(axis=1), np.ptp(data, axis=1)
    r_bar = float(ranges[:base].mean())
    sigma_within = r_bar / d2(n)
    center = float(means[:base].mean())
    xbar = _chart("xbar", means, center, np.full(len(means), sigma_within / np.sqrt(n)), base, rules)
    r_sigma = np.full(len(ranges), r_bar * d3(n) / d2(n))
    r_chart = _chart("r", ranges, r_bar, r_sigma, base, rules, lower_bound=0.0)
    return xbar, r_chart


def imr_chart(
    values: npt.ArrayLike, baseline: int | None = None, rules: RuleSet = RuleSet.NELSON
) -> tuple[Chart, Chart]:
    """Individuals chart and moving-range chart."""
    x = np.asarray(values, dtype=float)
    base = _baseline(len(x), baseline, 3, "I-MR chart points")
    mr = np.abs(np.diff(x))
    mr_bar = float(mr[: base - 1].mean())
    sigma = mr_bar / d2(2)
    individuals = _chart("individuals", x, float(x[:base].mean()), np.full(len(x), sigma), base, rules)
    mr_points = np.concatenate([[np.nan], mr])
    mr_sigma = np.full(len(mr_points), mr_bar * d3(2) / d2(2))
    moving = _chart("moving_range", mr_points, mr_bar, mr_sigma, base, rules, lower_bound=0.0)
    return individuals, moving


def p_chart(
    defective: npt.ArrayLike,
    inspected: npt.ArrayLike,
    baseline: int | None = None,
    rules: RuleSet = RuleSet.NELSON,
) -> Chart:
    """Fraction defective per subgroup, with per-point limits for varying subgroup sizes."""
    d, n = np.asarray(defective, dtype=float), np.asarray(inspected, dtype=float)
    if np.any(n <= 0) or np.any(d < 0) or np.any(d > n):
        raise InsufficientData("p chart needs 0 <= defective <= inspected and inspected > 0 in every", 0, 1)
    base = _baseline(len(d), baseline, 2, "p chart subgroups")
    p_bar = float(d[:base].sum() / n[:base].sum())
    sigma = np.sqrt(p_bar * (1.0 - p_bar) / n)
    chart = _chart("p", d / n, p_bar, sigma, base, rules, lower_bound=0.0)
    return chart


def u_chart(
    defects: npt.ArrayLike, units: npt.ArrayLike, baseline: int | None = None, rules: RuleSet = RuleSet.NELSON
) -> Chart:
    """Defects per unit per subgroup, with per-point limits."""
    c, n = np.asarray(defects, dtype=float), np.asarray(units, dtype=float)
    if np.any(n <= 0) or np.any(c < 0):
        raise InsufficientData("u chart needs defects >= 0 and units > 0 in every", 0, 1)
    base = _baseline(len(c), baseline, 2, "u chart subgroups")
    u_bar = float(c[:base].sum() / n[:base].sum())
    return _chart("u", c / n, u_bar, np.sqrt(u_bar / n), base, rules, lower_bound=0.0)


def ewma_chart(
    values: npt.ArrayLike,
    baseline: int | None = None,
    *,
    lam: float = 0.2,
    width: float = 3.2,
    center: float | None = None,
    sigma: float | None = None,
) -> Chart:
    """EWMA chart of individual values (Roberts 1959): z_t = λx_t + (1−λ)z_{t−1}, z_0 = the centre, limits
    ± width·σ·√(λ/(2−λ)·(1−(1−λ)^{2t})). The centre and σ are the standards given (e.g. the specification's
    target and a σ pooled over machines) or else estimated from the baseline (mean, MR̄/d₂(2)). Points
    beyond the limits are ``ewma`` violations. Small sustained shifts and drifts show up in a few points; the
    defaults give an in-control average run length of about 960 points (Monte Carlo, σ known)."""
    x = np.asarray(values, dtype=float)
    if center is None or sigma is None:
        base = _baseline(len(x), baseline, 3, "EWMA chart points")
        sigma = float(np.abs(np.diff(x[:base])).mean()) / d2(2) if sigma is None else sigma
        center = float(x[:base].mean()) if center is None else center
    else:
        base = 0
    z = np.empty(len(x))
    level = center
    for i, value in enumerate(x):
        level = lam * value + (1.0 - lam) * level
        z[i] = level
    t = np.arange(1, len(x) + 1)
    spread = sigma * np.sqrt(lam / (2.0 - lam) * (1.0 - (1.0 - lam) ** (2 * t)))
    with np.errstate(divide="ignore", invalid="ignore"):
        beyond = np.abs(z - center) > width * spread
    hits = [RuleHit("ewma", f"EWMA beyond {width:g} sigma", int(i)) for i in np.flatnonzero(beyond)]
    return Chart("ewma", z, center, center + width * spread, center - width * spread, spread, hits, base)


def violation_events(
    chart: Chart,
    *,
    chart_id: str,
    times: Sequence[datetime],
    equipment_path: str | None = None,
    context: dict[str, Any] | None = None,
) -> list[EventEnvelope]:
    """One ``SpcRuleViolated`` event per violation (deterministic ids: chart, rule, point time)."""
    out = []
    for hit in chart.violations:
        at = times[hit.index]
        payload = {
            "chart_id": chart_id,
            "chart": chart.kind,
            "rule": hit.rule,
            "description": hit.description,
            "value": float(chart.points[hit.index]),
            "center": chart.center,
            "ucl": float(chart.ucl[hit.index]),
            "lcl": float(chart.lcl[hit.index]),
            "point_index": hit.index,
            **(context or {}),
        }
        out.append(
            EventEnvelope.create(
                type="SpcRuleViolated",
                source=SPC_SOURCE,
                key=(chart_id, chart.kind, hit.rule, at.isoformat()),
                occurred_at=at,
                payload=payload,
                equipment_path=equipment_path,
                subject=chart_id,
            )
        )
    return out
