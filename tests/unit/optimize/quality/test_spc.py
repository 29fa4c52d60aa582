"""Control charts (X-bar R, I-MR, p, u, EWMA), run rules, and violations as alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from plantloop.optimize.quality.errors import InsufficientData
from plantloop.optimize.quality.spc import (
    d2,
    d3,
    ewma_chart,
    imr_chart,
    p_chart,
    u_chart,
    violation_events,
    xbar_r_chart,
)
from plantloop.optimize.quality.spc_rules import RuleSet, evaluate_rules
from plantloop.reports.alerts import AlertEngine, AlertRule, RuleKind


@pytest.mark.parametrize(
    ("n", "d2_table", "d3_table"), [(2, 1.128, 0.853), (5, 2.326, 0.864), (10, 3.078, 0.797)]
)
def test_the_range_constants_computed_by_integration_match_the_published_tables(
    n: int, d2_table: float, d3_table: float
) -> None:
    assert d2(n) == pytest.approx(d2_table, abs=5e-4)
    assert d3(n) == pytest.approx(d3_table, abs=5e-4)


def _rules(z: list[float], ruleset: RuleSet = RuleSet.NELSON) -> set[str]:
    return {hit.rule for hit in evaluate_rules(np.array(z), ruleset)}


def test_each_nelson_pattern_is_reported_once_at_the_point_that_completes_it() -> None:
    assert _rules([0, 0.5, -0.3, 3.4, 0.1]) == {"nelson_1"}
    run = [0.5] * 12
    hits = evaluate_rules(np.array(run), RuleSet.NELSON)
    assert [(h.rule, h.index) for h in hits if h.rule == "nelson_2"] == [("nelson_2", 8)]
    assert "nelson_3" in _rules([-1.0, -0.6, -0.2, 0.1, 0.4, 0.8])
    assert "nelson_4" in _rules([0.5 * (-1) ** k for k in range(14)])
    assert "nelson_5" in _rules([2.3, 0.1, 2.5])
    assert "nelson_6" in _rules([1.2, 1.5, 0.2, 1.1, 1.3])
    assert "nelson_7" in _rules([0.3 * (-1) ** k for k in range(15)])
    assert "nelson_8" in _rules([1.5 * (-1) ** k for k in range(8)])


def test_western_electric_rules_fire_on_shifts_and_stay_quiet_on_noise() -> None:
    assert "we_4" in _rules([0.4] * 8, RuleSet.WESTERN_ELECTRIC)
    noise = np.random.default_rng(1).standard_normal(20_000)
    hits = evaluate_rules(noise, RuleSet.WESTERN_ELECTRIC)
    per_point = len(hits) / len(noise)
    assert 0.004 < per_point < 0.02  # the in-control average run length of the four rules is about 92


def test_an_xbar_r_chart_flags_the_subgroup_whose_mean_shifted() -> None:
    rng = np.random.default_rng(3)
    groups = rng.normal(10.0, 1.0, (30, 5))
    groups[25] += 3.0
    xbar, r = xbar_r_chart(groups, baseline=20)
    assert xbar.ucl[0] - xbar.center == pytest.approx(3 * r.center / d2(5) / np.sqrt(5))
    assert 25 in {h.index for h in xbar.violations if h.rule == "nelson_1"}
    assert r.lcl[0] == pytest.approx(max(0.0, r.center * (1 - 3 * d3(5) / d2(5))))


def test_an_imr_chart_estimates_sigma_from_moving_ranges_and_needs_three_points() -> None:
    values = np.array([10.0, 10.2, 9.9, 10.1, 10.0, 9.8, 10.3, 12.5])
    individuals, moving = imr_chart(values, baseline=7)
    assert individuals.sigma[0] == pytest.approx(np.abs(np.diff(values[:7])).mean() / d2(2))
    assert 7 in {h.index for h in individuals.violations}
    assert np.isnan(moving.points[0])
    with pytest.raises(InsufficientData):
        imr_chart([1.0, 2.0])


def test_p_and_u_charts_widen_their_limits_for_small_subgroups() -> None:
    chart = p_chart([2, 1, 3, 9], [100, 20, 100, 100], baseline=3)
    assert chart.ucl[1] > chart.ucl[0]
    assert chart.lcl.min() >= 0.0
    assert 3 in {h.index for h in chart.violations}
    counts = u_chart([4, 5, 3, 20], [10, 10, 5, 10], baseline=3)
    assert counts.ucl[2] > counts.ucl[0] and 3 in {h.index for h in counts.violations}
    with pytest.raises(InsufficientData):
        p_chart([5], [3])


def test_an_ewma_chart_catches_a_slow_drift_within_a_few_points_and_not_before_it_starts() -> None:
    rng = np.random.default_rng(5)
    values = rng.normal(0.0, 1.0, 80)
    values[40:] += 0.5 * np.arange(40)  # half a sigma more per point from point 40
    chart = ewma_chart(values, center=0.0, sigma=1.0)
    first = min(h.index for h in chart.violations)
    assert 40 <= first <= 48


def test_violations_become_events_that_open_alerts_in_the_alert_engine() -> None:
    values = np.array([0.0, 0.1, -0.1, 0.05, 4.0])
    chart, _ = imr_chart(values, baseline=4)
    times = [datetime(2026, 3, 2, tzinfo=UTC) + timedelta(hours=k) for k in range(len(values))]
    events = violation_events(
        chart, chart_id="spc:AS-11:screw_torque_nm", times=times, equipment_path="ACME/AS-11"
    )
    assert [e.type for e in events] == ["SpcRuleViolated"] and events[0].payload["point_index"] == 4
    assert violation_events(chart, chart_id="spc:AS-11:screw_torque_nm", times=times)[0].id == events[0].id
    engine = AlertEngine()
    engine.put_rule(
        AlertRule(id="spc", name="SPC rule violated", kind=RuleKind.EVENT, event_type="SpcRuleViolated")
    )
    opened = engine.observe_event(events[0])
    assert [a.target for a in opened] == ["ACME/AS-11"]
