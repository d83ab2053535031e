"""DKIM keys, signing and verification (RSA-SHA256, relaxed/relaxed).

The signed header list is fixed here instead of taken from dkimpy's defaults, so the
threading and one-click unsubscribe headers are always covered. The headers a mail client
displays are oversigned, so a second copy added in transit breaks the signature.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.utils import getaddresses

import dkim as dkimpy
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from churnguard.errors import ConfigError

# Signed once each; listing a header the message lacks signs its absence.
SIGNED_HEADERS: tuple[str, ...] = (
    "From", "To", "Cc", "Subject", "Date", "Message-ID", "Reply-To", "In-Reply-To",
    "References", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
    "List-Unsubscribe", "List-Unsubscribe-Post",
)
# Signed twice, so a prepended second instance (which clients would show) fails verification.
OVERSIGNED_HEADERS: tuple[str, ...] = (
    "From", "To", "Cc", "Subject", "Date", "Message-ID", "Reply-To", "In-Reply-To", "References",
)
RSA_KEY_BITS = 2048


@dataclass(frozen=True)
class DkimKey:
    """A DKIM signing key for one selector of one domain; ``repr`` hides the private key."""

    domain: str
    selector: str
    private_pem: bytes = field(repr=False)

    @property
    def record_name(self) -> str:
        """The DNS name of the public key record."""
        return f"{self.selector}._domainkey.{self.domain}"


def generate_rsa_key(domain: str, selector: str) -> DkimKey:
    """Generate a new RSA-2048 DKIM key for ``selector._domainkey.domain``."""
    _check_label("domain", domain)
    _check_label("selector", selector)
    private = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return DkimKey(domain=domain.lower(), selector=selector, private_pem=pem)


def public_key_b64(key: DkimKey) -> str:
    """Return the base64 SubjectPublicKeyInfo that goes in the record's ``p=`` tag."""
    try:
        private = serialization.load_pem_private_key(key.private_pem, password=None)
    except ValueError:
        raise ConfigError(f"the DKIM key for {key.record_name} is not a readable PEM private key") from None
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode("ascii")


def dns_txt_record(key: DkimKey) -> str:
    """Return the TXT value to publish at ``key.record_name``."""
    return f"v=DKIM1; k=rsa; p={public_key_b64(key)}"


def opendkim_key_line(key: DkimKey) -> str:
    """Return "name value", one line of OpenDKIM's ``TestPublicKeys`` file."""
    return f"{key.record_name} {dns_txt_record(key)}"


def sign_message(raw: bytes, key: DkimKey) -> bytes:
    """Return ``raw`` with a DKIM-Signature header prepended: the exact bytes to submit."""
    _check_alignment(raw, key)
    include = [h.encode("ascii") for h in (*SIGNED_HEADERS, *OVERSIGNED_HEADERS)]
    try:
        signature = dkimpy.sign(
            raw,
            key.selector.encode("ascii"),
            key.domain.encode("ascii"),
            key.private_pem,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=include,
            length=False,
        )
    except dkimpy.DKIMException as exc:
        raise ConfigError(f"DKIM signing with {key.record_name} failed: {exc}") from None
    return signature + raw


def verify_message(raw: bytes, dns_records: dict[str, str]) -> bool:
    """Verify the first DKIM signature of ``raw`` against TXT records given by name."""
    records = {name.rstrip(".").lower(): value for name, value in dns_records.items()}

    def lookup(name: bytes, timeout: int = 5) -> bytes | None:
        value = records.get(name.decode("ascii").rstrip(".").lower())
        return value.encode("ascii") if value is not None else None

    try:
        return bool(dkimpy.verify(raw, dnsfunc=lookup))
    except dkimpy.DKIMException:
        return False


def _check_alignment(raw: bytes, key: DkimKey) -> None:
    # DMARC passes on DKIM only when d= matches the From domain or one of its parents.
    headers = BytesHeaderParser().parsebytes(raw)
    senders = getaddresses(headers.get_all("From", []))
    if len(senders) != 1 or "@" not in senders[0][1]:
        raise ConfigError("a message to sign needs exactly one From address")
    from_domain = senders[0][1].rsplit("@", 1)[1].lower()
    if from_domain != key.domain and not from_domain.endswith("." + key.domain):
        raise ConfigError(
            f"the DKIM key is for {key.domain} but the From domain is {from_domain}; "
            "sign with a key of the sending domain"
        )


def _check_label(what: str, value: str) -> None:
    if not value or not value.isascii() or any(c.isspace() or c in ";=/@" for c in value):
        raise ConfigError(f"invalid DKIM {what} {value!r}: use a DNS name")
