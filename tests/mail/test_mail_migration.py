"""Migration 0005 matches the mail models, and goes down to 0004 and up again."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from churnguard.store.db import MIGRATIONS, Database
from churnguard.store.models import Base

MINE = ("auto_responses", "mailbox_cursors")


def run(engine: sa.Engine, action, revision: str) -> None:  # noqa: ANN001
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        action(config, revision)


def test_migration_0005_round_trip(tmp_path) -> None:  # noqa: ANN001
    db = Database(f"sqlite:///{tmp_path / 'state.sqlite3'}")
    db.migrate()
    with db.engine.connect() as connection:
        differences = [str(d) for d in compare_metadata(MigrationContext.configure(connection), Base.metadata)]
    assert [d for d in differences if any(table in d for table in MINE)] == []

    run(db.engine, command.downgrade, "0004")
    inspector = sa.inspect(db.engine)
    assert "auto_responses" not in inspector.get_table_names()
    assert "token" not in {column["name"] for column in inspector.get_columns("mailbox_cursors")}

    run(db.engine, command.upgrade, "head")
    inspector = sa.inspect(db.engine)
    assert "auto_responses" in inspector.get_table_names()
    assert "token" in {column["name"] for column in inspector.get_columns("mailbox_cursors")}
    db.dispose()
