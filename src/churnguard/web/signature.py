"""Timestamped HMAC-SHA256 request signatures, the scheme Stripe uses.

The sender signs ``"{t}." + raw body`` with HMAC-SHA256 keyed by the whole secret (for Stripe
including its ``whsec_`` prefix) and sends ``t=<unix seconds>,v1=<hex digest>``. A request is
accepted when any ``v1`` matches any configured secret and ``t`` lies within the tolerance of
the server's clock, so a captured request cannot be replayed later. The cancel-form webhook
uses the same scheme under its own header and secret.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from churnguard.errors import InputError


class SignatureError(InputError):
    """A request's signature header is missing, malformed, wrong or too old."""


@dataclass(frozen=True)
class SignatureHeader:
    timestamp: int
    signatures: tuple[str, ...]


def compute_signature(secret: str, timestamp: int, body: bytes) -> str:
    """Return the hex HMAC-SHA256 of ``"{timestamp}." + body`` keyed by ``secret``."""
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Build the header value a sender puts on ``body``: ``t=...,v1=...``."""
    return f"t={timestamp},v1={compute_signature(secret, timestamp, body)}"


def parse_header(value: str | None) -> SignatureHeader:
    """Read ``t`` and every ``v1`` from a header; other schemes (such as ``v0``) are ignored."""
    if not value:
        raise SignatureError("missing signature header")

    timestamp: int | None = None
    signatures: list[str] = []
    for part in value.split(","):
        key, _, item = part.strip().partition("=")
        if key == "t" and item.isdigit():
            timestamp = int(item)
        elif key == "v1" and item:
            signatures.append(item)

    if timestamp is None:
        raise SignatureError("invalid signature header: no timestamp (t=...)")
    if not signatures:
        raise SignatureError("invalid signature header: no v1 signature")
    return SignatureHeader(timestamp, tuple(signatures))


def verify(header_value: str | None, body: bytes, secrets: tuple[str, ...], *, now: int, tolerance: int) -> int:
    """Check the header against ``body`` and return its timestamp, or raise SignatureError.

    ``now`` and ``tolerance`` are Unix seconds. A timestamp more than ``tolerance`` seconds in
    the past or in the future is rejected, so a request captured earlier cannot be replayed.
    """
    header = parse_header(header_value)
    expected = [compute_signature(secret, header.timestamp, body) for secret in secrets]
    matched = any(hmac.compare_digest(candidate, signature) for candidate in expected for signature in header.signatures)
    if not matched:
        raise SignatureError("signature does not match the body; check the signing secret and sign the raw bytes")

    if abs(now - header.timestamp) > tolerance:
        raise SignatureError(
            f"signature timestamp is {now - header.timestamp} s from the server clock, outside the "
            f"{tolerance} s tolerance; a replayed request, or a clock to fix"
        )
    return header.timestamp


def split_secrets(value: str | None) -> tuple[str, ...]:
    """Split an environment value into secrets; commas separate old and new while rotating."""
    if not value:
        return ()
    return tuple(part.strip() for part in value.split(",") if part.strip())
