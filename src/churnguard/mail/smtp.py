"""SMTP submission with smtplib, one connection reused across sends.

The bytes given to ``send`` go out as they are, so a DKIM signature made over them holds.
Replies 4xx map to a retryable TransportError and 5xx to a permanent one. A dropped
connection is retryable too, but the server may already have queued the message, which is
why callers reconcile with ``was_sent`` before sending again.

Evidence for ``was_sent``: with ``self_copy`` set, the agent's own address is an extra
envelope recipient of the same SMTP transaction. The server queues the customer's copy and
ours in one step (its 250 to the final dot), so our copy arriving in our own mailbox proves
the customer's was accepted, even when the process died before it heard the 250 or before
it stored the sent copy. The copy is envelope-only: no header names it, and the signed
bytes are the same. See docs/mail.md for what this still cannot prove.
"""

from __future__ import annotations

import ipaddress
import logging
import smtplib
import socket
import ssl
import time
from typing import Callable, Literal

from churnguard.errors import ConfigError, TransportError
from churnguard.mail.mailbox import Mailbox
from churnguard.mail.transport import ALL_FEATURES, check_envelope

log = logging.getLogger(__name__)

Security = Literal["none", "starttls", "tls"]


class SmtpTransport:
    """Submit messages to an SMTP server, with AUTH when a username is given."""

    name = "smtp"
    capabilities = ALL_FEATURES

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        security: Security = "starttls",
        timeout: float = 30.0,
        sent_mailbox: Mailbox | None = None,
        sent_folder: str = "Sent",
        append_sent_copy: bool = False,
        self_copy: str | None = None,
        self_copy_folder: str = "INBOX",
        copy_wait: float = 30.0,
    ) -> None:
        """``self_copy`` is the agent's own address, added as a hidden recipient so that
        ``was_sent`` can find our copy in ``self_copy_folder`` of ``sent_mailbox``; after a
        crash ``was_sent`` waits up to ``copy_wait`` seconds for that copy to arrive.
        """
        if security not in ("none", "starttls", "tls"):
            raise ConfigError(f"invalid SMTP security {security!r}: use none, starttls or tls")
        if username and security == "none" and not _is_loopback(host):
            raise ConfigError(
                f"SMTP AUTH to {host} without TLS would send the password in clear; "
                "set security to starttls or tls"
            )
        if append_sent_copy and not hasattr(sent_mailbox, "append"):
            raise ConfigError("append_sent_copy needs a sent_mailbox that can append, such as ImapMailbox")
        if self_copy and sent_mailbox is None:
            raise ConfigError("self_copy needs a sent_mailbox in which to look for the copy")
        self.host = host
        self.port = port
        self.username = username
        self._password = password
        self.security = security
        self.timeout = timeout
        self.sent_mailbox = sent_mailbox
        self.sent_folder = sent_folder
        self.append_sent_copy = append_sent_copy
        self.self_copy = self_copy
        self.self_copy_folder = self_copy_folder
        self.copy_wait = copy_wait
        self._conn: smtplib.SMTP | None = None

    def __repr__(self) -> str:
        return (
            f"SmtpTransport(host={self.host!r}, port={self.port}, username={self.username!r}, "
            f"password={'***' if self._password else None}, security={self.security!r})"
        )

    def __enter__(self) -> "SmtpTransport":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def send(self, raw: bytes, *, envelope_from: str, recipients: list[str], message_id: str) -> str:
        check_envelope(self.name, envelope_from, recipients)
        receipt = self._with_connection(lambda conn: self._transaction(conn, raw, envelope_from, recipients))
        if self.append_sent_copy:
            # A crash before this line loses only the Sent folder's copy: with self_copy,
            # was_sent still finds our hidden copy and the touch is not sent again.
            self.sent_mailbox.append(self.sent_folder, raw)  # type: ignore[union-attr]
        log.info("smtp accepted message %s: %s", message_id, receipt)
        return receipt

    def was_sent(self, message_id: str) -> bool | None:
        """Look for the message in the Sent folder, then wait for our hidden copy.

        Without ``self_copy`` a message the server accepted just before a crash has no
        copy yet, so False is a guess; with it, False means no copy came within
        ``copy_wait`` seconds.
        """
        box = self.sent_mailbox
        if box is None:
            return None
        if box.find_message_id(self.sent_folder, message_id):
            return True
        if not self.self_copy:
            return False
        deadline = time.monotonic() + self.copy_wait
        while not box.find_message_id(self.self_copy_folder, message_id):
            if time.monotonic() >= deadline:
                return False
            time.sleep(min(1.0, self.copy_wait))
        return True

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                conn.close()

    def _with_connection(self, transaction: Callable[[smtplib.SMTP], str]) -> str:
        for attempt in (1, 2):
            reused = self._conn is not None
            try:
                return transaction(self._connection())
            except _NotStarted:
                # A server drops idle connections; before MAIL FROM nothing was handed
                # over, so one retry on a fresh connection cannot send twice.
                self._discard()
                if reused and attempt == 1:
                    continue
                raise TransportError(f"SMTP server {self.host}:{self.port} closed the connection", retryable=True) from None
            except smtplib.SMTPResponseException as exc:
                self._reset()
                raise _reply_error(self.host, self.port, exc) from None
            except (smtplib.SMTPException, OSError) as exc:
                self._discard()
                raise TransportError(
                    f"SMTP connection to {self.host}:{self.port} failed: {type(exc).__name__}", retryable=True
                ) from exc
        raise AssertionError("unreachable")

    def _transaction(self, conn: smtplib.SMTP, raw: bytes, envelope_from: str, recipients: list[str]) -> str:
        try:
            code, reply = conn.mail(envelope_from)
        except smtplib.SMTPServerDisconnected:
            raise _NotStarted() from None
        _expect(code, reply, 250)

        rejected = [reply for reply in (conn.rcpt(r) for r in recipients) if reply[0] not in (250, 251)]
        if len(rejected) == len(recipients):
            raise smtplib.SMTPResponseException(*rejected[0])
        if self.self_copy:
            self._add_self_copy(conn)
        for code, reply in rejected:
            # NOTE: the message still goes to the accepted recipients; the rejected ones
            # are only logged, because failing the send would make a retry duplicate it.
            log.warning("smtp rejected a recipient with %d %s", code, _short(reply))

        code, reply = conn.data(raw)
        _expect(code, reply, 250)
        return f"smtp:{_short(reply)}"

    def _add_self_copy(self, conn: smtplib.SMTP) -> None:
        # Without our copy a crash after the server's 250 could not be told from a failed
        # send, so the message must not go out without it.
        code, reply = conn.rcpt(self.self_copy or "")
        if code not in (250, 251):
            raise smtplib.SMTPResponseException(
                code if 400 <= code < 500 else 550,
                b"the agent's own address was refused as a recipient of its copy: " + reply,
            )

    def _connection(self) -> smtplib.SMTP:
        if self._conn is None:
            self._conn = self._open()
        return self._conn

    def _open(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.security == "tls":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout, local_hostname=_helo_name())
        conn.ehlo()
        if self.security == "starttls":
            conn.starttls(context=context)
            conn.ehlo()
        if self.username:
            self._login(conn)
        return conn

    def _login(self, conn: smtplib.SMTP) -> None:
        try:
            conn.login(self.username or "", self._password or "")
        except smtplib.SMTPAuthenticationError as exc:
            conn.close()
            raise ConfigError(
                f"SMTP AUTH on {self.host}:{self.port} was rejected ({exc.smtp_code}); "
                "check the submission username and password"
            ) from None
        except smtplib.SMTPNotSupportedError:
            conn.close()
            raise ConfigError(f"SMTP server {self.host}:{self.port} offers no AUTH; check the port and security settings") from None

    def _reset(self) -> None:
        # Leave the connection usable for the next message of the batch.
        if self._conn is None:
            return
        try:
            self._conn.rset()
        except (smtplib.SMTPException, OSError):
            self._discard()

    def _discard(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


class _NotStarted(Exception):
    """The connection dropped before MAIL FROM: nothing was handed over."""


def _expect(code: int, reply: bytes, wanted: int) -> None:
    if code != wanted:
        raise smtplib.SMTPResponseException(code, reply)


def _reply_error(host: str, port: int, exc: smtplib.SMTPResponseException) -> TransportError:
    code = exc.smtp_code
    detail = _short(exc.smtp_error if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error).encode())
    return TransportError(
        f"SMTP server {host}:{port} replied {code} {detail}",
        retryable=400 <= code < 500,
    )


def _short(reply: bytes) -> str:
    # Server replies name queue ids and status codes; cut them short for logs and errors.
    return reply.decode("utf-8", "replace").replace("\r", " ").replace("\n", " ")[:200]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _helo_name() -> str:
    name = socket.getfqdn()
    return name if name.isascii() and "." in name else "localhost.localdomain"
