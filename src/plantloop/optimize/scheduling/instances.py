"""Benchmark instance files → :class:`Problem`: JSSP "n m" format and FJSP Brandimarte format.

Both parsers read by whitespace tokens (the files mix tabs and spaces). JSSP machines are 0-indexed and
FJSP machines 1-indexed; the problem keeps that base in ``machine_base`` so output uses the file's own
numbering while the model works 0-based.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Any

from plantloop.optimize.scheduling.problem import (
    Job,
    Operation,
    Option,
    Problem,
    SchedulingInputError,
    Unavailability,
)


class InstanceFormat(Enum):
    """The text formats we read."""

    JSSP = "jssp"
    FJSP = "fjsp"


def parse_jssp(text: str, name: str = "") -> Problem:
    """Parse the standard job-shop format: ``n m`` then per job ``m`` pairs (machine, time), 0-indexed."""
    tokens = text.split()
    if len(tokens) < 2:
        raise SchedulingInputError("empty JSSP file", name=name)
    try:
        values = [int(t) for t in tokens]
    except ValueError as exc:
        raise SchedulingInputError("JSSP file has a non-integer token", name=name) from exc
    n, m = values[0], values[1]
    pos = 2
    if len(values) < 2 + 2 * n * m:
        raise SchedulingInputError("JSSP file is truncated", name=name, n=n, m=m)
    jobs = []
    for j in range(n):
        ops = []
        for _ in range(m):
            machine, duration = values[pos], values[pos + 1]
            pos += 2
            ops.append(Operation(options=(Option(machine=machine, duration=duration),)))
        jobs.append(Job(id=str(j), operations=tuple(ops)))
    return Problem(jobs=tuple(jobs), n_machines=m, machine_base=0, name=name)


def parse_fjsp(text: str, name: str = "") -> Problem:
    """Parse the Brandimarte format: ``n m avg``, then per job ``k`` ops, each ``a`` (machine, time) pairs.

    Machines are 1-indexed in the file; the third header field may be a float and is ignored.
    """
    tokens = text.split()
    if len(tokens) < 2:
        raise SchedulingInputError("empty FJSP file", name=name)
    n, m = int(tokens[0]), int(float(tokens[1]))
    # The third header field (average flexibility) is optional in some copies; it may be a float.
    pos = 3 if len(tokens) > 2 and "." in tokens[2] else 2
    if pos == 2 and len(tokens) > 2:
        # Integer third field: it is the average flexibility when the remaining token count fits.
        pos = 3 if _fits(tokens, 3, n) else 2
    values = tokens[pos:]
    idx = 0
    jobs = []
    try:
        for j in range(n):
            k = int(values[idx])
            idx += 1
            ops = []
            for _ in range(k):
                a = int(values[idx])
                idx += 1
                options = []
                for _ in range(a):
                    machine, duration = int(values[idx]), int(values[idx + 1])
                    idx += 2
                    if not 1 <= machine <= m:
                        raise SchedulingInputError("FJSP machine out of range", name=name, machine=machine)
                    options.append(Option(machine=machine - 1, duration=duration))
                ops.append(Operation(options=tuple(options)))
            jobs.append(Job(id=str(j), operations=tuple(ops)))
    except (IndexError, ValueError) as exc:
        raise SchedulingInputError("FJSP file is malformed or truncated", name=name) from exc
    return Problem(jobs=tuple(jobs), n_machines=m, machine_base=1, name=name)


def _fits(tokens: list[str], pos: int, n: int) -> bool:
    """True when the job lines starting at ``pos`` consume exactly the remaining tokens."""
    try:
        idx = pos
        for _ in range(n):
            k = int(tokens[idx])
            idx += 1
            for _ in range(k):
                a = int(tokens[idx])
                idx += 1 + 2 * a
        return idx == len(tokens)
    except (IndexError, ValueError):
        return False


def load_instance(path: str | Path, fmt: InstanceFormat | str) -> Problem:
    """Read one instance file in place."""
    p = Path(path)
    if not p.is_file():
        raise SchedulingInputError("instance file not found", path=str(p))
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SchedulingInputError("not a text instance file", path=str(p), byte=exc.start) from None
    kind = InstanceFormat(fmt) if isinstance(fmt, str) else fmt
    if kind is InstanceFormat.JSSP:
        return parse_jssp(text, name=p.stem)
    return parse_fjsp(text, name=p.stem)


def problem_from_dict(data: dict[str, Any]) -> Problem:
    """A problem from plain JSON-like data (used by scenario files; the MES adapter builds Problems itself).

    ``{"n_machines": 3, "jobs": [{"id", "operations": [[[machine, duration], ...], ...], "release", "due",
    "weight", "family"}], "unavailable": [[machine, start, end]], "setups": {machine: [[from, to, time]]}}``
    """
    jobs = []
    for jd in data["jobs"]:
        ops = tuple(
            Operation(options=tuple(Option(int(m), int(d)) for m, d in opts)) for opts in jd["operations"]
        )
        jobs.append(
            Job(
                id=str(jd["id"]),
                operations=ops,
                release=int(jd.get("release", 0)),
                due=None if jd.get("due") is None else int(jd["due"]),
                weight=int(jd.get("weight", 1)),
                family=str(jd.get("family", "")),
            )
        )
    setups = {
        int(m): {(str(a), str(b)): int(t) for a, b, t in rows} for m, rows in data.get("setups", {}).items()
    }
    unavailable = tuple(Unavailability(int(m), int(s), int(e)) for m, s, e in data.get("unavailable", []))
    return Problem(
        jobs=tuple(jobs),
        n_machines=int(data["n_machines"]),
        setups=setups,
        unavailable=unavailable,
        name=str(data.get("name", "")),
    )
