"""``plantloop analytics``: run the maintenance analytics' benchmark evaluations (SKAB, NAB, C-MAPSS, AI4I).

``plantloop analytics evaluate TASK --data PATH [--json]`` prints the task's metric; with ``--json`` the last
line of stdout is one JSON object ``{"task", "metric", "value", ...extras}``. An unknown task or a folder in
the wrong format is reported in one line on stderr with exit code 2.
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from plantloop.optimize.evaluation import EvaluationError, evaluate_task, known_tasks

analytics_app = typer.Typer(
    name="analytics", help="Anomaly detection, RUL and failure-prediction analytics.", no_args_is_help=True
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
