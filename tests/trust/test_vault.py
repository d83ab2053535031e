"""The vault: ownership without existence leaks, loud key failures, rotation, shred, no default key."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import select, text

from churnguard.errors import ConfigError, StateError
from churnguard.identity import NewIdentity, create_identity, suspend
from churnguard.keyprovider import ENV_VAR, env_value
from churnguard.store.models import Account, AuditEvent, Contact, Identity
from churnguard.vault import VaultError, vault_get
from churnguard.vault.admin import rotate_data_key, rotate_master, shred
from churnguard.workspace import Workspace
from tests.loop.conftest import AGENT, CUSTOMER, START, add_collapsing_account

OTHER = NewIdentity("kim-agent", "kim", "Kim Ito", "kim@csm.example.com", "kim.agent@agent.example.com", "lead", "Robin Park", "robin@csm.example.com")


def _other(ws):
    with ws.db.transaction() as session:
        create_identity(session, OTHER, now=START, selector="cg-kim")


def test_values_are_sealed_and_addresses_searchable(make_loop):
    ws = make_loop().workspace
    add_collapsing_account(ws)
    with ws.db.engine.connect() as connection:
        blob = connection.execute(text("SELECT sealed FROM accounts")).scalar_one()
        index = connection.execute(text("SELECT email_index FROM contacts")).scalar_one()
    assert blob.startswith(b"cg1")
    assert AGENT.id.encode() in blob
    assert b"Example Freight" not in blob
    assert CUSTOMER not in index
    with ws.db.session() as session:
        assert session.scalar(select(Contact).where(Contact.email == CUSTOMER.upper())).name == "Pat Lee"


def test_other_identity_gets_not_found(make_loop):
    ws = make_loop().workspace
    add_collapsing_account(ws)
    _other(ws)
    with ws.db.transaction() as session:
        kim = session.get(Identity, OTHER.id)
        assert vault_get(session, kim, "acct-1") is None
        assert vault_get(session, kim, "no-such-account") is None
        facts = vault_get(session, session.get(Identity, AGENT.id), "acct-1")
        assert facts.plan == "Team"
        assert "Team" not in repr(facts)
    with ws.db.session() as session:
        reads = list(session.scalars(select(AuditEvent).where(AuditEvent.type == "vault.read")))
    assert [(r.identity_id, r.account_id) for r in reads] == [(AGENT.id, "acct-1")]
    assert "Team" not in str(reads[0].detail)


def test_suspended_identity_cannot_read(make_loop):
    ws = make_loop().workspace
    add_collapsing_account(ws)
    with ws.db.transaction() as session:
        suspend(session, AGENT.id, by="lead", now=START)
    with ws.db.session() as session:
        with pytest.raises(StateError, match="suspended"):
            vault_get(session, session.get(Identity, AGENT.id), "acct-1")


def test_shredded_key_fails_loudly_naming_the_key(make_loop):
    ws = make_loop().workspace
    add_collapsing_account(ws)
    with ws.db.transaction() as session:
        shred(session, AGENT.id, START, by="lead")
    reopened = Workspace.open(ws.root)  # a fresh process: nothing cached
    with reopened.db.session() as session:
        with pytest.raises(VaultError, match=f"{AGENT.id}' v1 was shredded"):
            session.scalar(select(Account)).name
    reopened.close()


def test_rotations_keep_data_readable(make_loop):
    ws = make_loop().workspace
    add_collapsing_account(ws, "acct-1")
    with ws.db.transaction() as session:
        assert rotate_data_key(session, AGENT.id, START, by="lead") == 2
    add_collapsing_account(ws, "acct-2")
    new_id, moved = rotate_master(ws.db, ws.keys_dir, by="lead")
    assert moved >= 3

    reopened = Workspace.open(ws.root)
    with reopened.db.session() as session:
        versions = {row.id: bytes(row.sealed)[4 + len(AGENT.id):8 + len(AGENT.id)] for row in session.scalars(select(Account))}
        assert versions == {"acct-1": b"\0\0\0\1", "acct-2": b"\0\0\0\2"}
        assert {row.name for row in session.scalars(select(Account))} == {"Example Freight"}
        assert set(session.scalars(text("SELECT master_key_id FROM data_keys WHERE wrapped IS NOT NULL"))) == {new_id}
    reopened.close()


def _read_name(root):
    reopened = Workspace.open(root)
    try:
        with reopened.db.session() as session:
            return session.scalar(select(Account)).name
    finally:
        reopened.close()


def test_no_default_key_and_environment_key(make_loop, monkeypatch):
    ws = make_loop().workspace
    add_collapsing_account(ws)
    folder = ws.keys_dir / "master"
    saved = {path.name: path.read_bytes() for path in folder.glob("*")}
    for path in folder.glob("*"):
        path.unlink()
    with pytest.raises(ConfigError, match="no master key"):
        _read_name(ws.root)

    monkeypatch.setenv(ENV_VAR, env_value(secrets.token_bytes(32)))
    with pytest.raises(ConfigError, match="is not available"):
        _read_name(ws.root)

    key = next(data for name, data in saved.items() if name.endswith(".key"))
    monkeypatch.setenv(ENV_VAR, env_value(key))
    assert _read_name(ws.root) == "Example Freight"
