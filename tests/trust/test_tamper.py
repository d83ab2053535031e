"""Tampering with the database directly is detected or refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from churnguard.audit import AuditEntry, record, sign_head, verify
from churnguard.domain import AuditType
from churnguard.store.models import Account, AuditEvent
from churnguard.vault import VaultError, vault_get
from churnguard.store.models import Identity
from tests.loop.conftest import AGENT, START, add_collapsing_account


def _drop_guards(ws):
    with ws.db.engine.begin() as connection:
        if ws.db.dialect == "postgresql":
            connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER audit_events_no_update"))
            connection.execute(text("DROP TRIGGER audit_events_no_delete"))


def _fill(ws, entries=6):
    with ws.db.transaction() as session:
        for n in range(entries):
            record(session, AuditEntry(AuditType.HANDOFF, START, identity_id=AGENT.id, detail={"n": n}))


def _verify(ws):
    with ws.db.session() as session:
        return verify(session)


@pytest.fixture
def loop(make_loop):
    loop = make_loop()
    _fill(loop.workspace)
    _drop_guards(loop.workspace)
    return loop


def test_edit_is_named(loop):
    with loop.workspace.db.engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET identity_id = 'someone-else' WHERE id = 4"))
    result = _verify(loop.workspace)
    assert (result.ok, result.first_bad_id) == (False, 4)
    assert "edited" in result.reason


def test_delete_is_named(loop):
    with loop.workspace.db.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE id = 3"))
    result = _verify(loop.workspace)
    assert (result.ok, result.first_bad_id) == (False, 4)


def test_reorder_is_named(loop):
    with loop.workspace.db.engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET id = 1000 WHERE id = 3"))
        connection.execute(text("UPDATE audit_events SET id = 3 WHERE id = 5"))
        connection.execute(text("UPDATE audit_events SET id = 5 WHERE id = 1000"))
    result = _verify(loop.workspace)
    assert (result.ok, result.first_bad_id) == (False, 3)


def test_insert_is_named(loop):
    columns = "at, type, identity_id, authorized_by, signal_key, account_id, sequence_id, touch_id, detail"
    with loop.workspace.db.engine.begin() as connection:
        connection.execute(text(
            f"INSERT INTO audit_events (id, {columns}, prev_hash, hash) "
            f"SELECT 100, {columns}, '{'f' * 64}', '{'e' * 64}' FROM audit_events WHERE id = 2"
        ))
    result = _verify(loop.workspace)
    assert (result.ok, result.first_bad_id) == (False, 100)


def test_rewritten_chain_fails_its_signed_checkpoint(loop):
    from churnguard.audit.log import GENESIS, entry_hash

    with loop.workspace.db.transaction() as session:
        assert sign_head(session) is not None
    with loop.workspace.db.session() as session:
        rows = list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
        edited = rows[2].id
        rows[2].identity_id = "someone-else"
        prev, forged = GENESIS, []
        for row in rows:  # an attacker recomputes every hash after the edit
            forged.append({"id": row.id, "p": prev, "h": entry_hash(row, prev)})
            prev = forged[-1]["h"]
        session.rollback()
    with loop.workspace.db.engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET identity_id = 'someone-else' WHERE id = :id"), {"id": edited})
        connection.execute(text("UPDATE audit_events SET prev_hash = 'x' || id, hash = 'y' || id"))
        connection.execute(text("UPDATE audit_events SET prev_hash = :p, hash = :h WHERE id = :id"), forged)

    result = _verify(loop.workspace)
    assert not result.ok
    assert "rewritten" in result.reason
    assert result.first_bad_id == 1  # no earlier checkpoint matches, so the report starts at entry 1


def test_swapped_ciphertexts_are_refused(make_loop):
    loop = make_loop()
    add_collapsing_account(loop.workspace, "acct-1")
    add_collapsing_account(loop.workspace, "acct-2", contacts=1)
    with loop.workspace.db.engine.begin() as connection:
        one = connection.execute(text("SELECT sealed FROM accounts WHERE id = 'acct-1'")).scalar_one()
        connection.execute(text("UPDATE accounts SET sealed = :s WHERE id = 'acct-2'"), {"s": one})
    with loop.workspace.db.session() as session:
        identity = session.get(Identity, AGENT.id)
        assert vault_get(session, identity, "acct-1").name == "Example Freight"
        with pytest.raises(VaultError, match="moved from another row"):
            vault_get(session, identity, "acct-2")


def test_flipped_ciphertext_byte_is_refused(make_loop):
    loop = make_loop()
    add_collapsing_account(loop.workspace, "acct-1")
    with loop.workspace.db.engine.begin() as connection:
        blob = bytearray(connection.execute(text("SELECT sealed FROM accounts")).scalar_one())
        blob[-1] ^= 1
        connection.execute(text("UPDATE accounts SET sealed = :s"), {"s": bytes(blob)})
    with loop.workspace.db.session() as session:
        with pytest.raises(VaultError, match="integrity"):
            session.scalar(select(Account)).plan
