"""Workspaces, signed requests and clients for the web tests, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import func, select
from starlette.testclient import TestClient

from churnguard.clock import FixedClock
from churnguard.identity import NewIdentity
from churnguard.setup_workspace import init_workspace
from churnguard.store.inbound_models import InboundEvent
from churnguard.store.models import Account, AuditEvent, Contact
from churnguard.web.app import create_app
from churnguard.web.state import WebhookSecrets
from churnguard.workspace import Workspace

STRIPE_SECRET = "whsec_test_churnguard_0123456789abcdef"
FORM_SECRET = "form-secret-for-tests-only"
WRITE_KEY = "test-write-key"
AGENT = NewIdentity(
    id="dana-agent",
    csm_id="dana",
    csm_name="Dana Reyes",
    csm_email="dana@csm.example.com",
    address="dana.agent@agent.example.com",
    authorized_by="lead",
    authorizer_name="Robin Park",
    authorizer_email="robin@csm.example.com",
)
# Accounts whose billing customer ids appear in the public Stripe fixtures.
ACCOUNTS = {
    "acct-zulip": "cus_UZ11RVzkmLf6Cf",
    "acct-legacy": "cus_00000000000000",
    "acct-parent": "cus_1234",
}
CONTACT = "pat.lee@customer.example.org"


def stripe_header(body: bytes, timestamp: int, secret: str = STRIPE_SECRET) -> str:
    """Sign like Stripe does, written out here so the product's signer is not its own oracle."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass
class WebEnv:
    workspace: Workspace
    clock: FixedClock
    client: TestClient

    def now(self) -> int:
        return int(self.clock.now().timestamp())

    def post_stripe(self, payload: Any, *, body: bytes | None = None, timestamp: int | None = None,
                    secret: str = STRIPE_SECRET, header: str | None = None) -> Any:
        raw = body if body is not None else json.dumps(payload).encode()
        signature = header if header is not None else stripe_header(raw, timestamp or self.now(), secret)
        return self.client.post("/webhooks/stripe", content=raw, headers={"Stripe-Signature": signature,
                                                                          "Content-Type": "application/json"})

    def post_form(self, payload: Any, *, timestamp: int | None = None, secret: str = FORM_SECRET) -> Any:
        raw = json.dumps(payload).encode()
        signature = stripe_header(raw, timestamp or self.now(), secret)
        return self.client.post("/webhooks/cancel-form", content=raw, headers={"Churnguard-Signature": signature,
                                                                               "Content-Type": "application/json"})

    def post_segment(self, path: str, payload: Any, *, key: str = WRITE_KEY, body: bytes | None = None) -> Any:
        raw = body if body is not None else json.dumps(payload).encode()
        return self.client.post(path, content=raw, auth=(key, ""), headers={"Content-Type": "application/json"})

    def inbound(self, **filters: Any) -> list[InboundEvent]:
        with self.workspace.db.session() as session:
            query = select(InboundEvent).filter_by(**filters).order_by(InboundEvent.id)
            return list(session.scalars(query))

    def account(self, account_id: str) -> Account:
        with self.workspace.db.session() as session:
            account = session.get(Account, account_id)
            assert account is not None
            return account

    def audit_count(self, type_: str = "webhook.received") -> int:
        with self.workspace.db.session() as session:
            return int(session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.type == type_)))


def add_accounts(workspace: Workspace) -> None:
    with workspace.db.transaction() as session:
        for account_id, customer in ACCOUNTS.items():
            session.add(Account(id=account_id, name="Example Freight", plan="Team", mrr_cents=19900,
                                owner_identity_id=AGENT.id, billing_customer_id=customer))
        session.flush()
        session.add(Contact(account_id="acct-zulip", email=CONTACT, name="Pat Lee", is_main=True, timezone="America/New_York"))


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str | None:
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def make_env(tmp_path: Path, backend: str | None) -> Iterator[Callable[..., WebEnv]]:
    opened: list[Workspace] = []

    def make(secrets: WebhookSecrets | None = None, **overrides: object) -> WebEnv:
        clock = FixedClock(datetime.now(timezone.utc).replace(microsecond=0))
        settings: dict[str, object] = {"database_url": backend} if backend else {}
        settings.update(overrides)
        root = tmp_path / f"ws{len(opened)}"
        init_workspace(root, AGENT, overrides=settings, clock=clock)
        workspace = Workspace.open(root, clock=clock)
        opened.append(workspace)
        add_accounts(workspace)
        secrets = secrets or WebhookSecrets(stripe=(STRIPE_SECRET,), cancel_form=(FORM_SECRET,), segment_write_keys=(WRITE_KEY,))
        return WebEnv(workspace, clock, TestClient(create_app(workspace, secrets=secrets)))

    yield make
    for workspace in opened:
        workspace.close()


@pytest.fixture
def env(make_env: Callable[..., WebEnv]) -> WebEnv:
    return make_env()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ThreadedServer:
    """uvicorn on 127.0.0.1 in a thread of the test process, stopped through its exit flag."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None, lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "ThreadedServer":
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start on 127.0.0.1")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
