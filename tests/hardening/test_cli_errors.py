"""Setup and environment failures end in one ``error:`` line and exit code 2, never a traceback;
a bug still shows its traceback."""

from __future__ import annotations

import errno
import subprocess
import sys
import time
from pathlib import Path

import pytest

from churnguard.cli import common
from churnguard.clock import parse_as_of
from churnguard.workspace import Workspace

from .conftest import add_settings


def assert_one_clean_error(result, *needles: str) -> None:
    assert result.code == 2
    assert result.err.count("error:") == 1
    assert "Traceback" not in result.err
    for needle in needles:
        assert needle in result.err


@pytest.mark.parametrize("as_of", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+01:00", "1899-12-31", "3000-01-01"])
def test_extreme_as_of_is_rejected(workspace_dir: Path, churnguard, as_of: str) -> None:
    result = churnguard("scan", "--as-of", as_of, "-w", str(workspace_dir))

    assert_one_clean_error(result, "--as-of")


def test_as_of_range_edges() -> None:
    assert parse_as_of("1900-01-01").year == 1900
    assert parse_as_of("2999-12-31T23:59:59Z").year == 2999
    with pytest.raises(ValueError, match="out of range"):
        parse_as_of("3000-01-01T00:00:00Z")


def test_unreachable_database_hides_password(workspace_dir: Path, churnguard) -> None:
    add_settings(workspace_dir, 'database_url = "postgresql://u:secretpw@127.0.0.1:1/db"')

    result = churnguard("scan", "-w", str(workspace_dir))

    assert_one_clean_error(result, "state database", "database_url")
    assert "secretpw" not in result.err


def test_missing_database_folder(workspace_dir: Path, churnguard, tmp_path: Path) -> None:
    add_settings(workspace_dir, f'database_url = "sqlite:///{tmp_path}/missing/dir/x.db"')

    result = churnguard("run", "--once", "-w", str(workspace_dir))

    assert_one_clean_error(result, "unable to open database file", "database_url")


def test_read_only_database(workspace_dir: Path, churnguard) -> None:
    # A read-only SQLite URI replaces a read-only mount, because chmod does not stop root.
    path = workspace_dir / "state.sqlite3"
    add_settings(workspace_dir, f'database_url = "sqlite:///file:{path}?mode=ro&uri=true"')
    path.unlink()
    path.touch()

    result = churnguard("scan", "-w", str(workspace_dir))

    assert_one_clean_error(result, "readonly database", "writable")


def test_settings_file_not_utf8(workspace_dir: Path, churnguard) -> None:
    with open(workspace_dir / "churnguard.toml", "ab") as handle:
        handle.write(b'\ncompany_name = "\xff"\n')

    result = churnguard("scan", "-w", str(workspace_dir))

    assert_one_clean_error(result, "not valid utf-8", "churnguard.toml")


def test_locked_event_store(workspace_dir: Path, churnguard) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time\n"
         f"connection = duckdb.connect({str(workspace_dir / 'events.duckdb')!r})\n"
         "print('ready', flush=True)\ntime.sleep(30)\n"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        started = time.monotonic()
        result = churnguard("run", "--once", "-w", str(workspace_dir))
    finally:
        holder.kill()
        holder.wait()

    assert_one_clean_error(result, "event store", "lock")
    assert time.monotonic() - started < 25


def test_window_days_overflow_is_clean(workspace_dir: Path, churnguard) -> None:
    add_settings(workspace_dir, '"detect.silent_churn.window_days" = 99999999')

    result = churnguard("run", "--once", "-w", str(workspace_dir))

    assert_one_clean_error(result, "detect.silent_churn.window_days")


def test_unexpected_error_keeps_traceback(workspace_dir: Path, churnguard, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(Workspace, "open", broken)

    with pytest.raises(RuntimeError, match="a bug"):
        churnguard("scan", "-w", str(workspace_dir))


@pytest.mark.parametrize("exc,needle", [
    (PermissionError(errno.EACCES, "Permission denied", "/ws/state.sqlite3"), "permission denied on /ws/state.sqlite3"),
    (OSError(errno.EROFS, "Read-only file system", "/ws/rejects"), "read-only file system on /ws/rejects"),
    (OSError(errno.ENOSPC, "No space left on device"), "no space left"),
    (OverflowError("date value out of range"), "--as-of"),
])
def test_environment_errors_are_described(exc: BaseException, needle: str) -> None:
    assert needle in (common.describe_failure(exc) or "")


def test_other_errors_are_not_described() -> None:
    assert common.describe_failure(RuntimeError("bug")) is None
    assert common.describe_failure(KeyError("x")) is None
    assert common.describe_failure(OSError(errno.EIO, "I/O error")) is None
