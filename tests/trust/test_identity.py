"""Identities act only while active and in scope; revoke stops or moves their work; roles guard the audit log."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from churnguard.cli import commands  # noqa: F401  registers the commands
from churnguard.cli.app import app
from churnguard.store.models import Account, AuditEvent, Identity, Sequence, Touch
from tests.loop.conftest import AGENT, CUSTOMER, add_collapsing_account

runner = CliRunner()


def _cli(ws, *args):
    result = runner.invoke(app, [*args, "--workspace", str(ws.root), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _kim(ws):
    return _cli(
        ws, "identity", "create", "kim-agent", "--address", "kim.agent@agent.example.com", "--csm-id", "kim",
        "--csm-name", "Kim Ito", "--csm-email", "kim@csm.example.com", "--by", "lead",
    )


def test_suspended_identity_waits_and_resumes(make_loop):
    loop = make_loop()
    add_collapsing_account(loop.workspace)
    loop.run()
    _cli(loop.workspace, "identity", "suspend", AGENT.id, "--by", "lead")
    loop.run(days=4.2)
    assert len(loop.messages_for(CUSTOMER)) == 1
    with loop.workspace.db.session() as session:
        assert session.get(Sequence, 1).open_key is not None  # waiting, not stopped
    _cli(loop.workspace, "identity", "resume", AGENT.id, "--by", "lead")
    loop.run(days=3.8)  # past the weekend, inside the contact's send window
    assert len(loop.messages_for(CUSTOMER)) == 2


def test_scope_is_checked_when_sending(make_loop):
    loop = make_loop()
    add_collapsing_account(loop.workspace)
    with loop.workspace.db.transaction() as session:
        session.get(Identity, AGENT.id).scopes = ["vault:read", "mail:read"]
    loop.run()
    assert loop.messages_for(CUSTOMER) == []


def test_revoke_stops_everything_and_is_audited(make_loop):
    loop = make_loop()
    add_collapsing_account(loop.workspace)
    loop.run()
    report = _cli(loop.workspace, "identity", "revoke", AGENT.id, "--by", "lead", "--shred")
    assert report["stopped_sequences"] == [1]
    assert report["shredded_keys"] == 1
    loop.run(days=5)
    assert len(loop.messages_for(CUSTOMER)) == 1
    with loop.workspace.db.session() as session:
        types = list(session.scalars(select(AuditEvent.type).order_by(AuditEvent.id)))
    assert types[-3:] == ["sequence.stopped", "key.shredded", "identity.revoked"]
    assert _cli(loop.workspace, "audit", "verify")["ok"] is True


def test_revoke_with_reassign_moves_the_book(make_loop):
    loop = make_loop()
    add_collapsing_account(loop.workspace)
    loop.run()
    _kim(loop.workspace)
    report = _cli(loop.workspace, "identity", "revoke", AGENT.id, "--by", "lead", "--reassign-to", "kim-agent", "--shred")
    assert report["moved_accounts"] == ["acct-1"]
    assert report["moved_sequences"] == [1]

    loop.run(days=4.2)
    with loop.workspace.db.session() as session:
        assert session.get(Account, "acct-1").name == "Example Freight"  # re-sealed under kim's key
        senders = list(session.scalars(select(Touch.identity_id).where(Touch.state == "sent").order_by(Touch.id)))
        assert session.get(Sequence, 1).identity_id == "kim-agent"
    assert senders == [AGENT.id, "kim-agent"]


def test_accounts_reassign_and_show(make_loop):
    loop = make_loop()
    add_collapsing_account(loop.workspace)
    _kim(loop.workspace)
    moved = _cli(loop.workspace, "accounts", "reassign", "acct-1", "--to", "kim-agent", "--by", "lead")
    assert moved[0]["account"] == "acct-1"
    assert _cli(loop.workspace, "identity", "show", "kim-agent")["accounts"] == 1
    assert [row["id"] for row in _cli(loop.workspace, "identity", "list")] == [AGENT.id, "kim-agent"]


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)  # database roles are a PostgreSQL feature
def test_app_role_audit_insert_only(make_loop):
    ws = make_loop().workspace
    with ws.db.engine.begin() as connection:
        connection.execute(text("DROP ROLE IF EXISTS cg_app_test"))
        connection.execute(text("CREATE ROLE cg_app_test LOGIN"))
    _cli(ws, "audit", "grant-role", "cg_app_test")

    url = ws.db.engine.url.set(username="cg_app_test")
    app_engine = create_engine(url)
    try:
        with app_engine.begin() as connection:
            connection.execute(text("SELECT pg_advisory_xact_lock(1)"))
            connection.execute(text("UPDATE identities SET display_name = display_name"))
            connection.execute(text(
                "INSERT INTO audit_events (at, type, detail, prev_hash, hash) VALUES (now(), 'handoff', '{}', 'p', 'h')"
            ))
        for statement in ("UPDATE audit_events SET type = 'x'", "DELETE FROM audit_events", "TRUNCATE audit_events",
                          "ALTER TABLE audit_events DISABLE TRIGGER USER", "DELETE FROM audit_checkpoints"):
            with pytest.raises(DBAPIError, match="permission denied|must be owner"):
                with app_engine.begin() as connection:
                    connection.execute(text(statement))
    finally:
        app_engine.dispose()
