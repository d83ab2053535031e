"""Vault tables: wrapped data keys and signed audit checkpoints."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from churnguard.store.models import Base


class DataKey(Base):
    """A data key of one owner (an identity, or the workspace for unowned accounts).

    ``wrapped`` is the key encrypted under master key ``master_key_id``; shredding sets it to
    NULL, after which nothing sealed under this key can be opened again.
    """

    __tablename__ = "data_keys"

    owner: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    master_key_id: Mapped[str] = mapped_column(String(64))
    wrapped: Mapped[bytes | None] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]


class AuditCheckpoint(Base):
    """An Ed25519 signature over the audit chain's head at ``upto_id``."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    upto_id: Mapped[int] = mapped_column(Integer, unique=True)
    upto_hash: Mapped[str] = mapped_column(String(64))
    entries: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    public_key: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))
