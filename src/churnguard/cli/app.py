"""The ``churnguard`` command."""

from __future__ import annotations

import sys

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
    """Run the command line; a known failure prints one ``error:`` line and exits with code 2.

    Any other exception keeps its traceback, because it is a bug to report.
    """
    _register()
    try:
        app()
    except Exception as exc:
        from churnguard.cli.common import describe_failure  # imported late so --help stays fast

        message = describe_failure(exc)
        if message is None:
            raise
        typer.echo(f"error: {message}", err=True)
        sys.exit(2)
