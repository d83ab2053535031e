"""The sealed format: every ciphertext names its key owner and version.

    b"cg1" | owner length (1 byte) | owner (UTF-8) | version (4 bytes, big-endian)
          | nonce (12 bytes) | AES-256-GCM ciphertext and tag

The associated data binds the ciphertext to its row (the account id and the row's own key),
so bytes copied into another row or another account fail to open.
"""

from __future__ import annotations

import base64
import json
import secrets
import struct
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from churnguard.errors import StateError

MAGIC = b"cg1"
NONCE_BYTES = 12


class VaultError(StateError):
    """A sealed value cannot be opened: unknown or shredded key, or tampered bytes."""


@dataclass(frozen=True)
class Header:
    owner: str
    version: int
    nonce: bytes
    body: bytes


def parse(blob: bytes) -> Header:
    """Split a sealed blob into the key it names and its ciphertext."""
    if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + 1:
        raise VaultError("sealed value has an unknown format; it was not written by this vault")
    size = blob[len(MAGIC)]
    start = len(MAGIC) + 1
    owner = blob[start : start + size].decode("utf-8", "replace")
    (version,) = struct.unpack(">I", blob[start + size : start + size + 4])
    nonce_at = start + size + 4
    return Header(owner, version, blob[nonce_at : nonce_at + NONCE_BYTES], blob[nonce_at + NONCE_BYTES :])


def seal(key: AESGCM, owner: str, version: int, plaintext: bytes, aad: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    name = owner.encode("utf-8")
    return MAGIC + bytes([len(name)]) + name + struct.pack(">I", version) + nonce + key.encrypt(nonce, plaintext, aad)


def open_sealed(key: AESGCM, header: Header, aad: bytes) -> bytes:
    try:
        return key.decrypt(header.nonce, header.body, aad)
    except InvalidTag:
        raise VaultError(
            f"sealed value under key {header.owner!r} v{header.version} failed its integrity check: "
            "it was altered or moved from another row"
        ) from None


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"$b": base64.b64encode(value).decode("ascii")}
    if isinstance(value, datetime):
        return {"$t": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    raise TypeError(f"cannot seal a value of type {type(value).__name__}")


def _decode(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "$b" in obj:
            return base64.b64decode(obj["$b"])
        if "$t" in obj:
            return datetime.fromisoformat(obj["$t"])
        if "$d" in obj:
            return date.fromisoformat(obj["$d"])
    return obj


def dumps(values: dict[str, Any]) -> bytes:
    return json.dumps(values, default=_encode, separators=(",", ":"), sort_keys=True).encode("utf-8")


def loads(data: bytes) -> dict[str, Any]:
    return json.loads(data, object_hook=_decode)
