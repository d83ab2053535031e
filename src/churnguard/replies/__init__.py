"""Read inbound email: who sent it, what they wrote, and what it means.

This package turns raw message bytes into a reading. It never sends mail and never touches
the database.
"""

from churnguard.replies.classify import Classification, classify_reply
from churnguard.replies.nonhuman import NonHuman, detect_nonhuman
from churnguard.replies.parse import InboundMessage, parse_message
from churnguard.replies.pipeline import ReplyReading, read_reply
from churnguard.replies.strip import strip_reply

__all__ = [
    "Classification",
    "InboundMessage",
    "NonHuman",
    "ReplyReading",
    "classify_reply",
    "detect_nonhuman",
    "parse_message",
    "read_reply",
    "strip_reply",
]
