"""The mail transport interface and the in-memory transport used by tests.

A transport hands finished bytes to a mail system. It never builds or changes a message:
the caller builds it, signs it and stores its Message-ID before calling ``send``, so that
after a crash ``was_sent`` can tell whether the send had already happened.

| transport | custom_headers | dkim_by_us | threading_headers | was_sent |
| --- | --- | --- | --- | --- |
| smtp | yes | yes | yes | with a sent mailbox, else None |
| maildir | yes | yes | yes | yes (Sent folder) |
| memory | yes | yes | yes | yes |
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Protocol

from churnguard.errors import TransportError, UnsupportedFeature

CUSTOM_HEADERS = "custom_headers"
"""Extra headers (List-Unsubscribe, Thread-Index, ...) reach the recipient unchanged."""
DKIM_BY_US = "dkim_by_us"
"""The transport submits our DKIM-signed bytes as they are, so our signature holds."""
THREADING_HEADERS = "threading_headers"
"""Message-ID, In-Reply-To and References are kept as we set them."""
CALENDAR_PARTS = "calendar_parts"
"""A text/calendar part reaches the recipient as a calendar invitation."""

ALL_FEATURES = frozenset({CUSTOM_HEADERS, DKIM_BY_US, THREADING_HEADERS, CALENDAR_PARTS})


class Transport(Protocol):
    """Something that hands a finished message to a mail system."""

    name: str
    capabilities: frozenset[str]

    def send(self, raw: bytes, *, envelope_from: str, recipients: list[str], message_id: str) -> str:
        """Hand ``raw`` over and return the transport's receipt id.

        Raises TransportError, with ``retryable`` set when the same call may succeed later.
        """
        ...

    def was_sent(self, message_id: str) -> bool | None:
        """Return True when a sent copy with this Message-ID exists, None when unknowable."""
        ...


def requires(transport: Transport, feature: str) -> None:
    """Raise UnsupportedFeature unless ``transport`` lists ``feature``."""
    if feature not in transport.capabilities:
        raise UnsupportedFeature(transport.name, feature)


def check_envelope(transport: str, envelope_from: str, recipients: list[str]) -> None:
    """Reject an envelope no transport can deliver, before anything is handed over."""
    if not recipients:
        raise TransportError(f"the {transport} transport was given no recipients", retryable=False)
    for address in [envelope_from, *recipients]:
        if address.count("@") != 1 or not address.isascii() or any(c.isspace() or c in "<>" or not c.isprintable() for c in address):
            raise TransportError(
                f"the {transport} transport was given an invalid envelope address; "
                "use a bare ASCII local@domain address",
                retryable=False,
            )


@dataclass(frozen=True)
class SentRecord:
    """One message accepted by a MemoryTransport."""

    raw: bytes
    envelope_from: str
    recipients: list[str]
    message_id: str
    receipt: str


@dataclass
class _Fault:
    error: TransportError
    after_accept: bool


@dataclass
class MemoryTransport:
    """A transport that records every message in memory, for tests. ``fail_next`` injects failures."""

    name: str = "memory"
    capabilities: frozenset[str] = ALL_FEATURES
    sent: list[SentRecord] = field(default_factory=list)
    _faults: list[_Fault] = field(default_factory=list, repr=False)
    _counter: itertools.count = field(default_factory=lambda: itertools.count(1), repr=False)

    def fail_next(self, *, retryable: bool = True, times: int = 1, after_accept: bool = False) -> None:
        """Make the next ``times`` sends raise TransportError.

        With ``after_accept`` the message is recorded first, as when a connection drops
        after the server queued the message but before it replied.
        """
        kind = "temporary" if retryable else "permanent"
        for _ in range(times):
            error = TransportError(f"the memory transport failed on purpose ({kind} failure injected by fail_next)", retryable=retryable)
            self._faults.append(_Fault(error=error, after_accept=after_accept))

    def send(self, raw: bytes, *, envelope_from: str, recipients: list[str], message_id: str) -> str:
        check_envelope(self.name, envelope_from, recipients)
        fault = self._faults.pop(0) if self._faults else None
        if fault is not None and not fault.after_accept:
            raise fault.error

        receipt = f"memory-{next(self._counter)}"
        self.sent.append(SentRecord(raw, envelope_from, list(recipients), message_id, receipt))
        if fault is not None:
            raise fault.error
        return receipt

    def was_sent(self, message_id: str) -> bool | None:
        return any(record.message_id == message_id for record in self.sent)

    def messages_to(self, address: str) -> list[SentRecord]:
        """Return the records whose envelope recipients include ``address``."""
        return [record for record in self.sent if address.lower() in (r.lower() for r in record.recipients)]
