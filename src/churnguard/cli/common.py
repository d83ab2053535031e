"""Options and helpers every command shares."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from churnguard.clock import Clock, clock_for
from churnguard.errors import ChurnguardError
from churnguard.workspace import Workspace

WorkspaceOption = Annotated[
    Optional[Path],
    typer.Option(
        "--workspace",
        "-w",
        help="workspace folder (default: $CHURNGUARD_WORKSPACE, else the current folder)",
        envvar="CHURNGUARD_WORKSPACE",
        show_envvar=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="print the result as JSON")]
AsOfOption = Annotated[
    Optional[str],
    typer.Option("--as-of", help="pin the clock to this date or instant (replay history), e.g. 1998-04-01"),
]


def open_workspace(root: Path | None, as_of: str | None = None) -> Workspace:
    """Open the workspace, turning a bad --as-of or a missing folder into a clean exit."""
    try:
        clock: Clock = clock_for(as_of)
    except ValueError as exc:
        fail(str(exc))
    try:
        return Workspace.open(root, clock=clock)
    except ChurnguardError as exc:
        fail(str(exc))


def fail(message: str, code: int = 2) -> "typer.Exit":
    """Print an error to stderr and exit with ``code``."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def emit(data: Any, as_json: bool, text: str | None = None) -> None:
    """Print ``data`` as JSON, or ``text`` for people."""
    if as_json:
        json.dump(data, sys.stdout, indent=2, default=str, ensure_ascii=False)
        sys.stdout.write("\n")
    elif text is not None:
        typer.echo(text)
