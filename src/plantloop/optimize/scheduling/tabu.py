"""Tabu search on the disjunctive graph (``disjunctive.py``): a fast makespan improver for job shops and
flexible job shops, used beside CP-SAT.

Each step takes the best non-tabu move of one critical path (a tabu move only if it beats the best
schedule); the orders it reversed stay tabu for a randomised tenure, and an operation moved off a machine
does not go back to it for that tenure. After a number of steps without improvement the search restarts
from the best schedule perturbed by a few random critical swaps.

Only plain makespan problems qualify (:func:`applies`): no setups, unavailable intervals, frozen
operations or component links; releases and earliest starts are heads. On flexible problems, with
``reassign``, critical operations may also move to their alternative machines; without it the start
schedule's machine assignment is kept. Seeded, and bounded by a step count as well as a deadline, so a
run with a step limit is reproducible.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass

from plantloop.optimize.scheduling import disjunctive as dj
from plantloop.optimize.scheduling.problem import Problem, Schedule


def applies(problem: Problem) -> bool:
    """True when the problem is a plain (flexible) job shop with heads: what this search handles."""
    if problem.frozen or problem.unavailable or problem.has_setups() or problem.initial_setup:
        return False
    return not any(op.after_jobs for job in problem.jobs for op in job.operations)


@dataclass(frozen=True, slots=True)
class TabuResult:
    """The best schedule found and how the search went."""

    schedule: Schedule
    steps: int
    improvements: int


def improve(
    problem: Problem,
    start: Schedule,
    *,
    deadline: float,
    max_steps: int | None = None,
    seed: int = 0,
    lower_bound: int = 0,
    stop: threading.Event | None = None,
    neighbourhood: str = "n6",
    reassign: bool = False,
) -> TabuResult:
    """Tabu search from ``start`` until ``deadline`` (perf_counter), ``max_steps``, ``lower_bound`` is
    reached or ``stop`` is set (polled every 32 steps). ``neighbourhood``: ``"n6"`` (the default: at equal
    CPU time it beat N5 on 7 of 8 hard shops, docs/benchmarks.md) or ``"n5"``. ``reassign``: flexible
    shops also move critical operations to their alternative machines (:func:`dj.reassign_moves`; moving
    an operation back to the machine it left is tabu for the tenure); without it the start's assignment
    is kept."""
    if neighbourhood not in ("n5", "n6"):
        raise ValueError(f"unknown neighbourhood {neighbourhood!r}")
    rng = random.Random(seed)
    g = dj.Graph.of(problem, start)
    t = g.times()
    if t is None:  # not a valid semi-active order (cannot happen for a checked schedule)
        return TabuResult(start, 0, 0)
    r, q, cmax = t
    best_cmax, best_r = cmax, r
    best = g.snapshot()
    n = len(g.p)
    n_jobs, n_machines = len(problem.jobs), max(1, problem.n_machines)
    tenure_lo = 2 + max(n_jobs, n_machines) // 2 if n else 2
    tenure_hi = tenure_lo + max(2, tenure_lo // 2)
    stall_limit = max(500, 20 * n_jobs * n_machines // 4)
    # tabu[(a, b)] > step: the order "a before b" on their machine, made by a recent move, is not undone
    tabu: dict[tuple[int, int], int] = {}
    # left[(v, m)] > step: operation v, recently moved off machine m, does not go back to it
    left: dict[tuple[int, int], int] = {}
    steps = improvements = stall = 0

    def reverses(move: dj.Move, old: list[int]) -> list[tuple[int, int]]:
        """The pairs (a, b), a now before b, whose order the move reverses."""
        u, _, forward = move
        return [(u, w) for w in old[1:]] if forward else [(w, u) for w in old[:-1]]

    while best_cmax > lower_bound and (max_steps is None or steps < max_steps):
        if steps & 31 == 0 and (time.perf_counter() >= deadline or (stop is not None and stop.is_set())):
            break
        steps += 1
        blocks = dj.critical_blocks(g, r, cmax, rng)
        moves = dj.critical_moves(g, r, q, cmax, rng, neighbourhood, blocks)
        relocations = dj.reassign_moves(g, r, q, [v for b in blocks for v in b]) if reassign else []
        if not moves and not relocations:
            break  # a single job's chain is critical: optimal for this assignment
        chosen: tuple[list[int], list[int], list[tuple[int, int]]] | None = None
        chosen_val = 1 << 62
        oldest: tuple[list[int], list[int], list[tuple[int, int]]] | None = None
        oldest_exp = 1 << 62
        relocation: dj.Reassign | None = None
        for mv in relocations:
            v, k, _, _, val = mv
            if left.get((v, k), 0) > steps and val >= best_cmax:
                continue
            if val < chosen_val or (val == chosen_val and rng.random() < 0.5):
                relocation, chosen_val = mv, val
        for move in moves:
            old, new = dj.window(g, move)
            val = dj.estimate_window(g, r, q, old, new)
            pairs = reverses(move, old)
            exp = max(tabu.get(pair, 0) for pair in pairs)
            if exp > steps and val >= best_cmax:
                if exp < oldest_exp:
                    oldest, oldest_exp = (old, new, pairs), exp
                continue
            if val < chosen_val or (val == chosen_val and rng.random() < 0.5):
                chosen, chosen_val, relocation = (old, new, pairs), val, None
        if relocation is None and chosen is None:  # every move is tabu
            if oldest is not None:
                chosen = oldest
            elif moves:
                move = moves[rng.randrange(len(moves))]
                old, new = dj.window(g, move)
                chosen = (old, new, reverses(move, old))
            else:
                relocation = relocations[rng.randrange(len(relocations))]
        if relocation is not None:
            v, k, pos, d, _ = relocation
            m, i, d0 = dj.relocate(g, v, k, pos, d)
            t = g.times()
            if t is None:  # cannot happen (see dj.reassign_moves); undo rather than trust it
                dj.relocate(g, v, m, i, d0)
                left[(v, k)] = steps + tenure_hi
                continue
            left[(v, m)] = steps + rng.randint(tenure_lo, tenure_hi)
        else:
            assert chosen is not None
            old, new, pairs = chosen
            dj.apply_window(g, old, new)
            t = g.times()
            if t is None:  # only possible with zero durations: undo, and do not try it again soon
                dj.apply_window(g, new, old)
                for a, b in pairs:
                    tabu[(a, b)] = steps + tenure_hi
                continue
            expiry = steps + rng.randint(tenure_lo, tenure_hi)
            for a, b in pairs:
                tabu[(b, a)] = expiry
        r, q, cmax = t
        if cmax < best_cmax:
            best_cmax, best_r = cmax, r
            best = g.snapshot()
            improvements += 1
            stall = 0
        else:
            stall += 1
        if stall >= stall_limit:
            # restart from the best schedule, shaken by a few random critical swaps
            g.restore(best)
            tabu.clear()
            left.clear()
            stall = 0
            t = g.times()
            assert t is not None
            r, q, cmax = t
            for _ in range(rng.randint(2, 6)):
                kick = dj.critical_moves(g, r, q, cmax, rng)
                if not kick:
                    break
                old, new = dj.window(g, kick[rng.randrange(len(kick))])
                dj.apply_window(g, old, new)
                t = g.times()
                if t is None:
                    dj.apply_window(g, new, old)
                    t = g.times()
                assert t is not None
                r, q, cmax = t
    g.restore(best)
    return TabuResult(g.schedule(best_r), steps, improvements)
