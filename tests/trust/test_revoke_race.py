"""Revoke an identity while several worker processes send as it through real servers.

PostgreSQL keeps the state, and Postfix and Dovecot on 127.0.0.1 carry the mail. The proof reads
the customer's real mailbox over IMAP: every message of ours that arrived was sent before
the revoke committed, and no transport call started after it.
"""

from __future__ import annotations

import imaplib
import json
import os
import subprocess
import sys
import time
from datetime import datetime, time as daytime, timedelta, timezone
from email import message_from_bytes, policy

import pytest
from sqlalchemy import func, select

from churnguard.agent import Agent
from churnguard.audit import verify
from churnguard.clock import FixedClock
from churnguard.detect.eventstore import EventRecord, event_id, open_event_store
from churnguard.identity import NewIdentity, lock_identity, revoke
from churnguard.keys import load_dkim_key
from churnguard.setup_workspace import init_workspace
from churnguard.store.models import Account, Contact, Sequence, Touch
from churnguard.workspace import Workspace
from tests.servers import REPO

START = datetime(2026, 3, 2, 14, 0, tzinfo=timezone.utc)
AGENT = NewIdentity(
    id="race-agent", csm_id="race-csm", csm_name="Alex Morgan", csm_email="csm@agent.test", address="agent@agent.test",
    authorized_by="lead", authorizer_name="Robin Park", authorizer_email="lead@agent.test",
)
ACCOUNTS = 120
WORKERS = 4


def _seed(ws: Workspace) -> None:
    events = []
    with ws.db.transaction() as session:
        for n in range(ACCOUNTS):
            account_id = f"race-{n}"
            session.add(Account(id=account_id, name=f"Race Test {n}", plan="Team", mrr_cents=9900, owner_identity_id=AGENT.id))
            session.flush()
            session.add(Contact(account_id=account_id, email=f"customer+race{n}@customer.test", name="Pat Lee", is_main=True))
            for day in range(1, 61):
                count = 6 if day > 30 else 0
                for index in range(count):
                    moment = datetime.combine((START - timedelta(days=day)).date(), daytime(10, index), timezone.utc)
                    events.append(EventRecord(event_id("race", f"{account_id}:{day}:{index}"), account_id, "dashboard_view", moment))
    open_event_store(ws).add(events)


@pytest.fixture
def race_workspace(tmp_path, mailstack, postgres_url, monkeypatch):
    monkeypatch.setenv("CG_TEST_SMTP_PASSWORD", mailstack.password(AGENT.address))
    settings = {
        "database_url": postgres_url,
        "mail.transport": "smtp",
        "mail.smtp_host": mailstack.host,
        "mail.smtp_port": mailstack.submission_port,
        "mail.smtp_security": "none",
        "mail.smtp_username": AGENT.address,
        "mail.smtp_password_env": "CG_TEST_SMTP_PASSWORD",
        "pacing.mailbox_max_per_day": 10000,
        "pacing.account_max_per_week": 100,
    }
    root = tmp_path / "ws"
    clock = FixedClock(START)
    init_workspace(root, AGENT, overrides=settings, clock=clock, selector="race")
    ws = Workspace.open(root, clock=clock)
    mailstack.add_dkim_key(load_dkim_key(ws.keys_dir, AGENT.id, "agent.test", "race"))
    _seed(ws)
    agent = Agent(ws)
    agent.outbox.deliver_pending = lambda: 0  # queue every step's touch; the workers send them
    agent._read_mail = lambda now, report: None
    agent.run_once()
    yield ws
    ws.close()


def _mailbox_message_ids(stack) -> set[str]:
    client = imaplib.IMAP4(stack.host, stack.imap_port)
    try:
        client.login("customer@customer.test", stack.password("customer@customer.test"))
        client.select("INBOX", readonly=True)
        _, data = client.uid("SEARCH", None, "ALL")
        found = set()
        for uid in data[0].split():
            _, parts = client.uid("FETCH", uid, "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
            found.add(str(message_from_bytes(parts[0][1], policy=policy.default)["Message-ID"]).strip())
        return found
    finally:
        client.logout()


def _touch_ids(ws: Workspace, state: str | None = None) -> dict[str, int]:
    with ws.db.session() as session:
        query = select(Touch.message_id, Touch.id)
        if state:
            query = query.where(Touch.state == state)
        return dict(session.execute(query).all())


def _wait_sent(ws: Workspace, at_least: int, seconds: float = 60) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with ws.db.session() as session:
            sent = session.scalar(select(func.count()).where(Touch.state == "sent")) or 0
        if sent >= at_least:
            return sent
        time.sleep(0.05)
    raise AssertionError(f"workers sent only {sent} touches in {seconds} s")


def _start_workers(ws: Workspace, tmp_path) -> tuple[list[subprocess.Popen], list, object]:
    stop = tmp_path / "stop"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    logs = [tmp_path / f"worker{n}.jsonl" for n in range(WORKERS)]
    procs = [
        subprocess.Popen([sys.executable, "-m", "tests.trust.race_worker", str(ws.root), str(log), str(stop)], cwd=REPO, env=env)
        for log in logs
    ]
    return procs, logs, stop


def _read_logs(logs) -> list[dict]:
    return [json.loads(line) for log in logs if log.exists() for line in log.read_text().splitlines() if line.strip()]


@pytest.mark.mailstack
def test_no_send_after_revoke_commits(race_workspace, mailstack, tmp_path):
    ws = race_workspace
    ours = _touch_ids(ws)
    assert len(ours) >= ACCOUNTS * 0.9, "the loop did not queue a touch per account"

    procs, logs, stop = _start_workers(ws, tmp_path)
    try:
        _wait_sent(ws, len(ours) // 3)
        with ws.db.transaction() as session:
            lock_identity(session, AGENT.id, shared=False)  # waits for sends in flight
            locked_at = time.time()
            report = revoke(session, AGENT.id, by="lead", now=ws.clock.now())
        committed_at = time.time()
        sent_at_revoke = set(_touch_ids(ws, "sent"))
        time.sleep(2.0)  # the workers keep trying for a while
    finally:
        stop.touch()
        for proc in procs:
            proc.wait(timeout=60)

    calls = _read_logs(logs)
    started_after = [c for c in calls if c["event"] == "start" and c["t"] > locked_at]
    ended_after_lock = [c for c in calls if c["event"] == "end" and c["t"] > locked_at]
    assert started_after == []
    assert ended_after_lock == []

    expected = {mid for mid in sent_at_revoke}
    deadline = time.monotonic() + 30
    arrived = _mailbox_message_ids(mailstack) & set(ours)
    while arrived != expected and time.monotonic() < deadline:
        time.sleep(0.5)
        arrived = _mailbox_message_ids(mailstack) & set(ours)

    sent_now = set(_touch_ids(ws, "sent"))
    with ws.db.session() as session:
        still_open = session.scalar(select(func.count()).where(Sequence.identity_id == AGENT.id, Sequence.open_key.is_not(None)))
        chain = verify(session)
    numbers = {
        "touches_queued": len(ours), "workers": WORKERS, "transport_calls": sum(c["event"] == "end" for c in calls),
        "sent_before_revoke": len(sent_at_revoke), "sent_in_db_after": len(sent_now), "in_real_mailbox": len(arrived),
        "transport_calls_started_after_lock": len(started_after), "canceled_by_revoke": len(report.canceled_touches),
        "stopped_sequences": len(report.stopped_sequences), "lock_wait_to_commit_ms": round((committed_at - locked_at) * 1000, 1),
    }
    print("revocation race:", json.dumps(numbers))
    assert sent_now == sent_at_revoke
    assert arrived == expected, f"mailbox has {len(arrived - expected)} messages sent after the revoke, misses {len(expected - arrived)}"
    assert 0 < len(sent_at_revoke) < len(ours)
    assert still_open == 0
    assert chain.ok
