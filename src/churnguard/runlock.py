"""One worker per SQLite workspace, enforced with a lock file.

SQLite has a single writer, and the DuckDB event store a single writing process, so a second
``churnguard run`` on the same embedded workspace would only contend. PostgreSQL workspaces
take no lock: their workers share the work through leases.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from churnguard.errors import StateError

LOCK_FILE = "run.lock"


@contextmanager
def single_worker(root: Path, dialect: str) -> Iterator[None]:
    """Hold the workspace's worker lock for the duration, or raise StateError if another worker has it."""
    if dialect != "sqlite":
        yield
        return

    path = root / LOCK_FILE
    handle = open(path, "a+", encoding="ascii")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise StateError(
                f"another churnguard run (pid {holder}) is working on {root}; a SQLite workspace runs one worker. "
                "Stop it first, or set database_url to PostgreSQL to run several workers"
            ) from None
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()
