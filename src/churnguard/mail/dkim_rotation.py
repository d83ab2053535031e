"""DKIM key rotation: which selectors sign now and which stay published during the grace period.

An identity's ring lists its selectors with the time each was added and, once replaced, the
time it stops being published. After ``rotate`` the new selector signs at once, and the old
one stays in DNS until the grace period ends, so a message signed just before the switch
still verifies while it sits in queues and is re-checked later. The ring is plain JSON kept
beside the key files; this module reads and writes no key material.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from churnguard.errors import ConfigError

ALGORITHMS = ("rsa", "ed25519")


@dataclass(frozen=True)
class SelectorEntry:
    """One selector of an identity: its key type, when it was added and when it leaves DNS."""

    selector: str
    algorithm: str
    added_at: datetime
    retire_at: datetime | None = None

    def published(self, now: datetime) -> bool:
        return self.retire_at is None or now < self.retire_at


@dataclass(frozen=True)
class KeyRing:
    """The selectors of one identity, oldest first."""

    identity_id: str
    entries: tuple[SelectorEntry, ...] = field(default_factory=tuple)

    def signing(self, now: datetime) -> list[SelectorEntry]:
        """Return the newest unretired selector of each algorithm, RSA first."""
        chosen: list[SelectorEntry] = []
        for algorithm in ALGORITHMS:
            live = [e for e in self.entries if e.algorithm == algorithm and e.retire_at is None and e.added_at <= now]
            if live:
                chosen.append(live[-1])
        return chosen

    def published(self, now: datetime) -> list[SelectorEntry]:
        """Return every selector whose public key must be in DNS at ``now``."""
        return [e for e in self.entries if e.published(now)]


def rotate(ring: KeyRing, selector: str, algorithm: str, now: datetime, grace: timedelta) -> KeyRing:
    """Add ``selector`` as the signing key of its algorithm and retire the previous one after ``grace``."""
    if algorithm not in ALGORITHMS:
        raise ConfigError(f"invalid DKIM key type {algorithm!r}: use rsa or ed25519")
    if any(e.selector == selector for e in ring.entries):
        raise ConfigError(f"DKIM selector {selector!r} was already used by identity {ring.identity_id!r}; pick a new one")
    if grace < timedelta(0):
        raise ConfigError("the DKIM rotation grace period cannot be negative")

    retired = tuple(
        replace(e, retire_at=now + grace) if e.algorithm == algorithm and e.retire_at is None else e
        for e in ring.entries
    )
    return KeyRing(ring.identity_id, (*retired, SelectorEntry(selector, algorithm, now)))


def ring_path(keys_dir: Path, identity_id: str) -> Path:
    return keys_dir / f"dkim-{identity_id}.ring.json"


def load_ring(keys_dir: Path, identity_id: str, first_selector: str, created: datetime) -> KeyRing:
    """Read the ring, or start one holding the identity's first RSA selector."""
    path = ring_path(keys_dir, identity_id)
    if not path.exists():
        return KeyRing(identity_id, (SelectorEntry(first_selector, "rsa", created),))
    try:
        data = json.loads(path.read_text())
        entries = tuple(_entry(item) for item in data["entries"])
    except (ValueError, KeyError, TypeError):
        raise ConfigError(f"DKIM key ring {path} is not valid; restore it from a backup") from None
    return KeyRing(identity_id, entries)


def save_ring(keys_dir: Path, ring: KeyRing) -> None:
    path = ring_path(keys_dir, ring.identity_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    entries = [{**asdict(e), "added_at": e.added_at.isoformat(),
                "retire_at": e.retire_at.isoformat() if e.retire_at else None} for e in ring.entries]
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"identity_id": ring.identity_id, "entries": entries}, indent=1))
    os.replace(tmp, path)


def _entry(item: dict[str, str | None]) -> SelectorEntry:
    retire = item.get("retire_at")
    return SelectorEntry(
        selector=str(item["selector"]),
        algorithm=str(item["algorithm"]),
        added_at=datetime.fromisoformat(str(item["added_at"])),
        retire_at=datetime.fromisoformat(retire) if retire else None,
    )
