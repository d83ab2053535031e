"""Simulated customers who answer the agent's mail the way real people and mail servers do.

Each demo account gets one behaviour. Replies are built in the shapes real clients send:
Gmail's "On ... wrote:" attribution with ">" quotes, Outlook's From/Sent/To/Subject block,
RFC 3834 vacation notices and RFC 3464 bounce reports.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

BEHAVIOURS = (
    ("save", 0.25),
    ("lost", 0.12),
    ("talk_to_human", 0.13),
    ("out_of_office", 0.1),
    ("unsubscribe", 0.05),
    ("bounce", 0.1),
    ("silent", 0.25),
)

SAVE_TEXTS = (
    "Thanks for reaching out. Yes, a call would help, does Thursday afternoon work?",
    "Good timing, we've been meaning to get the team back on it. Happy to jump on a call.",
    "Sure, let's talk. Next week is good for me.",
)
LOST_TEXTS = (
    "Thanks, but we've moved to another vendor and won't be renewing.",
    "We're closing down this project, so we won't need the account anymore. Not interested, thanks.",
)
HUMAN_TEXTS = (
    "Honestly the price is the issue. Could you do 30% off at renewal? Otherwise we need to talk.",
    "We had a billing problem last month that never got resolved. Can someone from your team call me?",
)
UNSUBSCRIBE_TEXTS = ("Please stop emailing me.", "Unsubscribe me from these emails.")


def pick_behaviour(rng: random.Random) -> str:
    names, weights = zip(*BEHAVIOURS)
    return rng.choices(names, weights)[0]


def answer(behaviour: str, incoming: EmailMessage, contact_name: str, now: datetime, rng: random.Random) -> bytes | None:
    """Return the raw bytes this customer sends back to ``incoming``, or None for silence."""
    if behaviour == "silent":
        return None
    if behaviour == "bounce":
        return _bounce(incoming, now)
    if behaviour == "out_of_office":
        return _vacation(incoming, contact_name, now)

    texts = {"save": SAVE_TEXTS, "lost": LOST_TEXTS, "talk_to_human": HUMAN_TEXTS, "unsubscribe": UNSUBSCRIBE_TEXTS}[behaviour]
    style = rng.choice(("gmail", "outlook"))
    return _human_reply(incoming, contact_name, rng.choice(texts), style, now)


def _reply_headers(reply: EmailMessage, incoming: EmailMessage, sender: str, now: datetime) -> None:
    reply["From"] = sender
    reply["To"] = incoming["From"]
    subject = str(incoming["Subject"])
    reply["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    reply["Date"] = format_datetime(now)
    reply["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rsplit("@", 1)[1])
    reply["In-Reply-To"] = incoming["Message-ID"]
    references = str(incoming.get("References", "")).split()
    reply["References"] = " ".join(references + [str(incoming["Message-ID"])])


def _human_reply(incoming: EmailMessage, contact_name: str, text: str, style: str, now: datetime) -> bytes:
    sender = f"{contact_name} <{incoming['To'].addresses[0].addr_spec}>"
    reply = EmailMessage()
    _reply_headers(reply, incoming, sender, now)

    original = incoming.get_body(("plain",))
    quoted_body = original.get_content() if original is not None else ""
    first = contact_name.split()[0]
    if style == "gmail":
        attribution = f"On {format_datetime(now - timedelta(hours=20))}, {incoming['From']} wrote:"
        quote = "\n".join("> " + line for line in quoted_body.splitlines())
        body = f"{text}\n\n{first}\n\n{attribution}\n{quote}\n"
    else:
        block = (
            f"From: {incoming['From']}\nSent: {format_datetime(now - timedelta(hours=20))}\n"
            f"To: {sender}\nSubject: {incoming['Subject']}\n"
        )
        body = f"{text}\n\nRegards,\n{first}\n\n________________________________\n{block}\n{quoted_body}\n"
    reply.set_content(body)
    return reply.as_bytes()


def _vacation(incoming: EmailMessage, contact_name: str, now: datetime) -> bytes:
    back = (now + timedelta(days=6)).date()
    reply = EmailMessage()
    _reply_headers(reply, incoming, f"{contact_name} <{incoming['To'].addresses[0].addr_spec}>", now)
    reply.replace_header("Subject", f"Automatic reply: {incoming['Subject']}")
    reply["Auto-Submitted"] = "auto-replied"
    reply["X-Autoreply"] = "yes"
    reply.set_content(
        f"Thank you for your message. I am out of the office and will be back on {back.strftime('%B')} {back.day}, "
        f"{back.year}, with limited access to email.\n"
    )
    return reply.as_bytes()


def _bounce(incoming: EmailMessage, now: datetime) -> bytes:
    recipient = incoming["To"].addresses[0].addr_spec
    agent = incoming["From"].addresses[0].addr_spec
    original = "".join(f"{name}: {value}\r\n" for name, value in incoming.items() if name in ("From", "To", "Subject", "Message-ID"))
    return delivery_status_notification(agent, recipient, original, now)


def delivery_status_notification(sender: str, recipient: str, original_headers: str, now: datetime) -> bytes:
    """Build an RFC 3464 report for a hard failure, laid out the way Postfix writes one."""
    boundary = "dsn-boundary-0001"
    lines = [
        "From: MAILER-DAEMON@mx.example.net (Mail Delivery System)",
        f"To: {sender}",
        "Subject: Undelivered Mail Returned to Sender",
        f"Date: {format_datetime(now)}",
        f"Message-ID: <dsn.{abs(hash((recipient, now.isoformat())))}@mx.example.net>",
        "Auto-Submitted: auto-replied",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"',
        "",
        f"--{boundary}",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        "This is the mail system at host mx.example.net.",
        "",
        f"<{recipient}>: host mx.example.net said: 550 5.1.1 user unknown",
        "",
        f"--{boundary}",
        "Content-Type: message/delivery-status",
        "",
        "Reporting-MTA: dns; mx.example.net",
        "",
        f"Final-Recipient: rfc822; {recipient}",
        "Action: failed",
        "Status: 5.1.1",
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown",
        "",
        f"--{boundary}",
        "Content-Type: text/rfc822-headers",
        "",
        original_headers.rstrip("\r\n"),
        "",
        f"--{boundary}--",
        "",
    ]
    return "\r\n".join(lines).encode("ascii")
