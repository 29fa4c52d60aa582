"""The disjunctive graph's moves: none closes a cycle, each is undone exactly, N5 is valued exactly."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from plantloop.optimize.scheduling import disjunctive as dj
from plantloop.optimize.scheduling.instances import load_instance
from plantloop.optimize.scheduling.rules import Rule, dispatch

State = tuple[dj.Graph, list[int], list[int], int]


def walk(path: Path, fmt: str, steps: int) -> Iterator[State]:
    """The graph of the MWKR schedule and its heads, tails and makespan, ``steps`` times: between two
    yields the caller applies one move, so the walk visits schedules along a search."""
    p = load_instance(path, fmt)
    g = dj.Graph.of(p, dispatch(p, Rule.MWKR))
    for _ in range(steps):
        t = g.times()
        assert t is not None
        yield g, *t


@pytest.mark.parametrize("instance", ["brandimarte/mk10.txt", "hurink/edata/la21.txt"])
def test_every_reassignment_keeps_the_graph_acyclic_and_is_undone_exactly(
    bench_dir: Path, instance: str
) -> None:
    """From schedules along a walk, each critical operation moved to each alternative machine at the
    position :func:`disjunctive.reassign_moves` picks leaves the sequences acyclic, and the move's inverse
    restores the graph."""
    rng = random.Random(7)
    checked = 0
    for g, r, q, cmax in walk(bench_dir / "fjsp" / instance, "fjsp", 30):
        path = [v for b in dj.critical_blocks(g, r, cmax, rng) for v in b]
        moves = dj.reassign_moves(g, r, q, path)
        before = ([s[:] for s in g.seqs], g.machine[:], g.p[:], g.mp[:], g.ms[:])
        for v, k, pos, d, _ in moves:
            m, i, d0 = dj.relocate(g, v, k, pos, d)
            assert m != k and g.machine[v] == k and g.p[v] == d
            assert g.times() is not None, f"moving {v} to machine {k} at {pos} made a cycle"
            dj.relocate(g, v, m, i, d0)
            assert ([s[:] for s in g.seqs], g.machine, g.p, g.mp, g.ms) == before
            checked += 1
        if moves:
            v, k, pos, d, _ = moves[rng.randrange(len(moves))]
            dj.relocate(g, v, k, pos, d)  # walk on
    assert checked > 20


@pytest.mark.parametrize("neighbourhood", ["n5", "n6"])
def test_every_critical_move_keeps_the_graph_acyclic_and_n5_is_valued_exactly(
    bench_dir: Path, neighbourhood: str
) -> None:
    """From schedules along a search, every move of the neighbourhood leaves the sequences acyclic; an N5
    swap's value is the longest path through the swapped pair after the swap (Taillard's exact estimate)."""
    rng = random.Random(5)
    checked = 0
    for g, r, q, cmax in walk(bench_dir / "jssp/la21.txt", "jssp", 40):
        moves = dj.critical_moves(g, r, q, cmax, rng, neighbourhood)
        assert moves
        for move in moves:
            old, new = dj.window(g, move)
            estimate = dj.estimate_window(g, r, q, old, new)
            dj.apply_window(g, old, new)
            after = g.times()
            assert after is not None, f"{neighbourhood} move {move} made a cycle"
            if neighbourhood == "n5":
                r2, q2, _ = after
                assert estimate == max(r2[w] + g.p[w] + q2[w] for w in new)
            dj.apply_window(g, new, old)
            checked += 1
        old, new = dj.window(g, moves[rng.randrange(len(moves))])
        dj.apply_window(g, old, new)  # walk on
    assert checked > 80


def test_the_n6_neighbourhood_holds_n5s_moves_and_more(bench_dir: Path) -> None:
    g, r, q, cmax = next(walk(bench_dir / "jssp/la21.txt", "jssp", 1))

    def moves(neighbourhood: str) -> set[tuple[int, ...]]:
        found = dj.critical_moves(g, r, q, cmax, random.Random(1), neighbourhood)
        return {tuple(dj.window(g, m)[1]) for m in found}

    assert moves("n5") < moves("n6")  # the same critical path: N6 adds moves to the blocks' fronts and ends
