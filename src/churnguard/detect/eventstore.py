"""The event store: one small interface over DuckDB (the embedded default) and SQL.

Both adapters hold the same columns, and ``query`` takes SQL with ``:name`` parameters, so a
trigger written once in the portable subset (see ``detect.triggers``) runs on either. Times are
stored as UTC; DuckDB keeps them as naive UTC ``TIMESTAMP`` values.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import duckdb
from sqlalchemy import DateTime, bindparam, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite

from churnguard.clock import ensure_utc
from churnguard.errors import ConfigError
from churnguard.store.db import Database
from churnguard.store.models import Event

_CHUNK = 500
_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@dataclass
class EventRecord:
    """One raw fact about an account at one instant."""

    id: str
    account_id: str
    type: str
    occurred_at: datetime
    quantity: float = 1.0
    source: str = ""
    properties: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.occurred_at = ensure_utc(self.occurred_at)


class EventStore(Protocol):
    def add(self, events: Iterable[EventRecord]) -> int:
        """Insert the events whose id is not stored yet and return how many were inserted."""
        ...

    def count(self) -> int: ...

    def query(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Run a read-only query over the ``events`` table with ``:name`` parameters."""
        ...


def event_id(source: str, source_id: str) -> str:
    """Build the id of an event that carries its own id at the source."""
    return f"{source}:{source_id}"


def row_event_id(source: str, account_id: str, type_: str, occurred_at: datetime,
                 quantity: float, properties: dict[str, Any], occurrence: int = 0) -> str:
    """Hash a normalized row into an id, so importing the same file twice adds nothing.

    ``occurrence`` counts earlier identical rows in the same file; without it, two real
    purchases on one day with the same amounts would collapse into one event.
    """
    canonical = json.dumps(
        [account_id, type_, ensure_utc(occurred_at).isoformat(), float(quantity), properties, occurrence],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return f"{source}:{hashlib.sha256(canonical.encode()).hexdigest()[:32]}"


def _unique(events: Iterable[EventRecord]) -> dict[str, EventRecord]:
    by_id: dict[str, EventRecord] = {}
    for event in events:
        by_id.setdefault(event.id, event)
    return by_id


def _naive_utc(value: Any) -> Any:
    if isinstance(value, datetime):
        return ensure_utc(value).replace(tzinfo=None)
    return value


class DuckDBEventStore:
    """Events in a DuckDB file. Each call opens and closes its own connection.

    NOTE: DuckDB lets one process at a time open the file for writing; a second process
    (an import while ``churnguard run`` scans) fails with DuckDB's lock error instead of waiting.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self._batch_connection: duckdb.DuckDBPyConnection | None = None
        with self._connect() as con:
            con.execute(
                "CREATE TABLE IF NOT EXISTS events ("
                " id VARCHAR PRIMARY KEY, account_id VARCHAR NOT NULL, type VARCHAR NOT NULL,"
                " occurred_at TIMESTAMP NOT NULL, quantity DOUBLE NOT NULL,"
                " source VARCHAR NOT NULL, properties VARCHAR NOT NULL)"
            )

    def _connect(self) -> duckdb.DuckDBPyConnection:
        if self._batch_connection is not None:
            return self._batch_connection.cursor()  # closing a cursor leaves the held connection open
        return duckdb.connect(self.path)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Hold one connection for the calls inside, so DuckDB keeps the blocks it has read.

        A fresh connection starts with an empty buffer pool; a scan of several triggers reads
        the same columns again for each one. The file stays locked only for the batch.
        """
        if self._batch_connection is not None:
            yield
            return
        self._batch_connection = duckdb.connect(self.path)
        try:
            yield
        finally:
            connection, self._batch_connection = self._batch_connection, None
            connection.close()

    def add(self, events: Iterable[EventRecord]) -> int:
        batch = _unique(events)
        if not batch:
            return 0

        # DuckDB's executemany inserts row by row; loading a staged file is far faster.
        with tempfile.TemporaryDirectory(prefix="churnguard-events-") as folder:
            staging = Path(folder) / "events.jsonl"
            _write_staging(staging, batch.values())
            with self._connect() as con:
                return _insert_staged(con, staging)

    def count(self) -> int:
        with self._connect() as con:
            return int(con.execute("SELECT COUNT(*) FROM events").fetchone()[0])

    def query(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        duck_sql = _PARAM.sub(r"$\1", sql)
        used = set(_PARAM.findall(sql))
        values = {name: _naive_utc(value) for name, value in params.items() if name in used}
        with self._connect() as con:
            return con.execute(duck_sql, values).fetchall()


def _write_staging(path: Path, events: Iterable[EventRecord]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for event in events:
            row = {
                "id": event.id,
                "account_id": event.account_id,
                "type": event.type,
                "occurred_at": _naive_utc(event.occurred_at).isoformat(sep=" "),
                "quantity": float(event.quantity),
                "source": event.source,
                "properties": json.dumps(event.properties, sort_keys=True, default=str),
            }
            out.write(json.dumps(row) + "\n")


def _insert_staged(con: duckdb.DuckDBPyConnection, staging: Path) -> int:
    columns = (
        "{'id': 'VARCHAR', 'account_id': 'VARCHAR', 'type': 'VARCHAR', 'occurred_at': 'TIMESTAMP',"
        " 'quantity': 'DOUBLE', 'source': 'VARCHAR', 'properties': 'VARCHAR'}"
    )
    con.execute("BEGIN")
    con.execute(
        "CREATE TEMP TABLE staged AS SELECT * FROM "
        f"read_json(?, format = 'newline_delimited', columns = {columns})",
        [str(staging)],
    )
    before = int(con.execute("SELECT COUNT(*) FROM events").fetchone()[0])
    con.execute(
        "INSERT INTO events SELECT s.id, s.account_id, s.type, s.occurred_at, s.quantity, s.source,"
        " s.properties FROM staged s ANTI JOIN events e ON e.id = s.id"
    )
    after = int(con.execute("SELECT COUNT(*) FROM events").fetchone()[0])
    con.execute("DROP TABLE staged")
    con.execute("COMMIT")
    return after - before


class SqlEventStore:
    """Events in the state database's ``events`` table (SQLite or PostgreSQL)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def add(self, events: Iterable[EventRecord]) -> int:
        batch = _unique(events)
        inserted = 0
        with self.database.transaction() as session:
            for chunk in _chunks(list(batch.values()), _CHUNK):
                known = set(session.scalars(select(Event.id).where(Event.id.in_([e.id for e in chunk]))))
                rows = [_sql_row(event) for event in chunk if event.id not in known]
                if rows:
                    session.execute(self._insert_ignoring_duplicates(), rows)
                    inserted += len(rows)

        return inserted

    def _insert_ignoring_duplicates(self) -> Any:
        # A concurrent import may insert the same id between our SELECT and INSERT.
        dialect = self.database.dialect
        if dialect == "postgresql":
            return postgresql.insert(Event).on_conflict_do_nothing(index_elements=["id"])
        if dialect == "sqlite":
            return sqlite.insert(Event).on_conflict_do_nothing(index_elements=["id"])
        return insert(Event)

    def count(self) -> int:
        with self.database.session() as session:
            return int(session.execute(text("SELECT COUNT(*) FROM events")).scalar_one())

    def query(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        statement = text(sql)
        # Typed binds make SQLite compare stored and bound times in one text format.
        times = [bindparam(name, type_=DateTime(timezone=True)) for name, value in params.items()
                 if isinstance(value, datetime)]
        if times:
            statement = statement.bindparams(*times)

        values = {name: ensure_utc(v) if isinstance(v, datetime) else v for name, v in params.items()}
        with self.database.session() as session:
            return [tuple(row) for row in session.execute(statement, values)]


def _sql_row(event: EventRecord) -> dict[str, Any]:
    return {
        "id": event.id,
        "account_id": event.account_id,
        "type": event.type,
        "occurred_at": ensure_utc(event.occurred_at),
        "quantity": float(event.quantity),
        "source": event.source,
        "properties": event.properties,
    }


def _chunks(items: list[EventRecord], size: int) -> Iterator[list[EventRecord]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def batch(store: EventStore) -> AbstractContextManager[None]:
    """Let ``store`` keep one connection for a group of queries (a no-op for stores without it)."""
    hold = getattr(store, "batch", None)
    return hold() if hold is not None else nullcontext()


def open_event_store(workspace: Any) -> EventStore:
    """Open the event store that the workspace's ``event_store`` setting names."""
    kind = workspace.settings["event_store"]
    if kind == "duckdb":
        return DuckDBEventStore(workspace.events_path)
    if kind == "sql":
        return SqlEventStore(workspace.db)
    if kind == "spark":
        from churnguard.detect.spark import SparkEventStore  # pyspark is optional

        settings = workspace.settings
        return SparkEventStore(settings["detect.spark.master"], table=settings["detect.spark.table"] or None,
                               path=settings["detect.spark.path"] or None)

    raise ConfigError(f"invalid event_store setting {kind!r}; use 'duckdb', 'sql' or 'spark' in churnguard.toml")


def as_utc_datetime(value: Any) -> datetime:
    """Turn a time read back from any adapter (datetime or SQLite text) into aware UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime from the event store, got {type(value).__name__}")
    return ensure_utc(value)


__all__ = [
    "DuckDBEventStore",
    "EventRecord",
    "EventStore",
    "SqlEventStore",
    "as_utc_datetime",
    "batch",
    "event_id",
    "open_event_store",
    "row_event_id",
]
