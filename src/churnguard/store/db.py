"""Engine and session setup for SQLite (the embedded default) and PostgreSQL."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from churnguard.errors import ConfigError

MIGRATIONS = Path(__file__).parent / "migrations"
IMMEDIATE_OPTION = "churnguard_sqlite_immediate"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    try:
        engine = create_engine(url, future=True)
    except Exception as exc:  # SQLAlchemy raises several types for a bad URL
        raise ConfigError(f"invalid database_url: {exc}; use sqlite:///PATH or postgresql://...") from None

    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
    # Let SQLAlchemy, not the driver, decide when transactions begin (see below).
    dbapi_connection.isolation_level = None


def _sqlite_begin_immediate(connection) -> None:  # type: ignore[no-untyped-def]
    """Begin a SQLite transaction; ``Database.transaction`` takes the write lock at once.

    With a deferred BEGIN, two write transactions could both read the audit chain's tail
    before either wrote, and the second then failed on its stale link (several threads of the
    web server, or a server beside a worker, write to one file). Plain sessions stay deferred,
    so a read inside a write transaction (the vault's key lookups) does not wait on itself.
    """
    immediate = connection.get_execution_options().get(IMMEDIATE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class Database:
    """An engine plus a session factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Open a session that commits on success and rolls back on error."""
        with self._sessions() as session:
            with session.begin():
                if self.dialect == "sqlite":
                    session.connection(execution_options={IMMEDIATE_OPTION: True})
                yield session

    def session(self) -> Session:
        return self._sessions()

    def migrate(self) -> None:
        migrate(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()
