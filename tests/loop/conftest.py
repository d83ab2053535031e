"""Workspaces with one collapsing account, on SQLite and on PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterator

import pytest

from churnguard.agent import Agent
from churnguard.clock import FixedClock
from churnguard.detect.eventstore import EventRecord, event_id, open_event_store
from churnguard.identity import NewIdentity
from churnguard.mail.maildir import maildir_path
from churnguard.setup_workspace import init_workspace
from churnguard.store.models import Account, Contact
from churnguard.workspace import Workspace

START = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)  # a Monday: 10:00 in New York, 16:00 in Berlin
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
CUSTOMER = "pat.lee@customer.example.org"
SECOND = "kim.ito@customer.example.org"


@dataclass
class Loop:
    workspace: Workspace
    clock: FixedClock
    agent: Agent

    def mailbox(self, address: str) -> Path:
        return maildir_path(self.workspace.mail_root, address)

    def messages_for(self, address: str) -> list[bytes]:
        folder = self.mailbox(address) / "new"
        if not folder.exists():
            return []
        return [path.read_bytes() for path in sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime_ns)]

    def deliver_to_agent(self, raw: bytes) -> None:
        import mailbox

        from churnguard.mail.mailbox import ensure_maildir

        ensure_maildir(self.mailbox(AGENT.address))
        mailbox.Maildir(self.mailbox(AGENT.address), create=False).add(raw)

    def run(self, days: float = 0) -> None:
        self.clock.advance(timedelta(days=days))
        self.agent.run_once()


def add_collapsing_account(workspace: Workspace, account_id: str = "acct-1", *, contacts: int = 1, mrr_cents: int = 19900) -> None:
    with workspace.db.transaction() as session:
        session.add(Account(id=account_id, name="Example Freight", plan="Team", mrr_cents=mrr_cents, owner_identity_id=AGENT.id))
        session.flush()
        session.add(Contact(account_id=account_id, email=CUSTOMER, name="Pat Lee", is_main=True, timezone="America/New_York"))
        if contacts > 1:
            session.add(Contact(account_id=account_id, email=SECOND, name="Kim Ito", timezone="Europe/Berlin"))

    events = []
    for day in range(1, 61):
        when = START - timedelta(days=day)
        count = 6 if day > 30 else (1 if day % 10 == 0 else 0)
        for index in range(count):
            kind = "report_export" if index % 2 else "dashboard_view"
            moment = datetime.combine(when.date(), time(10, index), timezone.utc)
            events.append(EventRecord(event_id("test", f"{account_id}:{day}:{index}"), account_id, kind, moment))
    open_event_store(workspace).add(events)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str | None:
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def make_loop(tmp_path: Path, backend: str | None) -> Iterator[Callable[..., Loop]]:
    opened: list[Workspace] = []

    def make(**overrides: object) -> Loop:
        clock = FixedClock(START)
        settings = {"database_url": backend} if backend else {}
        settings.update(overrides)
        root = tmp_path / f"ws{len(opened)}"
        init_workspace(root, AGENT, overrides=settings, clock=clock)
        workspace = Workspace.open(root, clock=clock)
        opened.append(workspace)
        return Loop(workspace, clock, Agent(workspace))

    yield make
    for workspace in opened:
        workspace.close()
