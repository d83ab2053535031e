"""Tables of the state store.

Plain columns are the ones the engine searches or sorts on (ids, states, due times, keys).
Account data (names, plans, money, contacts, evidence, subjects and message bodies) lives in
``SealedField`` attributes, encrypted into each row's ``sealed`` column by the vault; an
address the engine must look up is found through a keyed blind index (``BlindIndex``).
docs/security.md lists every plaintext column and why it is plaintext.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from churnguard.store.sealed import BlindIndex, SealedField, track_sealed


class UTCDateTime(TypeDecorator[datetime]):
    """Store instants as UTC and read them back timezone-aware, also on SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; pass an aware datetime")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Human(Base):
    """A person who uses churnguard: a CSM, a CS lead or an admin."""

    __tablename__ = "humans"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(32), default="csm")


class Identity(Base):
    """An agent identity acting for one CSM, with its delegation record."""

    __tablename__ = "identities"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    csm_id: Mapped[str] = mapped_column(ForeignKey("humans.id"))
    authorized_by: Mapped[str] = mapped_column(ForeignKey("humans.id"))
    authorized_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    address: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(String(200))
    dkim_selector: Mapped[str] = mapped_column(String(63))
    scopes: Mapped[list[Any]] = mapped_column(default=list)
    state: Mapped[str] = mapped_column(String(16), default="active")


@track_sealed
class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name = SealedField("")
    plan = SealedField("")
    mrr_cents = SealedField(0)
    currency = SealedField("USD")
    renewal_date = SealedField(None)
    attributes = SealedField({})
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(32), default="active")
    payment_status: Mapped[str] = mapped_column(String(32), default="ok")
    owner_identity_id: Mapped[str | None] = mapped_column(ForeignKey("identities.id"))
    billing_customer_id: Mapped[str | None] = mapped_column(String(128), index=True)
    updated_at: Mapped[datetime | None]


@track_sealed
class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("account_id", "email_index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    email = SealedField("", index="email_index")
    name = SealedField("")
    title = SealedField("")
    email_index: Mapped[str] = mapped_column(BlindIndex(), index=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    is_main: Mapped[bool] = mapped_column(Boolean, default=False)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    language: Mapped[str] = mapped_column(String(16), default="en")
    suppressed: Mapped[bool] = mapped_column(Boolean, default=False)
    suppression_reason: Mapped[str | None] = mapped_column(String(64))


class Event(Base):
    """An event kept in the state database (the ``sql`` event store)."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_account_time", "account_id", "occurred_at"),)

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(128))
    type: Mapped[str] = mapped_column(String(64), index=True)
    occurred_at: Mapped[datetime]
    quantity: Mapped[float] = mapped_column(Float, default=1.0)
    source: Mapped[str] = mapped_column(String(32), default="")
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)


@track_sealed
class SignalRow(Base):
    __tablename__ = "signals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    as_of: Mapped[datetime]
    summary = SealedField("")
    evidence = SealedField({})
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


@track_sealed
class Sequence(Base):
    """One run of a play for one account.

    ``open_key`` is ``account:play`` while the sequence is open and NULL once it ends, so a
    unique index allows one open sequence per (account, play) and any number of ended ones.
    """

    __tablename__ = "sequences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    open_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    play: Mapped[str] = mapped_column(String(64))
    identity_id: Mapped[str] = mapped_column(ForeignKey("identities.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    signal_id: Mapped[int | None] = mapped_column(ForeignKey("signals.id"))
    state: Mapped[str] = mapped_column(String(32), index=True)
    step_index: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    subject = SealedField("")
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    stop_reason: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None]
    # Account facts at the start that stop conditions compare against (status, renewal date).
    context: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Step(Base):
    """One planned step of a sequence, with the time it becomes due."""

    __tablename__ = "steps"
    __table_args__ = (UniqueConstraint("sequence_id", "index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sequence_id: Mapped[int] = mapped_column(ForeignKey("sequences.id"), index=True)
    index: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    angle: Mapped[str] = mapped_column(String(64), default="")
    wait_days: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(16), default="planned")
    done_at: Mapped[datetime | None]


@track_sealed
class Touch(Base):
    """One outbound message or hand-off, recorded before the transport is called."""

    __tablename__ = "touches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(300), unique=True)
    message_id: Mapped[str] = mapped_column(String(400), unique=True)
    sequence_id: Mapped[int] = mapped_column(ForeignKey("sequences.id"), index=True)
    step_id: Mapped[int | None] = mapped_column(ForeignKey("steps.id"))
    identity_id: Mapped[str] = mapped_column(ForeignKey("identities.id"))
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), index=True)
    to_addr = SealedField("", index="to_index")
    to_index: Mapped[str] = mapped_column(BlindIndex())
    envelope_token: Mapped[str] = mapped_column(String(64), unique=True)
    subject = SealedField("")
    in_reply_to: Mapped[str | None] = mapped_column(String(400))
    raw = SealedField(None)
    draft = SealedField(None)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    receipt: Mapped[str | None] = mapped_column(String(400))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # Wall-clock end of the sending worker's claim; a touch still "sending" after it is
    # reconciled by another worker. It uses real time even when the clock is simulated.
    lease_until: Mapped[datetime | None]
    approved_by: Mapped[str | None] = mapped_column(String(64))
    approved_at: Mapped[datetime | None]


@track_sealed
class Reply(Base):
    """An inbound message read from an agent mailbox, with its kind and verdict."""

    __tablename__ = "replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(400), unique=True)
    message_id: Mapped[str | None] = mapped_column(String(400), index=True)
    identity_id: Mapped[str] = mapped_column(ForeignKey("identities.id"))
    sequence_id: Mapped[int | None] = mapped_column(ForeignKey("sequences.id"), index=True)
    touch_id: Mapped[int | None] = mapped_column(ForeignKey("touches.id"))
    kind: Mapped[str] = mapped_column(String(32))
    verdict: Mapped[str] = mapped_column(String(32))
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    reply_text = SealedField("")
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    raw = SealedField(b"")
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime]
    acted: Mapped[bool] = mapped_column(Boolean, default=False)


class MailboxCursorRow(Base):
    __tablename__ = "mailbox_cursors"

    identity_id: Mapped[str] = mapped_column(ForeignKey("identities.id"), primary_key=True)
    folder: Mapped[str] = mapped_column(String(200), primary_key=True)
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    token: Mapped[str | None] = mapped_column(String(1000))  # an opaque cursor, for mailboxes read over an HTTP API


class AuditEvent(Base):
    """An append-only record of an action. Triggers forbid UPDATE and DELETE."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    type: Mapped[str] = mapped_column(String(64), index=True)
    identity_id: Mapped[str | None] = mapped_column(String(64))
    authorized_by: Mapped[str | None] = mapped_column(String(64))
    signal_key: Mapped[str | None] = mapped_column(String(300))
    account_id: Mapped[str | None] = mapped_column(String(128), index=True)
    sequence_id: Mapped[int | None] = mapped_column(Integer)
    touch_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


# Tables defined in other modules register on Base.metadata when imported here.
from churnguard.store import inbound_models  # noqa: E402,F401
from churnguard.store import vault_models  # noqa: E402,F401
from churnguard.store import mail_models  # noqa: E402,F401
from churnguard.store import sentiment_models  # noqa: E402,F401
