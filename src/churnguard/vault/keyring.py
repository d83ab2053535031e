"""Data keys: one versioned key per owner, wrapped by the master key, unwrapped on demand.

Unwrapped keys are cached for ``KEY_TTL`` seconds, so a key shredded or rotated by another
process stops being used here within that time. A revoked identity is stopped at once by the
checks at the moment of acting (see churnguard.identity), whatever is cached.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from churnguard.keyprovider import KeyProvider
from churnguard.store.sealed import INDEX_PREFIX
from churnguard.store.vault_models import DataKey
from churnguard.vault.envelope import VaultError

WORKSPACE_OWNER = "_workspace"  # accounts no identity owns yet
INDEX_OWNER = "_index"  # the blind-index key; never rotated, so lookups stay stable
KEY_TTL = 30.0
ACTIVE, RETIRED, SHREDDED = "active", "retired", "shredded"


def wrap_aad(owner: str, version: int) -> bytes:
    return f"churnguard data key|{owner}|{version}".encode()


class Keyring:
    """The data keys of one database, unwrapped through one key provider."""

    def __init__(self, engine: Engine, load_provider: Callable[[], KeyProvider], keys_dir: Path | None = None) -> None:
        self.keys_dir = keys_dir
        self._engine = engine
        self._load_provider = load_provider
        self._provider: KeyProvider | None = None
        self._keys: dict[tuple[str, int], tuple[AESGCM, float]] = {}
        self._current: dict[str, tuple[int, float]] = {}
        self._index_key: bytes | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Keyring(<{len(self._keys)} keys hidden>)"

    @property
    def provider(self) -> KeyProvider:
        if self._provider is None:
            self._provider = self._load_provider()
        return self._provider

    def new_row(self, owner: str, version: int, now: datetime | None = None) -> DataKey:
        """Generate a data key and return its row, wrapped under the current master key."""
        master_id, wrapped = self.provider.wrap(secrets.token_bytes(32), wrap_aad(owner, version))
        return DataKey(
            owner=owner, version=version, master_key_id=master_id, wrapped=wrapped,
            state=ACTIVE, created_at=now or datetime.now(timezone.utc),
        )

    def current(self, session: Session, owner: str) -> tuple[int, AESGCM]:
        """The version and key that new data of ``owner`` is sealed with, created on first use."""
        cached = self._current.get(owner)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0], self.key(owner, cached[0], session)

        rows = list(session.scalars(select(DataKey).where(DataKey.owner == owner).order_by(DataKey.version.desc())))
        if any(row.state == SHREDDED for row in rows):
            raise VaultError(f"the data key of {owner!r} was shredded; nothing more can be sealed for it")
        active = next((row for row in rows if row.state == ACTIVE), None)
        if active is None:
            active = self.new_row(owner, (rows[0].version + 1) if rows else 1)
            session.add(active)
        self._current[owner] = (active.version, time.monotonic() + KEY_TTL)
        return active.version, self._unwrap(active)

    def key(self, owner: str, version: int, session: Session | None = None) -> AESGCM:
        """Return the key a ciphertext names; raise VaultError naming it when shredded or unknown."""
        cached = self._keys.get((owner, version))
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        query = select(DataKey).where(DataKey.owner == owner, DataKey.version == version)
        if session is not None:
            row = session.scalar(query)
        else:
            with Session(self._engine) as own:
                row = own.scalar(query)
        if row is None:
            raise VaultError(f"data key {owner!r} v{version} is unknown to this workspace")
        return self._unwrap(row)

    def _unwrap(self, row: DataKey) -> AESGCM:
        if row.wrapped is None:
            raise VaultError(f"data key {row.owner!r} v{row.version} was shredded; its data cannot be read")
        plain = self.provider.unwrap(row.master_key_id, row.wrapped, wrap_aad(row.owner, row.version))
        key = AESGCM(plain)
        with self._lock:
            self._keys[(row.owner, row.version)] = (key, time.monotonic() + KEY_TTL)
        return key

    def index_key(self) -> bytes:
        if self._index_key is None:
            with Session(self._engine) as session:
                row = session.scalar(select(DataKey).where(DataKey.owner == INDEX_OWNER, DataKey.version == 1))
            if row is None or row.wrapped is None:
                raise VaultError("the blind-index key is missing; open the workspace once to create it")
            self._index_key = self.provider.unwrap(row.master_key_id, row.wrapped, wrap_aad(INDEX_OWNER, 1))
        return self._index_key

    def indexer(self, value: str) -> str:
        """Hash an address for equality search; the same address always gives the same index."""
        digest = hmac.new(self.index_key(), value.strip().lower().encode("utf-8"), hashlib.sha256).hexdigest()
        return INDEX_PREFIX + digest[:48]

    def forget(self, owner: str | None = None) -> None:
        """Drop cached keys (all, or one owner's) so the next use reads the table again."""
        with self._lock:
            for cache_key in [k for k in self._keys if owner is None or k[0] == owner]:
                del self._keys[cache_key]
            for name in [k for k in self._current if owner is None or k == owner]:
                del self._current[name]
