"""Options and helpers every command shares."""

from __future__ import annotations

import errno
import json
import re
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


# user:password@ in a database URL that a driver message might repeat.
_URL_CREDENTIALS = re.compile(r"(?<=://)[^/@\s]*@")


def describe_failure(exc: BaseException) -> str | None:
    """Return the one-line message for a failure the user can fix, or None for a bug.

    Messages name the file, setting or value involved and the fix. They never repeat a
    database URL, which may carry a password.
    """
    if isinstance(exc, ChurnguardError):
        return str(exc)
    if isinstance(exc, UnicodeDecodeError):
        return (f"a settings or input file is not valid {exc.encoding} (byte {exc.start}); "
                "save churnguard.toml and the files you passed as UTF-8")
    if isinstance(exc, OverflowError):
        return ("a date or number is out of range; check --as-of and the day counts in churnguard.toml "
                "('churnguard settings' lists them)")
    if isinstance(exc, OSError):
        return _describe_os_error(exc)
    return _describe_database_error(exc)


def _describe_os_error(exc: OSError) -> str | None:
    where = f" on {exc.filename}" if exc.filename else ""
    if isinstance(exc, PermissionError) or exc.errno == errno.EACCES:
        return f"permission denied{where}; make the workspace folder writable by this user"
    if exc.errno == errno.EROFS:
        return f"read-only file system{where}; run churnguard on a writable copy of the workspace"
    if exc.errno == errno.ENOSPC:
        return f"no space left on device{where}; free some space and run again"
    return None


def _describe_database_error(exc: BaseException) -> str | None:
    kind = f"{type(exc).__module__}.{type(exc).__name__}"
    if kind == "sqlalchemy.exc.OperationalError":
        reason = _first_line(getattr(exc, "orig", None) or exc)
        return (f"the state database could not be used ({reason}); check database_url in churnguard.toml "
                "or $CHURNGUARD_DATABASE_URL, that the server is running and that the workspace is writable")
    if kind.startswith("_duckdb.") or kind.startswith("duckdb."):
        reason = _first_line(exc)
        if "lock" in reason.lower():
            return (f"the event store is locked by another process ({reason}); "
                    "wait for the other churnguard command to finish, or stop it")
        if "IOException" in kind or "PermissionException" in kind:
            return f"the event store could not be opened ({reason}); check that the workspace is writable"
    return None


def _first_line(exc: object) -> str:
    text = str(exc).strip().splitlines()
    return _URL_CREDENTIALS.sub("***@", text[0] if text else type(exc).__name__)
