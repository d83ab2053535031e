"""Outbound mail and mailbox reading.

This package builds, signs and hands over messages and reads mailboxes by UID. It imports
nothing about sequences, plays or the database. Callers pass ids and bytes in and store
what comes back (receipts, cursors).
"""

from churnguard.mail.dkim import DkimKey, dns_txt_record, generate_rsa_key, sign_message, verify_message
from churnguard.mail.mailbox import ImapMailbox, Mailbox, MailboxCursor, MaildirMailbox, RawInbound
from churnguard.mail.maildir import MaildirTransport
from churnguard.mail.message import (
    OutboundMessage,
    build_message,
    make_message_id,
    reply_subject,
    thread_references,
)
from churnguard.mail.smtp import SmtpTransport
from churnguard.mail.transport import MemoryTransport, SentRecord, Transport, requires

__all__ = [
    "DkimKey",
    "ImapMailbox",
    "Mailbox",
    "MailboxCursor",
    "MaildirMailbox",
    "MaildirTransport",
    "MemoryTransport",
    "OutboundMessage",
    "RawInbound",
    "SentRecord",
    "SmtpTransport",
    "Transport",
    "build_message",
    "dns_txt_record",
    "generate_rsa_key",
    "make_message_id",
    "reply_subject",
    "requires",
    "sign_message",
    "thread_references",
    "verify_message",
]
