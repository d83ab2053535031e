"""Send pipeline speed: compose (offline), guard, build, DKIM-sign, submit over one SMTP connection.

A local aiosmtpd sink on 127.0.0.1 accepts every message and keeps only a count. The
transport is churnguard's ``SmtpTransport``, which keeps its connection open between messages.

    python -m bench.bench_send [--messages 3000] [--seconds 20]

Each stage is timed per message. The rate is messages per second through the whole pipeline
in one process. The SMTP sink runs in a thread of the same process, so it shares the core.
"""

from __future__ import annotations

import argparse
import json
import socket
import time
from datetime import date, datetime, timezone
from typing import Any

from aiosmtpd.controller import Controller

from churnguard.compose import Draft, DraftContext, check_draft
from churnguard.compose.grounding import ensure_grounded
from churnguard.compose.offline import write_draft
from churnguard.mail.dkim import generate_rsa_key, sign_message
from churnguard.mail.message import OutboundMessage, build_message, make_message_id
from churnguard.mail.smtp import SmtpTransport
from churnguard.vault import AccountFacts, ContactFacts

EVIDENCE = {"before": 41, "after": 9, "drop_pct": 78.0,
            "before_window": ["2026-01-01T00:00:00+00:00", "2026-01-31T00:00:00+00:00"]}


class CountingSink:
    """An SMTP handler that accepts everything and counts messages."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.count += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_sink(port: int) -> tuple[Controller, CountingSink]:
    sink = CountingSink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, sink


def _context(n: int) -> DraftContext:
    contact = ContactFacts(1, f"pat{n}@customer.example.org", "Pat Lee", "Pat", "UTC", "en", True, False)
    facts = AccountFacts(f"acct-{n}", "Example Freight", "Team", 19900, "USD", None, "active", "ok", (contact,))
    return DraftContext(facts=facts, contact=contact, csm_name="Dana Reyes", company_name="Example Analytics",
                        play="silent_churn", angle="check_in", today=date(2026, 3, 2), evidence=EVIDENCE,
                        usage_before=(("report_export", 30), ("login", 11)))


def run(messages: int, seconds: float) -> dict[str, Any]:
    port = free_port()
    controller, sink = start_sink(port)
    key = generate_rsa_key("agent.example.com", "bench")
    stages = dict.fromkeys(("compose", "guard", "build", "sign", "submit"), 0.0)
    done, start = 0, time.perf_counter()
    try:
        with SmtpTransport("127.0.0.1", port, security="none", timeout=10) as transport:
            while done < messages and time.perf_counter() - start < seconds:
                _one(done, transport, key, stages)
                done += 1
    finally:
        controller.stop()
    elapsed = time.perf_counter() - start
    total = sum(stages.values())
    return {
        "messages": done, "accepted_by_sink": sink.count, "msgs_per_s": round(done / elapsed),
        "stages": {name: {"us_per_msg": round(1e6 * spent / done), "share_pct": round(100 * spent / total, 1)}
                   for name, spent in stages.items()},
        "compose_guard_sign_msgs_per_s": round(done / (stages["compose"] + stages["guard"] + stages["build"] + stages["sign"])),
    }


def _one(n: int, transport: SmtpTransport, key: Any, stages: dict[str, float]) -> None:
    ctx = _context(n)
    t0 = time.perf_counter()
    draft = write_draft(ctx)
    t1 = time.perf_counter()
    check_draft(Draft(subject=draft.subject, body=draft.body, cited=draft.cited))
    ensure_grounded(draft, ctx)
    t2 = time.perf_counter()
    message_id = make_message_id(f"bench-{n}", "agent.example.com")
    raw = build_message(OutboundMessage(
        from_addr="agent@agent.example.com", from_name="Dana Reyes", to_addr=ctx.contact.email,
        to_name="Pat Lee", subject=draft.subject, text_body=draft.body, message_id=message_id,
        date=datetime.now(timezone.utc)))
    t3 = time.perf_counter()
    signed = sign_message(raw, key)
    t4 = time.perf_counter()
    transport.send(signed, envelope_from="agent@agent.example.com", recipients=[ctx.contact.email],
                   message_id=message_id)
    t5 = time.perf_counter()
    for name, spent in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)):
        stages[name] += spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    print(json.dumps(run(args.messages, args.seconds), indent=2))


if __name__ == "__main__":
    main()
