"""ARTime: the Haar features, the dual-vigilance network, and a detector that is causal, quiet while it
learns and on a learnt pattern, and loud when the pattern breaks."""

from __future__ import annotations

import numpy as np
import pytest

from plantloop.optimize.maintenance.art import ArtConfig, ArtDetector, DualVigilanceArt, haar


def _periodic(n: int = 3000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 50 + 10 * np.sin(2 * np.pi * t / 120) + rng.normal(0, 0.3, n)


def test_haar_keeps_the_energy_and_orders_coarse_to_fine() -> None:
    x = np.array([1.0, 3.0, 2.0, 2.0, 0.0, 4.0, 5.0, 1.0])
    h = haar(x)
    assert np.isclose(np.sum(h**2), np.sum(x**2))  # orthonormal
    assert np.isclose(h[0], x.sum() / np.sqrt(8))  # approximation first
    assert np.allclose(h[4:], (x[1::2] - x[0::2]) / np.sqrt(2))  # finest details last, later minus earlier
    assert np.allclose(haar(np.full(8, 2.0))[1:], 0.0)


def test_the_network_learns_nothing_from_its_first_vector_then_resonates_with_what_it_learnt() -> None:
    art = DualVigilanceArt(dim=4, level_feature=3, vigilance=0.8)
    a, b = np.array([0.1, 0.2, 0.3, 0.4]), np.array([0.9, 0.8, 0.9, 0.95])
    first = art.present(a)
    assert (first.novel, first.match, art.categories) == (False, 0.0, 1)  # only the uncommitted category
    assert art.present(a).novel  # below the lower vigilance against the category of ones: a new cluster
    again = art.present(a)
    assert not again.novel and again.match == pytest.approx(1.0) and art.categories == 2
    other = art.present(b)
    assert other.novel and other.match < 0.8 and art.categories == 3
    assert art.present(b, learn=False).novel and art.categories == 3  # shown, not learnt


def test_scores_do_not_depend_on_how_the_stream_is_split() -> None:
    values = _periodic()
    values[2000:2040] += 25.0
    config = ArtConfig((float(values.min()), float(values.max())), probation_rows=600)
    whole = ArtDetector(config).update(values)
    detector = ArtDetector(config)
    parts = [detector.update(values[i : i + 37]) for i in range(0, len(values), 37)]
    assert np.array_equal(np.concatenate(parts), whole)
    assert whole.max() > 0.0


def test_quiet_during_probation_and_on_the_learnt_pattern_loud_on_a_level_shift() -> None:
    values = _periodic()
    values[2200:] += 30.0  # the process moves to a new level
    config = ArtConfig((float(values.min()), float(values.max())), probation_rows=600)
    scores = ArtDetector(config).update(values)
    assert np.all((scores >= 0.0) & (scores <= 1.0))
    assert not scores[:600].any()
    assert scores[2200:2260].max() > 0.5
    assert scores[:2200].max() < scores[2200:2260].max()


def test_values_beyond_the_range_and_missing_values_are_scored_without_error() -> None:
    values = _periodic(1500)
    values[1000] = np.nan
    values[1200] = 1e6
    scores = ArtDetector(ArtConfig((30.0, 70.0), probation_rows=400)).update(values)
    assert len(scores) == len(values) and np.isfinite(scores).all()
    assert scores[1200:1230].max() > 0.0  # the out-of-range spike takes the top level: an anomaly


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"value_range": (1.0, 0.0)}, "value_range"),
        ({"value_range": (0.0, float("inf"))}, "value_range"),
        ({"value_range": (0.0, 1.0), "window": 6}, "window"),
        ({"value_range": (0.0, 1.0), "probation_rows": 1}, "probation_rows"),
    ],
)
def test_a_bad_configuration_is_refused_with_the_field_named(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ArtConfig(**kwargs)  # type: ignore[arg-type]
