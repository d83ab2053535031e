"""The one-click unsubscribe endpoint: GET changes nothing, the RFC 8058 POST suppresses everywhere."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from churnguard.audit import verify as verify_chain
from churnguard.clock import FixedClock
from churnguard.keys import unsubscribe_secret, unsubscribe_token
from churnguard.setup_workspace import init_workspace
from churnguard.store.models import Account, AuditEvent, Contact, Sequence
from churnguard.web.unsubscribe import contact_from_token, is_one_click, routes
from churnguard.workspace import Workspace
from churnguard.identity import NewIdentity

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
CUSTOMER = "pat.lee@customer.example.org"
AGENT = NewIdentity(id="dana-agent", csm_id="dana", csm_name="Dana Reyes", csm_email="dana@csm.example.com",
                    address="dana.agent@agent.example.com", authorized_by="lead", authorizer_name="Robin Park",
                    authorizer_email="robin@csm.example.com")


@pytest.fixture
def started(tmp_path: Path):  # noqa: ANN201
    """A workspace with one open sequence; the customer is a contact at two accounts."""
    clock = FixedClock(START)
    init_workspace(tmp_path / "ws", AGENT, clock=clock)
    workspace = Workspace.open(tmp_path / "ws", clock=clock)
    with workspace.db.transaction() as session:
        for account_id in ("acct-1", "acct-2"):
            session.add(Account(id=account_id, name="Example Freight", owner_identity_id=AGENT.id))
        session.flush()
        session.add(Contact(account_id="acct-1", email=CUSTOMER, name="Pat Lee", is_main=True))
        session.add(Contact(account_id="acct-2", email=CUSTOMER.upper(), name="Pat Lee"))
        session.flush()
        session.add(Sequence(open_key="acct-1:silent_churn", account_id="acct-1", play="silent_churn",
                             identity_id=AGENT.id, contact_id=1, state="waiting", started_at=START, updated_at=START))
    yield workspace
    workspace.close()


def _link(workspace: Workspace) -> str:
    return "/u/" + unsubscribe_token(unsubscribe_secret(workspace.keys_dir), 1)


def _client(workspace: Workspace) -> TestClient:
    return TestClient(Starlette(routes=routes(workspace.root)))


def _state(workspace: Workspace) -> tuple[list[bool], list[str | None], int]:
    with workspace.db.transaction() as session:
        suppressed = [c.suppressed for c in session.scalars(select(Contact).order_by(Contact.id))]
        keys = [s.open_key for s in session.scalars(select(Sequence))]
        audits = len(list(session.scalars(select(AuditEvent).where(AuditEvent.type == "contact.suppressed"))))
    return suppressed, keys, audits


def test_get_shows_a_confirmation_and_changes_nothing(started: Workspace) -> None:
    before = _state(started)
    response = _client(started).get(_link(started))
    assert response.status_code == 200
    assert 'method="post"' in response.text
    assert "One-Click" in response.text
    assert _state(started) == before
    assert before[0] == [False, False]
    assert before[1][0] is not None


def test_one_click_post_suppresses_everywhere(started: Workspace) -> None:
    client = _client(started)
    response = client.post(_link(started), content=b"List-Unsubscribe=One-Click",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200
    suppressed, keys, audits = _state(started)
    assert suppressed == [True, True]
    assert keys == [None]
    assert audits == 2
    with started.db.transaction() as session:
        assert verify_chain(session).ok

    again = client.post(_link(started), content=b"List-Unsubscribe=One-Click")
    assert again.status_code == 200
    assert _state(started)[2] == 2  # a repeated POST writes no second audit event


@pytest.mark.parametrize("body", [b"", b"List-Unsubscribe=Yes", b"unsubscribe", b"List-Unsubscribe=One-Click" + b"x" * 5000])
def test_post_without_the_one_click_body_changes_nothing(started: Workspace, body: bytes) -> None:
    before = _state(started)
    response = _client(started).post(_link(started), content=body)
    assert response.status_code == 400
    assert _state(started) == before


def test_forged_or_foreign_tokens_are_refused(started: Workspace) -> None:
    secret = unsubscribe_secret(started.keys_dir)
    good = unsubscribe_token(secret, 1)
    forged = good[:-1] + ("0" if good[-1] != "0" else "1")
    other = unsubscribe_token(b"another workspace's secret", 1)
    client = _client(started)
    for token in (forged, other, "1", "x.y", "2." + good.split(".")[1]):
        assert contact_from_token(secret, token) is None
        assert client.post(f"/u/{token}", content=b"List-Unsubscribe=One-Click").status_code == 404
    assert _state(started)[0] == [False, False]


def test_one_click_body_parser() -> None:
    assert is_one_click(b"List-Unsubscribe=One-Click")
    assert not is_one_click(b"List-Unsubscribe=One-Click&List-Unsubscribe=No")
    assert not is_one_click(b"\xff")
