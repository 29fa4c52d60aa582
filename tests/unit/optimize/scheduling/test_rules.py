"""Dispatching rules always give feasible schedules, also with setups, downtime, releases and frozen ops."""

from __future__ import annotations

from pathlib import Path

import pytest

from plantloop.optimize.scheduling.check import check_schedule
from plantloop.optimize.scheduling.instances import load_instance
from plantloop.optimize.scheduling.problem import (
    FrozenOp,
    Job,
    Objective,
    Operation,
    Option,
    Problem,
    Unavailability,
)
from plantloop.optimize.scheduling.rules import Rule, best_rule_schedule, dispatch


@pytest.mark.parametrize("rule", list(Rule))
@pytest.mark.parametrize(
    ("path", "fmt"),
    [("jssp/ft06.txt", "jssp"), ("fjsp/brandimarte/mk01.txt", "fjsp"), ("jssp/orb07.txt", "jssp")],
)
def test_every_rule_is_feasible_on_benchmark_files(bench_dir: Path, rule: Rule, path: str, fmt: str) -> None:
    p = load_instance(bench_dir / path, fmt)
    assert check_schedule(p, dispatch(p, rule)) == []


def test_non_delay_mwkr_reproduces_the_reference_baseline_on_ft06_and_mk01(bench_dir: Path) -> None:
    # reference_results.csv "PDR MWKR-nondelay": ft06 61, mk01 43
    assert dispatch(load_instance(bench_dir / "jssp/ft06.txt", "jssp"), Rule.MWKR).makespan == 61
    assert dispatch(load_instance(bench_dir / "fjsp/brandimarte/mk01.txt", "fjsp"), Rule.MWKR).makespan == 43


def _plant() -> Problem:
    jobs = tuple(
        Job(
            f"J{j}",
            (
                Operation((Option(0, 3), Option(1, 4))),
                Operation((Option(2, 2),), earliest_start=5 if j == 2 else 0),
            ),
            release=j,
            due=8 + j,
            family="AB"[j % 2],
        )
        for j in range(4)
    )
    return Problem(
        jobs=jobs,
        n_machines=3,
        setups={0: {("A", "B"): 2, ("B", "A"): 2}, 2: {("A", "B"): 1, ("B", "A"): 1}},
        unavailable=(Unavailability(1, 2, 6), Unavailability(2, 0, 4)),
        frozen={(0, 0): FrozenOp(machine=0, start=0)},
    )


@pytest.mark.parametrize("rule", list(Rule))
def test_rules_respect_setups_downtime_releases_material_and_frozen_ops(rule: Rule) -> None:
    p = _plant()
    s = dispatch(p, rule)
    assert check_schedule(p, s) == []
    assert s.by_key()[(0, 0)].start == 0


def test_best_rule_schedule_keeps_the_lowest_weighted_tardiness() -> None:
    p = _plant()
    _, s = best_rule_schedule(p, objective=Objective.WEIGHTED_TARDINESS)
    assert check_schedule(p, s) == []
    assert s.weighted_tardiness(p) == min(dispatch(p, r).weighted_tardiness(p) for r in Rule)
