"""The embedded default transport: delivery into local Maildirs, no server involved.

Each recipient gets a copy in ``root/<domain>/<local part>/Maildir``, the layout the test
Postfix and Dovecot use, so the same tree can be read back with MaildirMailbox. A "+tag"
in the local part is dropped, as Postfix does with ``recipient_delimiter = +``. The sent
copy goes to the Sent folder of ``sent_folder_owner``, which ``was_sent`` searches.
"""

from __future__ import annotations

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
            # Recipients first, sent copy last: the sent copy is the proof of sending.
            # NOTE: a crash between the two leaves delivered mail without a sent copy, so a
            # retry after reconciliation delivers it a second time.
            for recipient in recipients:
                path = maildir_path(self.root, recipient)
                ensure_maildir(path)
                box = stdlib_mailbox.Maildir(path, factory=None, create=True)
                box.add(_with_return_path(raw, envelope_from))
            sent = self.sent_mailbox.open_folder(SENT_FOLDER, create=True)
            key = sent.add(raw)
        except OSError as exc:
            raise TransportError(
                f"the maildir transport could not write below {self.root}: {exc.strerror}", retryable=True
            ) from exc
        return f"maildir:{key}"

    def was_sent(self, message_id: str) -> bool | None:
        return self.sent_mailbox.find_message_id(SENT_FOLDER, message_id)


def _with_return_path(raw: bytes, envelope_from: str) -> bytes:
    # What a delivering MTA records: the bounce address, read later by bounce handling.
    return f"Return-Path: <{envelope_from}>\r\n".encode("ascii") + raw
