"""``plantloop analytics``: run the analytics' benchmark evaluations (SKAB, NAB, C-MAPSS, AI4I, RCA).

``plantloop analytics evaluate TASK --data PATH [--json]`` prints the task's metric; with ``--json`` the last
line of stdout is one JSON object ``{"task", "metric", "value", ...extras}``. An unknown task or a folder in
the wrong format is reported in one line on stderr with exit code 2.
"""

from __future__ import annotations

import json
import os
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from plantloop.optimize.evaluation import EvaluationError, EvaluationResult, evaluate_task, known_tasks

analytics_app = typer.Typer(
    name="analytics",
    help="Quality and maintenance analytics: benchmark evaluations on public data and the plant twin.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(analytics_app, name="analytics")


@analytics_app.command()
def evaluate(
    task: Annotated[str, typer.Argument(help=f"Benchmark task: {', '.join(known_tasks())}.")],
    data: Annotated[Path, typer.Option("--data", help="Data folder of the task (e.g. datasets/skab).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object as the last line.")] = False,
) -> None:
    """Evaluate TASK on the data folder and print its metric."""
    err = Console(stderr=True)
    try:
        if task == "rca":
            result = _evaluate_rca(data, err, quiet=as_json)
        elif task == "nab":
            result = _evaluate_nab(data, err, quiet=as_json)
        else:
            status = err.status(f"evaluating {task} on {data} …") if not as_json else nullcontext()
            with status:
                result = evaluate_task(task, data)
    except EvaluationError as exc:
        err.print(f"[red]error:[/] {exc.message}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from None
    if as_json:
        typer.echo(json.dumps(result.to_dict(), default=float))
        return
    typer.echo(f"{result.task}: {result.metric} = {result.value}")
    for key, value in result.extras.items():
        typer.echo(f"  {key}: {value}")


def _bar(label: str, err: Console, *, quiet: bool) -> Progress:
    """A transient progress bar on stderr (off with ``--json``); the task's description shows the latest."""
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        disable=quiet,
        transient=True,
    )


def _evaluate_rca(data: Path, err: Console, *, quiet: bool) -> EvaluationResult:
    """The root-cause evaluation simulates one plant run per scenario: show a progress bar over them."""
    from plantloop.optimize.evaluation import rca

    with _bar("[bold]rca[/] scenarios", err, quiet=quiet) as bar:
        job = bar.add_task("", total=None)

        def progress(done: int, total: int, cases: list[rca.CaseResult]) -> None:
            last = ", ".join(f"{c.fault}: rank {c.rank}" for c in cases if c.evaluable)
            bar.update(job, completed=done, total=total, description=last)

        return rca.evaluate(data, progress=progress)


def _evaluate_nab(data: Path, err: Console, *, quiet: bool) -> EvaluationResult:
    """NAB streams 58 series through two detectors: one process per core, a progress bar over the series."""
    from plantloop.optimize.evaluation import nab

    with _bar("[bold]nab[/] series × detectors", err, quiet=quiet) as bar:
        job = bar.add_task("", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(job, completed=done, total=total)

        return nab.evaluate(data, workers=os.cpu_count() or 1, progress=progress)
