"""Canary: marker strings seeded into account data never appear in plaintext anywhere we write.

The whole loop runs with debug logging, SQL statements and their parameters included,
through a reply, a hand-off note and a transport failure. Then the logs, every file of the
workspace's state database, the audit export and any traceback are scanned.
"""

from __future__ import annotations

import logging
import traceback
from email.message import EmailMessage
from email import message_from_bytes, policy

from churnguard.audit import export_lines
from churnguard.errors import TransportError
from churnguard.store.models import Account, Contact
from tests.loop.conftest import AGENT, CUSTOMER, add_collapsing_account

MARKERS = {
    "name": "Zqxcanaryaccount",
    "plan": "Zqxcanaryplan",
    "contact": "Zqxcanaryperson",
    "title": "Zqxcanarytitle",
    "attribute": "Zqxcanaryattribute",
    "reply": "Zqxcanaryreply",
}


def _seed(ws) -> None:
    add_collapsing_account(ws, "acct-canary")
    with ws.db.transaction() as session:
        account = session.get(Account, "acct-canary")
        account.name = f"{MARKERS['name']} Freight"
        account.plan = MARKERS["plan"]
        account.attributes = {"cancel_reason": MARKERS["attribute"]}
        contact = session.query(Contact).one()
        contact.name = f"{MARKERS['contact']} Lee"
        contact.title = MARKERS["title"]


def _reply_to(raw: bytes) -> bytes:
    original = message_from_bytes(raw, policy=policy.default)
    reply = EmailMessage()
    reply["From"] = CUSTOMER
    reply["To"] = AGENT.address
    reply["Subject"] = "Re: " + str(original["Subject"])
    reply["Message-ID"] = "<canary-reply@customer.example.org>"
    reply["In-Reply-To"] = str(original["Message-ID"])
    reply.set_content(f"I need to speak with someone about {MARKERS['reply']} before we decide anything.")
    return reply.as_bytes()


def _hits(data: bytes) -> list[str]:
    return [name for name, marker in MARKERS.items() if marker.encode() in data]


def test_no_marker_in_logs_database_exports_or_tracebacks(make_loop, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.DEBUG)
    loop = make_loop()
    ws = loop.workspace
    _seed(ws)

    loop.run()
    sent = loop.messages_for(CUSTOMER)
    assert sent and MARKERS["name"].encode() in sent[0]  # the mail itself carries the data, as it must
    loop.deliver_to_agent(_reply_to(sent[0]))
    loop.run(days=0.1)

    def broken_send(*args, **kwargs):
        raise TransportError("relay refused the message", retryable=False)

    crash = ""
    try:
        transport = loop.agent.transport_for(AGENT.id)
        transport.send = broken_send
        loop.run(days=6)
    except Exception:
        crash = traceback.format_exc()
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)

    with ws.db.session() as session:
        export = "\n".join(export_lines(session)).encode()
    logs = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records).encode()
    assert any("INSERT INTO accounts" in r.getMessage() for r in caplog.records), "SQL logging was not captured"

    found = {"logs": _hits(logs), "export": _hits(export), "traceback": _hits(crash.encode())}
    if ws.db.dialect == "sqlite":
        for path in ws.root.glob("state.sqlite3*"):
            found[path.name] = _hits(path.read_bytes())
    else:
        found["database_dump"] = _hits(_pg_dump(ws))
    assert {where: names for where, names in found.items() if names} == {}


def _pg_dump(ws) -> bytes:
    from sqlalchemy import inspect, text

    chunks = []
    with ws.db.engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                chunks.append(repr(tuple(row)).encode())
                chunks += [value for value in row if isinstance(value, (bytes, memoryview))]
    return b"\n".join(bytes(chunk) for chunk in chunks)
