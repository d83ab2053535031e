"""Seal rows on flush and open them on first read, with the keys of the row's owner.

``attach`` binds a keyring to a database's engine. From then on every flush encrypts the
sealed fields of new and changed rows, and every statement runs with that engine's
blind-index function, so a query by address is hashed with the right workspace key.
"""

from __future__ import annotations

import weakref
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from churnguard.keyprovider import load_provider
from churnguard.store.db import Database
from churnguard.store.models import Account, Contact, Reply, Sequence, SignalRow, Touch
from churnguard.store.sealed import current_indexer, install_opener, plain_values, sealed_values
from churnguard.store.vault_models import DataKey
from churnguard.vault.envelope import VaultError, dumps, loads, open_sealed, parse, seal
from churnguard.vault.keyring import INDEX_OWNER, WORKSPACE_OWNER, Keyring

_rings: "weakref.WeakKeyDictionary[Engine, Keyring]" = weakref.WeakKeyDictionary()


def attach(db: Database, keys_dir: Path) -> Keyring:
    """Give ``db`` a keyring that reads master keys from ``keys_dir`` (or the environment)."""
    ring = Keyring(db.engine, lambda: load_provider(keys_dir), keys_dir)
    _rings[db.engine] = ring
    ensure_base_keys(db, ring)
    return ring


def ensure_base_keys(db: Database, ring: Keyring) -> None:
    """Create the workspace key and the blind-index key the first time the vault is used."""
    with db.session() as session:
        missing = [
            owner for owner in (WORKSPACE_OWNER, INDEX_OWNER)
            if session.get(DataKey, (owner, 1)) is None
        ]
    if not missing:
        return
    try:
        with db.transaction() as session:
            for owner in missing:
                session.add(ring.new_row(owner, 1))
    except IntegrityError:
        pass  # another process created them at the same moment


def keyring_for(bind: Any) -> Keyring:
    engine = getattr(bind, "engine", bind)
    ring = _rings.get(engine) if engine is not None else None
    if ring is None:
        raise VaultError("no vault is attached to this database; open it through Workspace.open")
    return ring


def row_aad(row: Any) -> bytes:
    """Associated data binding a ciphertext to its row and its account."""
    if isinstance(row, Account):
        text = f"accounts|{row.id}"
    elif isinstance(row, Contact):
        text = f"contacts|{row.account_id}|{row.email_index}"
    elif isinstance(row, SignalRow):
        text = f"signals|{row.account_id}|{row.key}"
    elif isinstance(row, Sequence):
        text = f"sequences|{row.account_id}|{row.play}"
    elif isinstance(row, Touch):
        text = f"touches|{row.idempotency_key}"
    elif isinstance(row, Reply):
        text = f"replies|{row.dedupe_key}"
    else:
        raise TypeError(f"{type(row).__name__} has no sealed fields")
    return text.encode("utf-8")


def open_row(row: Any, blob: bytes, bind: Any) -> dict[str, Any]:
    """Decrypt a row's sealed column; the blob names the key, the row gives the binding."""
    if bind is None:
        session = object_session(row)
        bind = session.get_bind() if session is not None else None
    header = parse(blob)
    key = keyring_for(bind).key(header.owner, header.version)
    return loads(open_sealed(key, header, row_aad(row)))


install_opener(open_row)


def key_owner(session: Session, row: Any, pending: dict[str, Account]) -> str:
    """Whose data key seals this row: the account owner, or the identity running the sequence."""
    if isinstance(row, Account):
        return row.owner_identity_id or WORKSPACE_OWNER
    if isinstance(row, (Contact, SignalRow)):
        account = pending.get(row.account_id) or session.get(Account, row.account_id)
        return (account.owner_identity_id if account else None) or WORKSPACE_OWNER
    if isinstance(row, Sequence):
        return row.identity_id
    sequence = session.get(Sequence, row.sequence_id) if row.sequence_id else None
    return sequence.identity_id if sequence is not None else row.identity_id


def seal_row(session: Session, ring: Keyring, row: Any, pending: dict[str, Account]) -> None:
    values = sealed_values(row)
    for name, spec in row.__sealed_fields__.items():
        if spec.index is not None:
            setattr(row, spec.index, ring.indexer(str(values[name] or "")))
    owner = key_owner(session, row, pending)
    version, key = ring.current(session, owner)
    row.sealed = seal(key, owner, version, dumps(values), row_aad(row))


def mark_for_reseal(rows: Any) -> int:
    """Open each row now and clear its ciphertext, so the next flush seals it under its current owner."""
    count = 0
    for row in rows:
        plain_values(row)
        row.sealed = None
        count += 1
    return count


def _owner_moved(session: Session, account: Account) -> None:
    if not inspect(account).attrs.owner_identity_id.history.has_changes():
        return
    mark_for_reseal([account])
    mark_for_reseal(session.scalars(select(Contact).where(Contact.account_id == account.id)))
    mark_for_reseal(session.scalars(select(SignalRow).where(SignalRow.account_id == account.id)))


@event.listens_for(Session, "before_flush")
def _seal_on_flush(session: Session, flush_context: Any, instances: Any) -> None:
    candidates = [row for row in (*session.new, *session.dirty) if hasattr(row, "__sealed_fields__")]
    if not candidates:
        return
    ring = keyring_for(session.get_bind())
    pending = {row.id: row for row in session.new if isinstance(row, Account)}
    with session.no_autoflush:
        for row in candidates:
            if isinstance(row, Account) and row in session.dirty:
                _owner_moved(session, row)
        rows = [row for row in (*session.new, *session.dirty) if hasattr(row, "__sealed_fields__")]
        for row in sorted(rows, key=lambda r: not isinstance(r, Account)):
            if row.__dict__.get("sealed") is None:
                seal_row(session, ring, row, pending)


@event.listens_for(Engine, "before_execute")
def _set_indexer(conn: Any, clause: Any, multiparams: Any, params: Any, options: Any) -> None:
    ring = _rings.get(conn.engine)
    current_indexer.set(ring.indexer if ring is not None else None)
