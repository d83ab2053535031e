"""Event stores for the detection tests: DuckDB, SQLite and, when configured, PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text

from churnguard.detect.eventstore import DuckDBEventStore, EventStore, SqlEventStore
from churnguard.store.db import Database, sqlite_url

POSTGRES_ENV = "CHURNGUARD_TEST_POSTGRES_URL"
STORE_KINDS = ("duckdb", "sqlite", "postgres")


def open_store(kind: str, folder: Path, postgres_url: str | None = None) -> EventStore:
    """Open an empty store of ``kind``; PostgreSQL uses ``postgres_url`` or $CHURNGUARD_TEST_POSTGRES_URL."""
    if kind == "duckdb":
        return DuckDBEventStore(folder / "events.duckdb")
    if kind == "sqlite":
        database = Database(sqlite_url(folder / "state.sqlite3"))
        database.migrate()
        return SqlEventStore(database)

    url = postgres_url or os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"set {POSTGRES_ENV} to run the PostgreSQL event store tests")
    database = Database(url)
    database.migrate()
    with database.transaction() as session:
        session.execute(text("DELETE FROM events"))
    return SqlEventStore(database)
