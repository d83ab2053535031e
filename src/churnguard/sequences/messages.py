"""Turn a draft into an outbound message from the agent identity, with threading and unsubscribe headers."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from churnguard.keys import unsubscribe_token
from churnguard.mail.dkim import DkimKey
from churnguard.mail.message import OutboundMessage, make_message_id
from churnguard.mail.outlook import outlook_headers
from churnguard.sequences.outbox import PreparedTouch
from churnguard.store.models import Identity


@dataclass(frozen=True)
class Sender:
    """The agent identity a message goes out as, with what it signs and links with."""

    identity: Identity
    dkim_key: DkimKey
    unsubscribe_url: str
    unsubscribe_secret: bytes
    extra_keys: tuple[DkimKey, ...] = ()

    @property
    def domain(self) -> str:
        return self.identity.address.rsplit("@", 1)[1]

    def message_id(self, key: str) -> str:
        """Derive the Message-ID of a touch key; the workspace secret keeps ids unique across workspaces."""
        salt = hmac.new(self.unsubscribe_secret, b"message-id", hashlib.sha256).hexdigest()[:12]
        return make_message_id(f"{salt}:{key}", self.domain)

    def unsubscribe_headers(self, contact_id: int) -> dict[str, str]:
        token = unsubscribe_token(self.unsubscribe_secret, contact_id)
        local = self.identity.address.rsplit("@", 1)[0]
        mailto = f"mailto:{local}+unsubscribe-{token}@{self.domain}?subject=unsubscribe"
        return {
            "List-Unsubscribe": f"<{self.unsubscribe_url.rstrip('/')}/{token}>, <{mailto}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }


def to_contact(
    sender: Sender,
    *,
    key: str,
    kind: str,
    contact_id: int,
    to_addr: str,
    to_name: str,
    subject: str,
    body: str,
    now: datetime,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    calendar: bytes | None = None,
    parent_topic: str = "",
    parent_index: str = "",
) -> PreparedTouch:
    """Prepare a message to a customer contact, written as the CSM.

    ``parent_topic`` and ``parent_index`` are the Thread-Topic and Thread-Index of the
    customer's message being answered, which Outlook needs continued to keep one conversation.
    """
    headers = sender.unsubscribe_headers(contact_id)
    # NOTE: a follow-up step passes no parent index, so it starts a new Thread-Index; Outlook
    # then groups it by Thread-Topic and In-Reply-To only.
    headers.update(outlook_headers(subject, now, key, parent_topic=parent_topic, parent_index=parent_index))
    message = OutboundMessage(
        from_addr=sender.identity.address,
        from_name=sender.identity.display_name,
        to_addr=to_addr,
        to_name=to_name,
        subject=subject,
        text_body=body,
        message_id=sender.message_id(key),
        date=now,
        in_reply_to=in_reply_to,
        references=list(references or []),
        reply_to=sender.identity.address,
        headers=headers,
        calendar=calendar,
    )
    return PreparedTouch(key=key, kind=kind, message=message, dkim_key=sender.dkim_key, extra_keys=sender.extra_keys)


def to_csm(sender: Sender, *, key: str, kind: str, csm_email: str, csm_name: str, subject: str, body: str, now: datetime) -> PreparedTouch:
    """Prepare an internal note from the agent to its own CSM (a hand-off or an outcome)."""
    message = OutboundMessage(
        from_addr=sender.identity.address,
        from_name=f"{sender.identity.display_name} (agent)",
        to_addr=csm_email,
        to_name=csm_name,
        subject=subject,
        text_body=body,
        message_id=sender.message_id(key),
        date=now,
        headers={"Auto-Submitted": "auto-generated"},
    )
    return PreparedTouch(key=key, kind=kind, message=message, dkim_key=sender.dkim_key, extra_keys=sender.extra_keys)
