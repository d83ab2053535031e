"""Signed checkpoints: an Ed25519 signature over the chain's head every so many entries.

The hash chain alone shows edits only to someone who trusts the database: an attacker who
can write it can recompute every hash after a change. A checkpoint signs (entry id, entry
hash, number of entries) with the workspace's audit key, which stays in the key folder, so
anyone holding just the public key can tell the signed part of the chain was not rewritten.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from churnguard.store.models import AuditEvent
from churnguard.store.vault_models import AuditCheckpoint

CHECKPOINT_EVERY = 50
SIGNING_FILE = "audit-signing.key"


def message(upto_id: int, upto_hash: str, entries: int) -> bytes:
    return f"churnguard audit checkpoint|{upto_id}|{upto_hash}|{entries}".encode()


def public_hex(key: Ed25519PublicKey) -> str:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def load_public(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text.strip()))


def _keys_dir(session: Session) -> Path | None:
    from churnguard.vault.sealing import _rings

    ring = _rings.get(session.get_bind().engine)
    return ring.keys_dir if ring is not None else None


def workspace_signer(session: Session) -> Ed25519PrivateKey | None:
    """Load the audit signing key of this session's workspace, or return None when it has none."""
    folder = _keys_dir(session)
    path = folder / SIGNING_FILE if folder is not None else None
    if path is None or not path.is_file():
        return None
    return Ed25519PrivateKey.from_private_bytes(path.read_bytes())


def sign_head(session: Session, signer: Ed25519PrivateKey | None = None) -> AuditCheckpoint | None:
    """Sign the chain's newest entry; return the checkpoint, or None when there is nothing to sign."""
    signer = signer or workspace_signer(session)
    head = session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
    if signer is None or head is None:
        return None
    existing = session.scalar(select(AuditCheckpoint).where(AuditCheckpoint.upto_id == head.id))
    if existing is not None:
        return existing

    entries = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.id <= head.id)) or 0
    checkpoint = AuditCheckpoint(
        upto_id=head.id,
        upto_hash=head.hash,
        entries=entries,
        at=datetime.now(timezone.utc),
        public_key=public_hex(signer.public_key()),
        signature=signer.sign(message(head.id, head.hash, entries)).hex(),
    )
    session.add(checkpoint)
    session.flush()
    return checkpoint


def checkpoint_problem(checkpoint: AuditCheckpoint, head: AuditEvent, entries: int, trusted: Ed25519PublicKey | None) -> str:
    """Why a checkpoint does not vouch for the chain as read, or "" when it does."""
    key = trusted or load_public(checkpoint.public_key)
    if trusted is not None and public_hex(trusted) != checkpoint.public_key:
        return f"checkpoint at entry {checkpoint.upto_id} is signed by an unknown key"
    try:
        key.verify(bytes.fromhex(checkpoint.signature), message(checkpoint.upto_id, checkpoint.upto_hash, checkpoint.entries))
    except (InvalidSignature, ValueError):
        return f"checkpoint at entry {checkpoint.upto_id} has a bad signature (checkpoint forged or edited)"
    if checkpoint.upto_hash != head.hash:
        return f"chain rewritten: entry {head.id} no longer has the hash its signed checkpoint vouches for"
    if checkpoint.entries != entries:
        return f"{checkpoint.entries - entries:+d} entries differ from the signed count at entry {head.id} (deleted or inserted)"
    return ""
