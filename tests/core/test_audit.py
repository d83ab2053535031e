"""The audit log is append-only in the database and its hash chain shows any edit."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from churnguard.audit import AuditEntry, record, verify
from churnguard.domain import AuditType
from churnguard.store.db import Database, sqlite_url

AT = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(params=["sqlite", "postgres"])
def database(request, tmp_path):
    url = sqlite_url(tmp_path / "state.sqlite3") if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    db = Database(url)
    db.migrate()
    with db.transaction() as session:
        for index in range(5):
            entry = AuditEntry(AuditType.TOUCH_SENT, AT + timedelta(minutes=index), identity_id="a", detail={"n": index})
            record(session, entry)
    yield db
    db.dispose()


def test_intact_chain_verifies(database):
    with database.transaction() as session:
        result = verify(session)
    assert (result.ok, result.entries) == (True, 5)


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET type = 'x'", "DELETE FROM audit_events WHERE id = 2"])
def test_database_rejects_changes(database, statement):
    with pytest.raises(DBAPIError, match="append-only"):
        with database.engine.begin() as connection:
            connection.execute(text(statement))


def _drop_guards(database):
    with database.engine.begin() as connection:
        if database.dialect == "postgresql":
            connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER audit_events_no_update"))
            connection.execute(text("DROP TRIGGER audit_events_no_delete"))


def test_verify_finds_edited_entry(database):
    _drop_guards(database)
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET identity_id = 'someone-else' WHERE id = 3"))

    with database.transaction() as session:
        result = verify(session)
    assert (result.ok, result.first_bad_id) == (False, 3)
    assert "edited" in result.reason


def test_verify_finds_deleted_entry(database):
    _drop_guards(database)
    with database.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE id = 2"))

    with database.transaction() as session:
        result = verify(session)
    assert (result.ok, result.first_bad_id) == (False, 3)
    assert "deleted or reordered" in result.reason


def test_entry_rolls_back_with_its_transaction(database):
    with pytest.raises(RuntimeError):
        with database.transaction() as session:
            record(session, AuditEntry(AuditType.HANDOFF, AT, identity_id="a"))
            raise RuntimeError("the state change failed")

    with database.transaction() as session:
        assert verify(session).entries == 5


def test_concurrent_appends_keep_one_chain(tmp_path):
    import threading

    db = Database(sqlite_url(tmp_path / "state.sqlite3"))
    db.migrate()
    errors: list[Exception] = []

    def append(worker: int) -> None:
        try:
            for index in range(20):
                with db.transaction() as session:
                    session.execute(text("SELECT COUNT(*) FROM audit_events")).scalar()  # read before the append
                    record(session, AuditEntry(AuditType.TOUCH_SENT, AT, identity_id=f"w{worker}", detail={"n": index}))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=append, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with db.transaction() as session:
        result = verify(session)
    assert (result.ok, result.entries) == (True, 80)
    db.dispose()
