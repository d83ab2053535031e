"""The embedded default transport: delivery into local Maildirs, no server involved.

Each recipient gets a copy in ``root/<domain>/<local part>/Maildir``, the layout the test
Postfix and Dovecot use, so the same tree can be read back with MaildirMailbox. A "+tag"
in the local part is dropped, as Postfix does with ``recipient_delimiter = +``. The sent
copy goes to the Sent folder of ``sent_folder_owner``, which ``was_sent`` searches. A
crash between delivery and the sent copy is safe: the retry skips recipients that already
hold the message.
"""

from __future__ import annotations

import hashlib
import mailbox as stdlib_mailbox
from pathlib import Path

from churnguard.errors import ConfigError, TransportError
from churnguard.mail.mailbox import MaildirMailbox, ensure_maildir
from churnguard.mail.transport import ALL_FEATURES, check_envelope

SENT_FOLDER = "Sent"


def maildir_path(root: Path, address: str) -> Path:
    """Return the Maildir of ``address`` below ``root``, ignoring any "+tag"."""
    local, _, domain = address.rpartition("@")
    local = local.split("+", 1)[0].lower()
    domain = domain.lower()
    if not local or not domain or any(part in ("", ".", "..") or "/" in part for part in (local, domain)):
        raise ConfigError(f"cannot map address {address!r} to a Maildir path")
    return root / domain / local / "Maildir"


class MaildirTransport:
    """Deliver messages to local Maildirs and keep a sent copy for reconciliation."""

    name = "maildir"
    capabilities = ALL_FEATURES

    def __init__(self, root: Path | str, *, sent_folder_owner: str) -> None:
        self.root = Path(root)
        self.sent_folder_owner = sent_folder_owner
        self.sent_mailbox = MaildirMailbox(maildir_path(self.root, sent_folder_owner))

    def send(self, raw: bytes, *, envelope_from: str, recipients: list[str], message_id: str) -> str:
        check_envelope(self.name, envelope_from, recipients)
        try:
            # An intent file marks a send in progress. If it is still there, an earlier attempt
            # died after delivering to some recipients but before the sent copy was stored,
            # so recipients that already hold this Message-ID are skipped.
            intent = self._intent_path(message_id)
            retry = intent.exists()
            intent.parent.mkdir(parents=True, exist_ok=True)
            intent.write_bytes(b"")
            for recipient in recipients:
                self._deliver(raw, envelope_from, recipient, message_id, check_first=retry)
            key = self._store_sent_copy(raw)
            intent.unlink()
        except OSError as exc:
            raise TransportError(
                f"the maildir transport could not write below {self.root}: {exc.strerror}", retryable=True
            ) from exc
        return f"maildir:{key}"

    def _deliver(self, raw: bytes, envelope_from: str, recipient: str, message_id: str, *, check_first: bool) -> None:
        path = maildir_path(self.root, recipient)
        ensure_maildir(path)
        if check_first and MaildirMailbox(path).find_message_id("INBOX", message_id):
            return
        stdlib_mailbox.Maildir(path, factory=None, create=True).add(_with_return_path(raw, envelope_from))

    def _store_sent_copy(self, raw: bytes) -> str:
        return self.sent_mailbox.open_folder(SENT_FOLDER, create=True).add(raw)

    def _intent_path(self, message_id: str) -> Path:
        digest = hashlib.sha256(message_id.encode("utf-8")).hexdigest()[:32]
        return self.sent_mailbox.path.parent / "churnguard-sending" / digest  # outside the Maildir, so IMAP sees no folder

    def was_sent(self, message_id: str) -> bool | None:
        return self.sent_mailbox.find_message_id(SENT_FOLDER, message_id)


def _with_return_path(raw: bytes, envelope_from: str) -> bytes:
    # What a delivering MTA records: the bounce address, read later by bounce handling.
    return f"Return-Path: <{envelope_from}>\r\n".encode("ascii") + raw
