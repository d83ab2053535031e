"""Master keys for the vault: where they come from and how they wrap data keys.

A key provider holds one or more 256-bit master keys, each named by a key id, one of them
current. It only ever wraps and unwraps data keys (never account data), with AES-256-GCM
and associated data that names the data key, so a wrapped key cannot be passed off as
another identity's.

    CHURNGUARD_MASTER_KEY   "id:base64url[,id:base64url...]", the first one current
    keys/master/<id>.key    32 random bytes each; keys/master/current names the current id

The environment wins over the folder. A cloud KMS plugs in through ``KmsClient``: the
provider then sends the data key to the KMS to wrap and never sees the master key itself.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from churnguard.errors import ConfigError

ENV_VAR = "CHURNGUARD_MASTER_KEY"
KEY_BYTES = 32
NONCE_BYTES = 12


class KeyProvider(Protocol):
    """Wraps and unwraps data keys under a master key the caller never handles."""

    @property
    def current_id(self) -> str: ...

    def wrap(self, data_key: bytes, aad: bytes) -> tuple[str, bytes]:
        """Wrap under the current master key; return (master key id, wrapped bytes)."""
        ...

    def unwrap(self, key_id: str, wrapped: bytes, aad: bytes) -> bytes:
        """Unwrap bytes wrapped under master key ``key_id``; fail loudly on an unknown id."""
        ...


def fingerprint(key: bytes) -> str:
    """A key id that names a key without revealing it."""
    return "mk-" + hashlib.sha256(b"churnguard master key\n" + key).hexdigest()[:16]


@dataclass
class LocalKeyProvider:
    """Master keys held in this process, read from the key folder or the environment."""

    keys: dict[str, bytes]
    current: str
    folder: Path | None = None
    source: str = "environment"
    _reloads: int = field(default=0, repr=False)

    def __repr__(self) -> str:
        return f"LocalKeyProvider(current={self.current!r}, keys=<{len(self.keys)} hidden>, source={self.source!r})"

    @property
    def current_id(self) -> str:
        return self.current

    def wrap(self, data_key: bytes, aad: bytes) -> tuple[str, bytes]:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return self.current, nonce + AESGCM(self.keys[self.current]).encrypt(nonce, data_key, aad)

    def unwrap(self, key_id: str, wrapped: bytes, aad: bytes) -> bytes:
        if key_id not in self.keys and self.folder is not None:
            self._reload()  # another process may have rotated the master key
        key = self.keys.get(key_id)
        if key is None:
            raise ConfigError(
                f"master key {key_id!r} is not available ({self.source}); restore it, or set {ENV_VAR}"
            )
        try:
            return AESGCM(key).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], aad)
        except InvalidTag:
            raise ConfigError(f"a data key wrapped under master key {key_id!r} failed its integrity check") from None

    def _reload(self) -> None:
        assert self.folder is not None
        fresh = read_folder(self.folder)
        self.keys, self.current = fresh.keys, fresh.current


class KmsClient(Protocol):
    """The two calls a cloud KMS must offer (AWS KMS, GCP KMS and Azure Key Vault all do)."""

    def encrypt(self, key_id: str, plaintext: bytes, aad: bytes) -> bytes: ...

    def decrypt(self, key_id: str, ciphertext: bytes, aad: bytes) -> bytes: ...


@dataclass
class KmsKeyProvider:
    """Wrap data keys in a KMS: the master key never leaves it."""

    client: KmsClient
    key_id: str

    @property
    def current_id(self) -> str:
        return self.key_id

    def wrap(self, data_key: bytes, aad: bytes) -> tuple[str, bytes]:
        return self.key_id, self.client.encrypt(self.key_id, data_key, aad)

    def unwrap(self, key_id: str, wrapped: bytes, aad: bytes) -> bytes:
        return self.client.decrypt(key_id, wrapped, aad)


def master_folder(keys_dir: Path) -> Path:
    return keys_dir / "master"


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def create_master_key(keys_dir: Path) -> tuple[str, Path]:
    """Generate a master key in the key folder and make it current; return its id and path."""
    key = secrets.token_bytes(KEY_BYTES)
    key_id = fingerprint(key)
    folder = master_folder(keys_dir)
    path = folder / f"{key_id}.key"
    _write_private(path, key)

    pointer = folder / "current.tmp"
    pointer.write_text(key_id + "\n", encoding="ascii")
    pointer.chmod(0o600)
    pointer.replace(folder / "current")
    return key_id, path


def read_folder(folder: Path) -> LocalKeyProvider:
    """Load every master key in ``folder``; the file ``current`` names the one that wraps."""
    try:
        current = (folder / "current").read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise ConfigError(
            f"no master key in {folder}; run 'churnguard init' to create one or set {ENV_VAR}"
        ) from None

    keys = {}
    for path in folder.glob("*.key"):
        key = path.read_bytes()
        if len(key) != KEY_BYTES or fingerprint(key) != path.stem:
            raise ConfigError(f"master key file {path} is damaged (wrong length or name); restore it from backup")
        keys[path.stem] = key
    if current not in keys:
        raise ConfigError(f"{folder / 'current'} names master key {current!r}, but its file is missing")
    return LocalKeyProvider(keys, current, folder, source=str(folder))


def parse_env(value: str) -> LocalKeyProvider:
    """Read master keys from the environment variable's value."""
    keys: dict[str, bytes] = {}
    order: list[str] = []
    for item in filter(None, (part.strip() for part in value.split(","))):
        _, _, encoded = item.rpartition(":")
        try:
            key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except ValueError:
            key = b""
        if len(key) != KEY_BYTES:
            raise ConfigError(f"{ENV_VAR} must hold base64 encodings of 32-byte keys, comma-separated")
        keys[fingerprint(key)] = key
        order.append(fingerprint(key))
    if not order:
        raise ConfigError(f"{ENV_VAR} is set but empty; unset it or give a key")
    return LocalKeyProvider(keys, order[0], None, source=ENV_VAR)


def env_value(key: bytes) -> str:
    """Format a key for CHURNGUARD_MASTER_KEY."""
    return fingerprint(key) + ":" + base64.urlsafe_b64encode(key).decode().rstrip("=")


def load_provider(keys_dir: Path) -> KeyProvider:
    """The workspace's key provider: the environment if set, else the key folder."""
    value = os.environ.get(ENV_VAR)
    if value:
        return parse_env(value)
    return read_folder(master_folder(keys_dir))
