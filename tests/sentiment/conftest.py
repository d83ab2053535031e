"""A workspace with two accounts, signed ticket and survey requests, on SQLite or PostgreSQL."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from churnguard.clock import FixedClock
from churnguard.setup_workspace import init_workspace
from churnguard.store.models import Account, Contact
from churnguard.store.sentiment_models import SentimentRecord
from churnguard.web.app import create_app
from churnguard.web.inbox import flush_inbox
from churnguard.workspace import Workspace
from tests.loop.conftest import AGENT

TICKETS_SECRET = "tickets-secret-for-tests-only"
SURVEYS_SECRET = "surveys-secret-for-tests-only"
CUSTOMER = "pat.lee@freight.example.org"
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)


def signed(body: bytes, timestamp: int, secret: str) -> str:
    """Sign the way a helpdesk would, written out here so the product's signer is not its own oracle."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass
class Env:
    workspace: Workspace
    clock: FixedClock
    client: TestClient

    def post(self, path: str, payload: Any = None, *, body: bytes | None = None, secret: str | None = None,
             timestamp: int | None = None, headers: dict[str, str] | None = None) -> Any:
        raw = body if body is not None else json.dumps(payload).encode()
        secret = secret or (TICKETS_SECRET if "tickets" in path else SURVEYS_SECRET)
        stamp = timestamp if timestamp is not None else int(self.clock.now().timestamp())
        sent = {"Churnguard-Signature": signed(raw, stamp, secret), "Content-Type": "application/json", **(headers or {})}
        return self.client.post(path, content=raw, headers=sent)

    def records(self) -> list[SentimentRecord]:
        with self.workspace.db.session() as session:
            return list(session.scalars(select(SentimentRecord).order_by(SentimentRecord.id)))

    def flush(self) -> int:
        return flush_inbox(self.workspace).stored


def add_accounts(workspace: Workspace) -> None:
    with workspace.db.transaction() as session:
        session.add(Account(id="acct-freight", name="Example Freight", plan="Team", mrr_cents=19900, owner_identity_id=AGENT.id))
        session.add(Account(id="acct-bakery", name="Example Bakery", plan="Pro", mrr_cents=9900, owner_identity_id=AGENT.id))
        session.flush()
        session.add(Contact(account_id="acct-freight", email=CUSTOMER, name="Pat Lee", is_main=True, timezone="America/New_York"))
        session.add(Contact(account_id="acct-bakery", email="kim@bakery.example.net", name="Kim Ito", is_main=True, timezone="Europe/Berlin"))


@pytest.fixture
def make_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Env]]:
    monkeypatch.setenv("CHURNGUARD_TICKETS_SECRET", TICKETS_SECRET)
    monkeypatch.setenv("CHURNGUARD_SURVEYS_SECRET", SURVEYS_SECRET)
    opened: list[Workspace] = []

    def make(database_url: str | None = None, **overrides: object) -> Env:
        clock = FixedClock(NOW)
        settings: dict[str, object] = {"database_url": database_url} if database_url else {}
        settings.update(overrides)
        root = tmp_path / f"ws{len(opened)}"
        init_workspace(root, AGENT, overrides=settings, clock=clock)
        workspace = Workspace.open(root, clock=clock)
        opened.append(workspace)
        add_accounts(workspace)
        return Env(workspace, clock, TestClient(create_app(workspace)))

    yield make
    for workspace in opened:
        workspace.close()


@pytest.fixture
def env(make_env: Callable[..., Env]) -> Env:
    return make_env()


# The simulated-time loop fixtures (SQLite and PostgreSQL) for the time-travel test.
from tests.loop.conftest import backend, make_loop  # noqa: E402,F401
