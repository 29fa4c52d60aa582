"""The disjunctive graph of a (flexible) job shop and the moves of the tabu search (``tabu.py``).

The schedule is the machine sequences of a machine assignment; start times are the heads (longest path
from the sources) of the disjunctive graph, so every sequence without a cycle is a semi-active schedule.
Moves reorder operations of one block (a run on one machine) of a critical path. N5 (Nowicki & Smutnicki
1996, "A fast taboo search algorithm for the job shop problem", Management Science 42:797-813) swaps the
first two or the last two of a block; such a swap never creates a cycle. N6 (Balas & Vazacopoulos 1998,
"Guided local search with shifting bottleneck for job shop scheduling", Management Science 44:262-275)
moves any operation of a block to its front or its end where no path between the operations could close
a cycle (read from the heads and tails). Each such move is valued by the longest path through the
operations it reorders, their heads and tails recomputed in the new order from the others' (Taillard's
estimate, exact for a swap). On flexible shops a critical operation may also move to one of its
alternative machines (:func:`reassign_moves`, Mastrolilli & Gambardella 2000).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from plantloop.optimize.scheduling.problem import Assignment, OpKey, Problem, Schedule


@dataclass(slots=True)
class Graph:
    """The disjunctive graph of one machine assignment; ops are numbered job by job."""

    keys: list[OpKey]
    p: list[int]
    machine: list[int]
    head0: list[int]
    jp: list[int]
    js: list[int]
    mp: list[int]
    ms: list[int]
    seqs: list[list[int]]
    #: per operation, its (machine, duration) options
    options: list[tuple[tuple[int, int], ...]]

    @classmethod
    def of(cls, problem: Problem, schedule: Schedule) -> Graph:
        keys = list(problem.op_keys())
        index = {k: i for i, k in enumerate(keys)}
        by_key = schedule.by_key()
        n = len(keys)
        g = cls(keys, [0] * n, [0] * n, [0] * n, [-1] * n, [-1] * n, [-1] * n, [-1] * n, [], [])
        for i, (j, o) in enumerate(keys):
            a = by_key[(j, o)]
            job = problem.jobs[j]
            op = job.operations[o]
            g.machine[i] = a.machine
            g.p[i] = op.duration_on(a.machine)
            g.head0[i] = max(job.release, op.earliest_start)
            g.options.append(tuple((opt.machine, opt.duration) for opt in op.options))
            if o > 0:
                g.jp[i] = i - 1
                g.js[i - 1] = i
        g.seqs = [[] for _ in range(problem.n_machines)]
        for m, seq in schedule.machine_sequences().items():
            g.seqs[m] = [index[(a.job, a.op)] for a in seq]
        g.relink()
        return g

    def snapshot(self) -> tuple[list[list[int]], list[int], list[int]]:
        """The machine sequences, assignment and durations, to :meth:`restore` later."""
        return [s[:] for s in self.seqs], self.machine[:], self.p[:]

    def restore(self, snap: tuple[list[list[int]], list[int], list[int]]) -> None:
        seqs, machine, p = snap
        self.seqs, self.machine, self.p = [s[:] for s in seqs], machine[:], p[:]
        self.relink()

    def relink(self) -> None:
        for seq in self.seqs:
            prev = -1
            for v in seq:
                self.mp[v] = prev
                if prev >= 0:
                    self.ms[prev] = v
                prev = v
            if prev >= 0:
                self.ms[prev] = -1

    def times(self) -> tuple[list[int], list[int], int] | None:
        """Heads, tails and makespan; None when the sequences contain a cycle."""
        p, jp, js, mp, ms = self.p, self.jp, self.js, self.mp, self.ms
        n = len(p)
        r = self.head0[:]
        indeg = [(jp[v] >= 0) + (mp[v] >= 0) for v in range(n)]
        order = [v for v in range(n) if indeg[v] == 0]
        append = order.append
        # The two successors are written out, not looped over: this runs at every step of the search, and a
        # loop over (js[v], ms[v]) made this pass 20-30 % slower (mk10, CPython 3.11).
        for v in order:
            e = r[v] + p[v]
            s = js[v]
            if s >= 0:
                if r[s] < e:
                    r[s] = e
                indeg[s] -= 1
                if indeg[s] == 0:
                    append(s)
            s = ms[v]
            if s >= 0:
                if r[s] < e:
                    r[s] = e
                indeg[s] -= 1
                if indeg[s] == 0:
                    append(s)
        if len(order) < n:
            return None
        q = [0] * n
        for v in reversed(order):
            t = 0
            s = js[v]
            if s >= 0:
                t = q[s] + p[s]
            s = ms[v]
            if s >= 0:
                t2 = q[s] + p[s]
                if t2 > t:
                    t = t2
            q[v] = t
        cmax = max(r[v] + p[v] for v in range(n)) if n else 0
        return r, q, cmax

    def schedule(self, r: list[int]) -> Schedule:
        out = [
            Assignment(job=k[0], op=k[1], machine=self.machine[i], start=r[i], end=r[i] + self.p[i])
            for i, k in enumerate(self.keys)
        ]
        return Schedule(assignments=tuple(out))


def critical_blocks(g: Graph, r: list[int], cmax: int, rng: random.Random) -> list[list[int]]:
    """The blocks (maximal runs on one machine) of one critical path, ties between predecessors broken at
    random."""
    p, jp, mp = g.p, g.jp, g.mp
    ends = [v for v in range(len(p)) if r[v] + p[v] == cmax]
    v = ends[rng.randrange(len(ends))]
    path = [v]
    while True:
        a, b = jp[v], mp[v]
        ok_a = a >= 0 and r[a] + p[a] == r[v]
        ok_b = b >= 0 and r[b] + p[b] == r[v]
        if ok_a and ok_b:
            v = a if rng.random() < 0.5 else b
        elif ok_a:
            v = a
        elif ok_b:
            v = b
        else:
            break
        path.append(v)
    path.reverse()
    blocks: list[list[int]] = []
    cur = [path[0]]
    for x in path[1:]:
        if mp[x] == cur[-1]:
            cur.append(x)
        else:
            blocks.append(cur)
            cur = [x]
    blocks.append(cur)
    return blocks


#: a move: (u, v, forward) — forward: u goes right after v (v after u in the block); else u goes right
#: before v (v before u). Adjacent u, v is the swap of N5.
Move = tuple[int, int, bool]


def critical_moves(
    g: Graph,
    r: list[int],
    q: list[int],
    cmax: int,
    rng: random.Random,
    neighbourhood: str = "n6",
    blocks: list[list[int]] | None = None,
) -> list[Move]:
    """The moves on one critical path (``blocks``, else one drawn here): N5 swaps the first two and the
    last two operations of each block (none at the start of the first block or the end of the last, where
    they cannot shorten the path); N6 (Balas & Vazacopoulos 1998) moves any operation of a block to its
    front or its end, where that cannot make a cycle (no path between the operations that would close
    one, read from heads and tails)."""
    if blocks is None:
        blocks = critical_blocks(g, r, cmax, rng)
    p, jp, js = g.p, g.jp, g.js
    moves: list[Move] = []
    last = len(blocks) - 1
    for i, blk in enumerate(blocks):
        k = len(blk)
        if k < 2:
            continue
        front, end = i > 0 or last == 0, i < last or last == 0
        if neighbourhood == "n5":
            if front:
                moves.append((blk[0], blk[1], True))
            if end:
                moves.append((blk[-2], blk[-1], True))
            continue
        first, final = blk[0], blk[-1]
        if front:  # an operation to the block's front: no path first ⇝ jp(u)
            limit = r[first] + p[first]
            for u in blk[1:]:
                a = jp[u]
                if a < 0 or r[a] < limit:
                    moves.append((u, first, False))
        if end:  # an operation to the block's end: no path js(u) ⇝ final
            limit = q[final] + p[final]
            for u in blk[:-1]:
                b = js[u]
                if b < 0 or q[b] < limit:
                    moves.append((u, final, True))
    # an operation directly followed by the next one of its own job on the same machine (flexible shops)
    # cannot pass it
    out = []
    for m in dict.fromkeys(moves):
        u, v, forward = m
        if (js[u] == v) if forward else (js[v] == u):
            continue
        out.append(m)
    return out


def window(g: Graph, move: Move) -> tuple[list[int], list[int]]:
    """The operations the move reorders on their machine, in the current and in the new order."""
    u, v, forward = move
    seq = g.seqs[g.machine[u]]
    i, j = seq.index(u), seq.index(v)
    if forward:
        old = seq[i : j + 1]
        return old, [*old[1:], u]
    old = seq[j : i + 1]
    return old, [u, *old[:-1]]


def estimate_window(g: Graph, r: list[int], q: list[int], old: list[int], new: list[int]) -> int:
    """Longest path through the reordered operations after the move (Balas & Vazacopoulos's estimate;
    exact for the N5 swap): their heads and tails recomputed in the new order from the rest's."""
    p, jp, js, h0 = g.p, g.jp, g.js, g.head0
    pred, succ = g.mp[old[0]], g.ms[old[-1]]
    heads: dict[int, int] = {}
    end = r[pred] + p[pred] if pred >= 0 else 0
    for w in new:
        x = jp[w]
        before = heads[x] + p[x] if x in heads else (r[x] + p[x] if x >= 0 else 0)
        h = max(h0[w], before, end)
        heads[w] = h
        end = h + p[w]
    tails: dict[int, int] = {}
    after = q[succ] + p[succ] if succ >= 0 else 0
    best = 0
    for w in reversed(new):
        x = js[w]
        nxt = tails[x] + p[x] if x in tails else (q[x] + p[x] if x >= 0 else 0)
        t = max(nxt, after)
        tails[w] = t
        after = t + p[w]
        best = max(best, heads[w] + p[w] + t)
    return best


def apply_window(g: Graph, old: list[int], new: list[int]) -> None:
    """Put the window ``old`` in the order ``new`` on its machine."""
    seq = g.seqs[g.machine[old[0]]]
    i = seq.index(old[0])
    seq[i : i + len(old)] = new
    pred, succ = g.mp[old[0]], g.ms[old[-1]]
    prev = pred
    for w in new:
        g.mp[w] = prev
        if prev >= 0:
            g.ms[prev] = w
        prev = w
    g.ms[prev] = succ
    if succ >= 0:
        g.mp[succ] = prev


#: a reassignment: (operation, machine, position in that machine's sequence, duration there, estimate)
Reassign = tuple[int, int, int, int, int]


def reassign_moves(g: Graph, r: list[int], q: list[int], path: list[int]) -> list[Reassign]:
    """Flexible shops: each critical operation with alternative machines moved to each of them, at the
    position of its sequence with the shortest estimated longest path through the operation
    (Mastrolilli & Gambardella 2000, "Effective neighbourhood functions for the flexible job shop
    problem", J. Scheduling 3:3-20, with the current heads and tails standing in for those of the graph
    without the operation). A position after ``x`` and before ``y`` is taken only where ``x`` is not the
    job successor ``b`` and no path from ``b`` reaches it (``r[x] < r[b] + p[b]``), and ``y`` is not the
    job predecessor ``a`` and no path from ``y`` reaches ``a`` (``q[y] < q[a] + p[a]``), so the move cannot
    close a cycle."""
    p, jp, js, h0 = g.p, g.jp, g.js, g.head0
    out: list[Reassign] = []
    for v in path:
        opts = g.options[v]
        if len(opts) < 2:
            continue
        a, b = jp[v], js[v]
        head_a = r[a] + p[a] if a >= 0 else 0
        if h0[v] > head_a:
            head_a = h0[v]
        tail_b = q[b] + p[b] if b >= 0 else 0
        x_limit = r[b] + p[b] if b >= 0 else 1 << 62  # x must end its head below this
        y_limit = q[a] + p[a] if a >= 0 else 1 << 62
        for k, d in opts:
            if k == g.machine[v]:
                continue
            seq = g.seqs[k]
            best_val, best_pos = 1 << 62, -1
            for pos in range(len(seq) + 1):
                head = head_a
                if pos > 0:
                    x = seq[pos - 1]
                    if x == b or r[x] >= x_limit:
                        break  # b itself, or a later x (larger head) that a path from b may reach
                    if r[x] + p[x] > head:
                        head = r[x] + p[x]
                tail = tail_b
                if pos < len(seq):
                    y = seq[pos]
                    if y == a or q[y] >= y_limit:
                        continue
                    if q[y] + p[y] > tail:
                        tail = q[y] + p[y]
                val = head + d + tail
                if val < best_val:
                    best_val, best_pos = val, pos
            if best_pos >= 0:
                out.append((v, k, best_pos, d, best_val))
    return out


def relocate(g: Graph, v: int, k: int, pos: int, d: int) -> tuple[int, int, int]:
    """Take ``v`` off its machine and put it at ``pos`` of machine ``k``'s sequence with duration ``d``;
    returns ``(machine, position, duration)`` it had, the arguments that undo the move."""
    m = g.machine[v]
    seq = g.seqs[m]
    i = seq.index(v)
    del seq[i]
    a, b = g.mp[v], g.ms[v]
    if a >= 0:
        g.ms[a] = b
    if b >= 0:
        g.mp[b] = a
    dest = g.seqs[k]
    dest.insert(pos, v)
    a = dest[pos - 1] if pos > 0 else -1
    b = dest[pos + 1] if pos + 1 < len(dest) else -1
    g.mp[v], g.ms[v] = a, b
    if a >= 0:
        g.ms[a] = v
    if b >= 0:
        g.mp[b] = v
    old = (m, i, g.p[v])
    g.machine[v], g.p[v] = k, d
    return old
