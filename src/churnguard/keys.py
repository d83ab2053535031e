"""Key files kept in the workspace: DKIM signing keys and the unsubscribe-token secret."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from datetime import datetime
from pathlib import Path

from churnguard.errors import ConfigError
from churnguard.mail.dkim import DkimKey, generate_rsa_key


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def dkim_key_path(keys_dir: Path, identity_id: str, selector: str) -> Path:
    return keys_dir / f"dkim-{identity_id}-{selector}.pem"


def create_dkim_key(keys_dir: Path, identity_id: str, domain: str, selector: str) -> DkimKey:
    """Generate an RSA-2048 key for the identity and store it readable by the owner only."""
    key = generate_rsa_key(domain, selector)
    _write_private(dkim_key_path(keys_dir, identity_id, selector), key.private_pem)
    return key


def create_ed25519_key(keys_dir: Path, identity_id: str, domain: str, selector: str) -> DkimKey:
    """Generate an Ed25519 key that signs beside the RSA key (RFC 8463), readable by the owner only."""
    from churnguard.mail.dkim import generate_ed25519_key

    key = generate_ed25519_key(domain, selector)
    _write_private(dkim_key_path(keys_dir, identity_id, selector), key.private_pem)
    return key


def load_dkim_key(keys_dir: Path, identity_id: str, domain: str, selector: str) -> DkimKey:
    path = dkim_key_path(keys_dir, identity_id, selector)
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"DKIM key for identity {identity_id!r} (selector {selector!r}) not found at {path}; "
            "restore the key file or create a new identity"
        ) from None
    return DkimKey(domain=domain, selector=selector, private_pem=pem)


def unsubscribe_secret(keys_dir: Path) -> bytes:
    """Return the workspace's unsubscribe-token secret, creating it on first use."""
    path = keys_dir / "unsubscribe.secret"
    if not path.exists():
        try:
            _write_private(path, secrets.token_bytes(32))
        except FileExistsError:
            pass  # another process created it first
    return path.read_bytes()


def unsubscribe_token(secret: bytes, contact_id: int) -> str:
    """An opaque per-contact token; only the holder of the secret can map it back."""
    mac = hmac.new(secret, f"contact:{contact_id}".encode(), hashlib.sha256).hexdigest()
    return f"{contact_id}.{mac[:32]}"


AUDIT_SIGNING_FILE = "audit-signing.key"


def create_workspace_keys(keys_dir: Path) -> str:
    """Create the vault master key (unless one comes from the environment) and the audit
    signing key; return where the master key lives, for the operator to back up."""
    from churnguard.keyprovider import ENV_VAR, create_master_key

    keys_dir.mkdir(parents=True, exist_ok=True)
    keys_dir.chmod(0o700)
    create_audit_signing_key(keys_dir)
    if os.environ.get(ENV_VAR):
        return f"${ENV_VAR}"
    _, path = create_master_key(keys_dir)
    return str(path)


def create_audit_signing_key(keys_dir: Path) -> Path:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    path = keys_dir / AUDIT_SIGNING_FILE
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        _write_private(path, key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))
    return path


def signing_keys(keys_dir: Path, identity_id: str, domain: str, selector: str, created: datetime, now: datetime) -> tuple[DkimKey, ...]:
    """Load the keys that sign for an identity now: its newest RSA key, then an Ed25519 key if it has one."""
    from churnguard.mail.dkim_rotation import load_ring

    ring = load_ring(keys_dir, identity_id, selector, created)
    entries = ring.signing(now)
    if not entries and ring.entries:
        # Replaying history (--as-of) from before the identity's first key: sign with the first key.
        entries = [ring.entries[0]]
    if not entries or entries[0].algorithm != "rsa":
        raise ConfigError(f"identity {identity_id!r} has no RSA signing key; run 'churnguard identity dkim-rotate {identity_id}'")
    return tuple(load_dkim_key(keys_dir, identity_id, domain, entry.selector) for entry in entries)
