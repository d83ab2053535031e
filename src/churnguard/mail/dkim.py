"""DKIM keys, signing and verification (relaxed/relaxed, RSA-SHA256 and Ed25519-SHA256).

The signed header list is fixed here instead of taken from dkimpy's defaults, so the
threading and one-click unsubscribe headers are always covered. The headers a mail client
displays are oversigned, so a second copy added in transit breaks the signature. Signing
runs through OpenSSL (see ``_dkim_sign``), verification through dkimpy. No signature
carries ``l=``, so nothing can be appended to a signed body.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import time
from dataclasses import dataclass, field
from email.utils import getaddresses

import dkim as dkimpy
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from churnguard.errors import ConfigError
from churnguard.mail import _dkim_sign

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

    @property
    def algorithm(self) -> str:
        """The key type as the ``k=`` tag of the DNS record names it: rsa or ed25519."""
        return "ed25519" if isinstance(_private_key(self), ed25519.Ed25519PrivateKey) else "rsa"


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


def generate_ed25519_key(domain: str, selector: str) -> DkimKey:
    """Generate an Ed25519 DKIM key (RFC 8463), used only as a second signature beside RSA."""
    _check_label("domain", domain)
    _check_label("selector", selector)
    pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return DkimKey(domain=domain.lower(), selector=selector, private_pem=pem)


@functools.lru_cache(maxsize=64)
def _load_private(pem: bytes) -> object:
    return serialization.load_pem_private_key(pem, password=None)


def _private_key(key: DkimKey) -> object:
    try:
        private = _load_private(key.private_pem)
    except (ValueError, TypeError):
        raise ConfigError(f"the DKIM key for {key.record_name} is not a readable PEM private key") from None
    if not isinstance(private, (rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey)):
        raise ConfigError(f"the DKIM key for {key.record_name} is neither RSA nor Ed25519; generate a new key")
    return private


def public_key_b64(key: DkimKey) -> str:
    """Return the record's ``p=`` value: SubjectPublicKeyInfo for RSA, the raw 32 bytes for Ed25519."""
    public = _private_key(key).public_key()  # type: ignore[attr-defined]
    if isinstance(public, ed25519.Ed25519PublicKey):
        der = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    else:
        der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode("ascii")


def dns_txt_record(key: DkimKey) -> str:
    """Return the TXT value to publish at ``key.record_name``."""
    return f"v=DKIM1; k={key.algorithm}; p={public_key_b64(key)}"


def opendkim_key_line(key: DkimKey) -> str:
    """Return "name value", one line of OpenDKIM's ``TestPublicKeys`` file."""
    return f"{key.record_name} {dns_txt_record(key)}"


def sign_message(raw: bytes, key: DkimKey, *more_keys: DkimKey, timestamp: int | None = None) -> bytes:
    """Return ``raw`` with one DKIM-Signature per key prepended: the exact bytes to submit.

    At least one key must be RSA, because some receivers still ignore Ed25519 signatures.
    """
    keys = (key, *more_keys)
    if all(k.algorithm != "rsa" for k in keys):
        raise ConfigError(f"DKIM signing with {key.record_name} needs an RSA key; add Ed25519 only as a second key")
    fields, body = _dkim_sign.split_message(raw)
    from_domain = _from_domain(fields)
    for signer in keys:
        _check_alignment(from_domain, signer)
    body_hash = hashlib.sha256(_dkim_sign.relaxed_body(body)).digest()
    names = [*SIGNED_HEADERS, *OVERSIGNED_HEADERS]
    chosen = _dkim_sign.pick_headers(fields, names)
    stamp = int(time.time()) if timestamp is None else timestamp

    # Ed25519 first, so the RSA signature ends up on top where single-signature tools look.
    signatures = b""
    for signer in sorted(keys, key=lambda k: k.algorithm == "rsa"):
        algorithm = "ed25519-sha256" if signer.algorithm == "ed25519" else "rsa-sha256"
        header = _dkim_sign.signature_field(algorithm, signer.domain, signer.selector, stamp, names, body_hash)
        signatures = _dkim_sign.sign_field(header, chosen, _private_key(signer)) + signatures
    return signatures + raw


def verify_message(raw: bytes, dns_records: dict[str, str]) -> bool:
    """Verify the first DKIM signature of ``raw`` against TXT records given by name."""
    results = verify_signatures(raw, dns_records)
    return bool(results) and results[0]


def verify_signatures(raw: bytes, dns_records: dict[str, str]) -> list[bool]:
    """Verify every DKIM signature of ``raw`` with dkimpy, top first."""
    records = {name.rstrip(".").lower(): value for name, value in dns_records.items()}

    def lookup(name: bytes, timeout: int = 5) -> bytes | None:
        value = records.get(name.decode("ascii").rstrip(".").lower())
        return value.encode("ascii") if value is not None else None

    verifier = dkimpy.DKIM(raw)
    count = sum(1 for name, _ in verifier.headers if name.lower() == b"dkim-signature")
    results = []
    for index in range(count):
        try:
            results.append(bool(verifier.verify(idx=index, dnsfunc=lookup)))
        except dkimpy.DKIMException:
            results.append(False)
    return results


def _from_domain(fields: list[tuple[bytes, bytes]]) -> str:
    values = [field.split(b":", 1)[1].decode("ascii", "replace") for name, field in fields if name.lower() == b"from"]
    senders = getaddresses(values)
    if len(senders) != 1 or "@" not in senders[0][1]:
        raise ConfigError("a message to sign needs exactly one From address")
    return senders[0][1].rsplit("@", 1)[1].lower()


def _check_alignment(from_domain: str, key: DkimKey) -> None:
    # DMARC passes on DKIM only when d= matches the From domain or one of its parents.
    if from_domain != key.domain and not from_domain.endswith("." + key.domain):
        raise ConfigError(
            f"the DKIM key is for {key.domain} but the From domain is {from_domain}; "
            "sign with a key of the sending domain"
        )


def _check_label(what: str, value: str) -> None:
    if not value or not value.isascii() or any(c.isspace() or c in ";=/@" for c in value):
        raise ConfigError(f"invalid DKIM {what} {value!r}: use a DNS name")
