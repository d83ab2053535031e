"""The ``churnguard`` command."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="churnguard",
    help="Detect churn risk, run save sequences from a CSM's agent identity, and audit every touch.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    # Each module adds its commands to ``app`` (or a sub-app) when imported.
    from churnguard.cli import commands  # noqa: F401


def main() -> None:
    _register()
    app()
