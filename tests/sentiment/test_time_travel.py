"""Steady usage, tickets turning angry: a sentiment signal, a save sequence, a draft naming the ticket."""

from __future__ import annotations

import json
import logging
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import select

from churnguard.agent import Agent
from churnguard.detect.eventstore import EventRecord, event_id, open_event_store
from churnguard.ingest.tickets import import_tickets
from churnguard.store.models import Account, Contact, Sequence, SignalRow
from tests.loop.conftest import AGENT, CUSTOMER, START
from tests.loop.test_loop_save import parse

PLAY = """
name = "sentiment_save"
description = "Tickets turned angry while usage held: the CSM checks in about the ticket."
stop_when = ["reply", "account_churned"]

[trigger]
signal = "negative_sentiment"

[[steps]]
name = "check_in"
kind = "touch"
angle = "check_in"

[[steps]]
name = "handoff"
kind = "handoff"
wait_days = 3
"""

MAPPING = """
kind = "tickets"
source = "helpdesk"

[format]
type = "jsonl"

[fields]
id = { column = "ticket_id" }
requester_email = { column = "requester" }
subject = { column = "subject" }
body = { column = "body" }
status = { column = "status" }
created_at = { column = "created" }
"""

CALM = [
    ("Question about adding a second admin", "How do I add a second admin to our workspace? Thanks!"),
    ("Invoice address", "Please send the March invoice to our accounts team."),
    ("Great onboarding", "Thanks, the onboarding went smoothly and the team is happy."),
]
ANGRY = [
    ("Export fails every night", "The nightly CSV export has failed three times this week and nobody answers. Unacceptable."),
    ("Still no answer about the export", "Still broken after your fix. I am really frustrated, please escalate this."),
]


def _steady_account(workspace, account_id="acct-steady"):
    with workspace.db.transaction() as session:
        session.add(Account(id=account_id, name="Example Freight", plan="Team", mrr_cents=19900, owner_identity_id=AGENT.id))
        session.flush()
        session.add(Contact(account_id=account_id, email=CUSTOMER, name="Pat Lee", is_main=True, timezone="America/New_York"))
    _usage(workspace, account_id, range(-90, 20))


def _usage(workspace, account_id, days):
    events = []
    for day in days:
        when = datetime.combine((START + timedelta(days=day)).date(), time(8), timezone.utc)
        for index in range(5):
            events.append(EventRecord(event_id("app", f"{account_id}:{day}:{index}"), account_id, "dashboard_view", when + timedelta(minutes=index)))
    open_event_store(workspace).add(events)


def _import(loop, tmp_path, tickets):
    lines = [json.dumps({"ticket_id": ticket_id, "requester": CUSTOMER, "subject": subject, "body": body,
                         "status": "open", "created": created.isoformat()})
             for ticket_id, subject, body, created in tickets]
    source, mapping = tmp_path / f"tickets-{len(tickets)}-{tickets[0][0]}.jsonl", tmp_path / "tickets.toml"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    mapping.write_text(MAPPING, encoding="utf-8")
    report = import_tickets(loop.workspace, source, mapping)
    assert report.rejected == 0, report.as_dict()


def _sequences(loop):
    with loop.workspace.db.session() as session:
        return list(session.scalars(select(Sequence).order_by(Sequence.id)))


def test_angry_tickets_start_a_save_sequence_that_names_the_ticket(make_loop, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    loop = make_loop()
    (loop.workspace.root / "plays").mkdir(exist_ok=True)
    (loop.workspace.root / "plays" / "sentiment_save.toml").write_text(PLAY, encoding="utf-8")
    loop.agent = Agent(loop.workspace)
    _steady_account(loop.workspace)

    calm = [(f"T-{100 + i}", subject, body, START - timedelta(days=70 - 20 * i)) for i, (subject, body) in enumerate(CALM)]
    _import(loop, tmp_path, calm)
    loop.run()
    assert _sequences(loop) == []  # steady usage and calm tickets: nothing to do

    first_angry = START + timedelta(days=1, hours=-2)
    _import(loop, tmp_path, [("T-200", *ANGRY[0], first_angry)])
    loop.run(days=1)
    assert _sequences(loop) == []  # one angry ticket is not yet a trend

    _import(loop, tmp_path, [("T-201", *ANGRY[1], START + timedelta(days=2, hours=-3))])
    loop.run(days=1)

    [sequence] = _sequences(loop)
    assert sequence.play == "sentiment_save"
    with loop.workspace.db.session() as session:
        signal = session.get(SignalRow, sequence.signal_id)
        assert signal.kind == "negative_sentiment"
        assert signal.evidence["recent_items"] == 2

    [message] = loop.messages_for(CUSTOMER)
    body = parse(message).get_body(("plain",)).get_content()
    opened_on = {ANGRY[0][0]: "March 3", ANGRY[1][0]: "March 4"}
    named = [subject for subject in opened_on if subject in body]
    assert len(named) == 1  # the most negative ticket is the reason, quoted by its subject
    assert f"opened on {opened_on[named[0]]}" in body
    assert ANGRY[0][1] not in body and ANGRY[1][1] not in body  # the body of a ticket is never quoted
    assert "nobody answers" not in caplog.text
    assert ANGRY[0][0] not in caplog.text and ANGRY[1][0] not in caplog.text
