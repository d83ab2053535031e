"""End to end against real servers: real data in, a signed save email through Postfix, the
customer's reply through the same Postfix, and the call offer back in the same thread.

Postfix, Dovecot and OpenDKIM run on 127.0.0.1 (the ``mailstack`` fixture); the state store
is SQLite or a real PostgreSQL server.
"""

from __future__ import annotations

import imaplib
import smtplib
from datetime import datetime, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from sqlalchemy import select

from churnguard.agent import Agent
from churnguard.audit import verify
from churnguard.clock import FixedClock
from churnguard.identity import NewIdentity
from churnguard.ingest import import_events
from churnguard.keys import load_dkim_key
from churnguard.mail.dkim import verify_message
from churnguard.setup_workspace import init_workspace
from churnguard.store.models import Account, Contact, Reply, Sequence
from churnguard.workspace import Workspace
from tests.servers import REPO

AS_OF = datetime(1998, 4, 1, 9, 0, tzinfo=timezone.utc)
AGENT = NewIdentity(
    id="agent", csm_id="csm", csm_name="Alex Morgan", csm_email="csm@agent.test", address="agent@agent.test",
    authorized_by="lead", authorizer_name="Robin Park", authorizer_email="lead@agent.test",
)
CUSTOMER = "customer@customer.test"
CDNOW_MASTER_ID = "22775"  # a real CDNOW customer: 10 CDs in the 90 days before 1998-01-01, none after


def fetch_inbox(stack, user: str) -> list[EmailMessage]:
    client = imaplib.IMAP4(stack.host, stack.imap_port)
    try:
        client.login(user, stack.password(user))
        client.select("INBOX", readonly=True)
        _, data = client.uid("SEARCH", None, "ALL")
        messages = []
        for uid in data[0].split():
            _, parts = client.uid("FETCH", uid, "(BODY.PEEK[])")
            messages.append(message_from_bytes(parts[0][1], policy=policy.default))
        return messages
    finally:
        client.logout()


def raw_inbox(stack, user: str) -> list[bytes]:
    folder = stack.maildir(user)
    return [path.read_bytes() for sub in ("new", "cur") for path in sorted((folder / sub).iterdir())]


def reply_like_gmail(shared: Path, to: EmailMessage, text: str) -> EmailMessage:
    """Rewrite talon's real Gmail reply (plain and HTML parts, quote block) as an answer to ``to``."""
    template = message_from_bytes((shared / "talon" / "standard_replies" / "gmail.eml").read_bytes(), policy=policy.default)
    for part in template.walk():
        if part.get_content_maintype() == "text":
            body = part.get_content().replace("Hello", text, 1).replace("Megan One", "Alex Morgan").replace("xxx@gmail.com", AGENT.address)
            part.set_content(body, subtype=part.get_content_subtype())
    for header in ("Message-Id", "Subject", "From", "To", "Date"):
        del template[header]
    template["From"] = f"Pat Lee <{CUSTOMER}>"
    template["To"] = str(to["From"])
    template["Subject"] = "Re: " + str(to["Subject"])
    template["Date"] = "Thu, 02 Apr 1998 10:00:00 -0500"
    template["Message-ID"] = make_msgid(domain="mail.customer.test")
    template["In-Reply-To"] = str(to["Message-ID"])
    template["References"] = str(to["Message-ID"])
    return template


@pytest.fixture(params=["sqlite", "postgres"])
def workspace(request, tmp_path, mailstack, shared_data_dir, monkeypatch):
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else ""
    monkeypatch.setenv("CG_TEST_SMTP_PASSWORD", mailstack.password(AGENT.address))
    monkeypatch.setenv("CG_TEST_IMAP_PASSWORD", mailstack.password(AGENT.address))
    settings = {
        "database_url": url,
        "mail.transport": "smtp",
        "mail.mailbox": "imap",
        "mail.smtp_host": mailstack.host,
        "mail.smtp_port": mailstack.submission_port,
        "mail.smtp_security": "none",
        "mail.smtp_username": AGENT.address,
        "mail.smtp_password_env": "CG_TEST_SMTP_PASSWORD",
        "mail.imap_host": mailstack.host,
        "mail.imap_port": mailstack.imap_port,
        "mail.imap_ssl": False,
        "mail.imap_password_env": "CG_TEST_IMAP_PASSWORD",
        "detect.silent_churn.window_days": 90,
        "detect.silent_churn.measure": "quantity",
    }
    clock = FixedClock(AS_OF)
    root = tmp_path / "ws"
    init_workspace(root, AGENT, overrides=settings, clock=clock, selector=f"e2e{request.param}")
    ws = Workspace.open(root, clock=clock)
    mailstack.add_dkim_key(load_dkim_key(ws.keys_dir, AGENT.id, "agent.test", f"e2e{request.param}"))

    rows = [line for line in (shared_data_dir / "cdnow" / "CDNOW_sample.txt").read_text().splitlines() if line.split()[0] == CDNOW_MASTER_ID]
    events = tmp_path / "cdnow-one-customer.txt"
    events.write_text("\n".join(rows) + "\n")
    with ws.db.transaction() as session:
        session.add(Account(id=f"cdnow-{CDNOW_MASTER_ID}", name="CDNOW customer 22775", owner_identity_id=AGENT.id))
        session.flush()
        session.add(Contact(account_id=f"cdnow-{CDNOW_MASTER_ID}", email=CUSTOMER, name="Pat Lee", is_main=True))
    report = import_events(ws, events, REPO / "examples" / "public-data" / "cdnow-events.toml")
    assert report.inserted == len(rows)
    yield ws, clock
    ws.close()


def _wait_for(predicate, seconds: float = 20.0):
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    return predicate()


@pytest.mark.mailstack
def test_save_loop_through_real_servers(workspace, mailstack, shared_data_dir):
    ws, clock = workspace
    before = len(fetch_inbox(mailstack, CUSTOMER))
    agent = Agent(ws)

    agent.run_once()

    inbox = _wait_for(lambda: fetch_inbox(mailstack, CUSTOMER)[before:])
    assert len(inbox) == 1
    check_in = inbox[0]
    raw = [r for r in raw_inbox(mailstack, CUSTOMER) if str(check_in["Message-ID"]).encode() in r][0]
    assert verify_message(raw, mailstack.dkim_records)
    assert mailstack.opendkim_verify(raw)
    assert "dkim=pass" in str(check_in["Authentication-Results"])
    assert "from 10 in the 90 days before to 0 in the last 90 days" in check_in.get_body(("plain",)).get_content()

    reply = reply_like_gmail(shared_data_dir, check_in, "Sure, a call would help. Does Thursday work?")
    agent_mail = len(fetch_inbox(mailstack, AGENT.address))
    with smtplib.SMTP(mailstack.host, mailstack.smtp_port) as smtp:
        smtp.send_message(reply, from_addr=CUSTOMER, to_addrs=[AGENT.address])
    assert _wait_for(lambda: len(fetch_inbox(mailstack, AGENT.address)) > agent_mail)
    clock.set(datetime(1998, 4, 2, 16, 0, tzinfo=timezone.utc))
    agent.run_once()

    inbox = _wait_for(lambda: fetch_inbox(mailstack, CUSTOMER)[before:] if len(fetch_inbox(mailstack, CUSTOMER)) >= before + 2 else None)
    assert inbox is not None and len(inbox) == 2
    offer = inbox[1]
    assert offer["In-Reply-To"] == reply["Message-ID"]
    assert str(check_in["Message-ID"]) in str(offer["References"])
    assert str(offer["Subject"]) == "Re: " + str(check_in["Subject"])
    assert any(part.get_content_type() == "text/calendar" and "METHOD:REQUEST" in part.get_content() for part in offer.walk())

    with ws.db.transaction() as session:
        recorded = session.scalar(select(Reply))
        assert (recorded.kind, recorded.verdict) == ("human", "save")
        assert recorded.reply_text.startswith("Sure, a call would help")
        assert session.scalar(select(Sequence.stop_reason)) == "reply_save"
        assert verify(session).ok
