"""Rank candidate root causes of a defect signal by statistical evidence, explaining confounders away.

Given :class:`~plantloop.optimize.quality.rca_data.Observations` (operations with units, defects and
candidate exposures):

1. **Contrast.** For every candidate, defective vs good units among exposed and unexposed operations of its
   population, and the binomial likelihood-ratio statistic G of "the exposed have their own, higher rate".
   Effect sizes: rates, rate ratio with a 95 % interval, excess defects (defects beyond what the unexposed
   rate predicts) and their share of all defects.
2. **Explaining away.** Causes are chosen greedily: the candidate with the largest G first; every later
   candidate is judged *within the cells* that the chosen ones define (a stratified G), so a machine that
   only looks bad because it processed the bad supplier lot loses its evidence once the lot is chosen.
   Selection stops when the best remaining evidence is no longer significant (``alpha_select``) or after
   ``max_causes``. The rest are ranked by their remaining (conditional) evidence.
3. **Uncertainty.** Defects of one operation share their cause, so counts are over-dispersed relative to a
   binomial. The dispersion φ is estimated from the Pearson residuals of the final model (quasi-binomial)
   and every statistic is divided by it. Marginal one-sided p-values are adjusted for the number of
   candidates with Benjamini–Hochberg (``q_value``: false-discovery rate).

Each cause also names its *locus*: the machine where most of its exposed defects occurred (a parameter
range concentrated on one machine points at that machine).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import special, stats

from plantloop.optimize.quality.rca_data import Candidate, DefectSignal, Observations

FloatArray = npt.NDArray[np.float64]

#: When two candidates mark exactly the same operations, the more specific kind is kept.
SPECIFICITY = (
    "supplier_lot",
    "equipment",
    "param_out",
    "param_high",
    "param_low",
    "operator",
    "shift",
    "supplier",
    "work_center",
)


@dataclass(frozen=True)
class CauseEvidence:
    rank: int
    key: str
    kind: str
    value: str
    selected: bool
    exposed_units: float
    exposed_defects: float
    unexposed_units: float
    unexposed_defects: float
    rate_exposed: float
    rate_unexposed: float
    rate_ratio: float
    rate_ratio_ci: tuple[float, float]
    excess_defects: float
    share_of_defects: float
    g_marginal: float
    p_value: float
    q_value: float
    g_conditional: float
    p_conditional: float
    locus: str | None
    locus_share: float
    parameter: str | None = None
    threshold: float | None = None
    exposed_operations: list[str] = field(default_factory=list)
    also: list[str] = field(default_factory=list)
    #: Exposed operations with at least one defect (a single operation's clump of scrap is weak evidence).
    defective_operations: int = 0

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["rate_ratio_ci"] = list(self.rate_ratio_ci)
        return out


@dataclass(frozen=True)
class RootCauseResult:
    signal: DefectSignal
    operations: int
    units: float
    defects: float
    dispersion: float
    alpha: float
    causes: list[CauseEvidence]

    @property
    def rate(self) -> float:
        return self.defects / self.units if self.units else 0.0

    @property
    def significant(self) -> list[CauseEvidence]:
        """Causes chosen by the explanation whose evidence survives the false-discovery control."""
        return [c for c in self.causes if c.selected and c.q_value <= self.alpha]

    def top(self, n: int = 3) -> list[CauseEvidence]:
        return self.causes[:n]


def _loglik(d: FloatArray, n: FloatArray) -> FloatArray:
    p = np.divide(d, n, out=np.zeros_like(d), where=n > 0)
    return np.asarray(special.xlogy(d, p) + special.xlogy(n - d, 1.0 - p), dtype=float)


def _split_g(d1: FloatArray, n1: FloatArray, d0: FloatArray, n0: FloatArray) -> FloatArray:
    """One-sided likelihood-ratio statistic: 0 where the exposed rate is not higher."""
    g = 2.0 * (_loglik(d1, n1) + _loglik(d0, n0) - _loglik(d1 + d0, n1 + n0))
    higher = d1 * np.maximum(n0, 1e-12) > d0 * np.maximum(n1, 1e-12)
    return np.where(higher & (n1 > 0) & (n0 > 0), np.maximum(g, 0.0), 0.0)


def _dedupe(candidates: list[Candidate]) -> tuple[list[Candidate], dict[str, list[str]]]:
    order = {kind: i for i, kind in enumerate(SPECIFICITY)}
    ranked = sorted(candidates, key=lambda c: (order.get(c.kind, len(order)), c.key))
    kept: dict[bytes, Candidate] = {}
    aliases: dict[str, list[str]] = {}
    for c in ranked:
        signature = np.packbits(c.exposure).tobytes() + np.packbits(c.population).tobytes()
        if signature in kept:
            aliases.setdefault(kept[signature].key, []).append(c.key)
        else:
            kept[signature] = c
    return list(kept.values()), aliases


def _cells_g(
    obs: Observations,
    x: npt.NDArray[np.bool_],
    pop: npt.NDArray[np.bool_],
    cells: npt.NDArray[np.int64],
    defects: FloatArray | None = None,
    units: FloatArray | None = None,
) -> FloatArray:
    """Stratified statistic: the one-sided split statistic summed over the cells of the chosen causes.

    ``defects`` / ``units`` may be 2-D (permutations × operations) to evaluate many permutations at once."""
    d = obs.defects if defects is None else defects
    n = obs.units if units is None else units
    total = np.zeros((*np.shape(d)[:-1], x.shape[1]))
    for cell in np.unique(cells):
        inside = (cells == cell)[:, None] & pop
        exposed, unexposed = (inside & x).astype(float), (inside & ~x).astype(float)
        total += _split_g(d @ exposed, n @ exposed, d @ unexposed, n @ unexposed)
    return total


def _permuted(
    obs: Observations, cells: npt.NDArray[np.int64], rng: np.random.Generator, count: int
) -> tuple[FloatArray, FloatArray]:
    """``count`` permutations of the operations' (defects, units) pairs, within each cell."""
    index = np.tile(np.arange(obs.size), (count, 1))
    for cell in np.unique(cells):
        members = np.flatnonzero(cells == cell)
        if len(members) > 1:
            index[:, members] = members[rng.permuted(np.tile(np.arange(len(members)), (count, 1)), axis=1)]
    return obs.defects[index], obs.units[index]


def _dispersion(obs: Observations, cells: npt.NDArray[np.int64]) -> float:
    rows = obs.units > 0
    if rows.sum() <= 1:
        return 1.0
    chi2 = 0.0
    groups = 0
    for cell in np.unique(cells[rows]):
        inside = rows & (cells == cell)
        n, d = obs.units[inside], obs.defects[inside]
        p = d.sum() / n.sum()
        groups += 1
        if 0.0 < p < 1.0:
            chi2 += float(((d - n * p) ** 2 / (n * p * (1.0 - p))).sum())
    dof = max(int(rows.sum()) - groups, 1)
    return max(1.0, chi2 / dof)


def _bh(p: FloatArray) -> FloatArray:
    m = len(p)
    if m == 0:
        return p
    order = np.argsort(p)
    scaled = p[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(q, 1.0)
    return out


def rank_causes(
    obs: Observations,
    *,
    alpha: float = 0.05,
    max_causes: int = 4,
    permutations: int = 400,
    seed: int = 0,
) -> RootCauseResult:
    """Candidates of ``obs`` ranked by evidence (see the module docstring)."""
    candidates, aliases = _dedupe(obs.candidates)
    total_units, total_defects = float(obs.units.sum()), float(obs.defects.sum())
    if not candidates or total_defects <= 0:
        return RootCauseResult(obs.signal, obs.size, total_units, total_defects, 1.0, alpha, [])
    rng = np.random.default_rng(seed)
    x = np.column_stack([c.exposure for c in candidates])
    pop = np.column_stack([c.population for c in candidates])
    un = pop & ~x
    d1, n1 = obs.defects @ x, obs.units @ x
    d0, n0 = obs.defects @ un, obs.units @ un
    cells = np.zeros(obs.size, dtype=np.int64)
    g_marginal = _split_g(d1, n1, d0, n0)
    null = _cells_g(obs, x, pop, cells, *_permuted(obs, cells, rng, permutations))
    # Under the null the one-sided statistic is 0 half the time and a scaled chi-square(1) otherwise; the
    # permutations calibrate the scale per candidate (its over-dispersion), the chi-square gives the tail.
    scale = np.maximum(2.0 * null.mean(axis=0), 1.0)
    p_marginal = np.where(g_marginal > 0, 0.5 * stats.chi2.sf(g_marginal / scale, 1), 1.0)
    p_family = (1.0 + (null.max(axis=1)[:, None] >= g_marginal - 1e-9).sum(axis=0)) / (permutations + 1.0)

    selected: list[int] = []
    g_at_selection: dict[int, float] = {}
    p_at_selection: dict[int, float] = {}
    g_conditional, p_step = g_marginal.copy(), p_family.copy()
    while len(selected) < max_causes:
        remaining = [i for i in range(len(candidates)) if i not in selected]
        if not remaining:
            break
        best = max(remaining, key=lambda i: (g_conditional[i], g_marginal[i]))
        if g_conditional[best] <= 0 or p_step[best] > alpha:
            break
        selected.append(best)
        g_at_selection[best], p_at_selection[best] = float(g_conditional[best]), float(p_step[best])
        cells = cells * 2 + x[:, best].astype(np.int64)
        g_conditional = _cells_g(obs, x, pop, cells)
        g_conditional[selected] = 0.0
        null_c = _cells_g(obs, x, pop, cells, *_permuted(obs, cells, rng, permutations // 2))
        null_c[:, selected] = 0.0
        exceed = (null_c.max(axis=1)[:, None] >= g_conditional - 1e-9).sum(axis=0)
        p_step = (1.0 + exceed) / (permutations // 2 + 1.0)
    dispersion = _dispersion(obs, cells)
    q_values = _bh(p_marginal)
    rest = sorted(
        (i for i in range(len(candidates)) if i not in selected),
        key=lambda i: (-g_conditional[i], -g_marginal[i], candidates[i].key),
    )
    causes = []
    for rank, i in enumerate([*selected, *rest], start=1):
        c = candidates[i]
        rate1 = d1[i] / n1[i] if n1[i] else 0.0
        rate0 = d0[i] / n0[i] if n0[i] else 0.0
        ratio, ci = _rate_ratio(d1[i], n1[i], d0[i], n0[i], dispersion)
        excess = float(d1[i] - n1[i] * rate0)
        locus, share = _locus(obs, c)
        exposed_defective = obs.frame.loc[c.exposure & (obs.defects > 0), "operation_id"]
        causes.append(
            CauseEvidence(
                rank=rank,
                key=c.key,
                kind=c.kind,
                value=c.value,
                selected=i in selected,
                exposed_units=float(n1[i]),
                exposed_defects=float(d1[i]),
                unexposed_units=float(n0[i]),
                unexposed_defects=float(d0[i]),
                rate_exposed=float(rate1),
                rate_unexposed=float(rate0),
                rate_ratio=ratio,
                rate_ratio_ci=ci,
                excess_defects=excess,
                share_of_defects=excess / total_defects,
                g_marginal=float(g_marginal[i]),
                p_value=float(p_marginal[i]),
                q_value=float(q_values[i]),
                g_conditional=g_at_selection.get(i, float(g_conditional[i])),
                p_conditional=p_at_selection.get(i, float(p_step[i])),
                locus=locus,
                locus_share=share,
                parameter=c.parameter,
                threshold=c.threshold,
                exposed_operations=exposed_defective.astype(str).tolist()[:200],
                also=aliases.get(c.key, []),
                defective_operations=len(exposed_defective),
            )
        )
    return RootCauseResult(obs.signal, obs.size, total_units, total_defects, dispersion, alpha, causes)


def _rate_ratio(
    d1: float, n1: float, d0: float, n0: float, dispersion: float
) -> tuple[float, tuple[float, float]]:
    """Rate ratio with a 95 % Wald interval on the log scale (0.5 added to empty cells)."""
    if d1 == 0 or d0 == 0:
        d1, d0, n1, n0 = d1 + 0.5, d0 + 0.5, n1 + 1.0, n0 + 1.0
    if n1 <= 0 or n0 <= 0:
        return float("nan"), (float("nan"), float("nan"))
    log_rr = np.log((d1 / n1) / (d0 / n0))
    se = np.sqrt(max(1 / d1 - 1 / n1 + 1 / d0 - 1 / n0, 0.0) * dispersion)
    return float(np.exp(log_rr)), (float(np.exp(log_rr - 1.96 * se)), float(np.exp(log_rr + 1.96 * se)))


def _locus(obs: Observations, candidate: Candidate) -> tuple[str | None, float]:
    """The machine carrying most of the candidate's exposed defects, and its share of them."""
    mask = candidate.exposure & (obs.defects > 0)
    if not mask.any():
        return None, 0.0
    weights = (
        obs.frame.loc[mask, ["equipment_id"]]
        .assign(d=obs.defects[mask])
        .groupby("equipment_id")["d"]
        .sum()
        .sort_values(ascending=False)
    )
    if weights.empty:
        return None, 0.0
    return str(weights.index[0]), float(weights.iloc[0] / weights.sum())
