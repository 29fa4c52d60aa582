"""The ``plantloop`` command: a Typer root app that every context's CLI module registers itself on."""

from __future__ import annotations

import importlib
from typing import Any

import typer
from pydantic import ValidationError
from typer.core import TyperGroup

from plantloop.kernel.errors import PlantloopError


class _Group(TyperGroup):
    """The root command group: a plantloop error that reaches it (a malformed file, an unknown id, a
    refused transition) is the user's to fix, so it prints as one line — the message and the ids it
    names — and exits with 2, like a usage error; so does a pydantic validation error (an option or a
    file out of a config model's range, e.g. ``sim --days -1``). Anything else is a bug and keeps its
    traceback. Every command runs inside this ``invoke``, through the installed command and Typer's
    CliRunner alike."""

    def invoke(self, ctx: Any) -> Any:  # Typer's own (vendored) click context
        try:
            return super().invoke(ctx)
        except PlantloopError as exc:
            details = ", ".join(f"{k}={v}" for k, v in exc.details.items())
            typer.echo(f"error: {exc.message}" + (f" ({details})" if details else ""), err=True)
            raise typer.Exit(2) from None
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or exc.title}: {e['msg']}" for e in exc.errors()[:5]
            )
            typer.echo(f"error: {problems}", err=True)
            raise typer.Exit(2) from None


app = typer.Typer(
    cls=_Group,
    name="plantloop",
    help="plantloop — MES and data platform in one closed loop.",
    no_args_is_help=True,
    add_completion=False,
)

#: CLI modules under plantloop.cli; each exposes ``register(app)``.
MODULES: tuple[str, ...] = ("sim", "serve", "demo", "collect", "analytics", "schedule", "platform")

for _name in MODULES:
    importlib.import_module(f"plantloop.cli.{_name}").register(app)


@app.callback()
def _root() -> None:
    """plantloop — MES and data platform in one closed loop."""


@app.command()
def version() -> None:
    """Print the plantloop version."""
    from plantloop import __version__

    typer.echo(__version__)
