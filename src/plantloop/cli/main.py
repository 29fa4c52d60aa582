"""The ``plantloop`` command: a Typer root app that every context's CLI module registers itself on."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
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
