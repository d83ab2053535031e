"""Humans and the agent identities that act for them, and the checks made when they act.

An identity may act only while it is active, inside its delegation (``expires_at``) and
with the scope the action needs; ``require_active`` checks all three at the moment of
acting. Suspend, resume and revoke take the identity's row lock, so they wait for sends
in flight (the outbox holds a shared lock on the row across each transport call).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from churnguard.audit import AuditEntry, record
from churnguard.domain import AuditType, IdentityState
from churnguard.errors import ConfigError, StateError
from churnguard.store.models import Human, Identity

DEFAULT_SCOPES = ["mail:read", "mail:send", "vault:read"]
SCOPES = ("mail:read", "mail:send", "vault:read", "vault:write", "approvals:decide")


class IdentitySuspended(StateError):
    """The identity is suspended: its work waits, nothing is stopped."""


@dataclass(frozen=True)
class NewIdentity:
    id: str
    csm_id: str
    csm_name: str
    csm_email: str
    address: str
    authorized_by: str
    authorizer_name: str
    authorizer_email: str
    scopes: tuple[str, ...] = tuple(DEFAULT_SCOPES)
    expires_at: datetime | None = None


def ensure_human(session: Session, human_id: str, name: str, email: str, role: str) -> Human:
    human = session.get(Human, human_id)
    if human is None:
        human = Human(id=human_id, name=name, email=email, role=role)
        session.add(human)
    return human


def create_identity(session: Session, spec: NewIdentity, *, now: datetime, selector: str) -> Identity:
    """Create an agent identity for a CSM, with the delegation record, and audit it."""
    if session.get(Identity, spec.id) is not None:
        raise ConfigError(f"identity {spec.id!r} already exists; pick another id")
    if "@" not in spec.address:
        raise ConfigError(f"invalid agent address for identity {spec.id!r}: expected local@domain")
    unknown = sorted(set(spec.scopes) - set(SCOPES))
    if unknown:
        raise ConfigError(f"unknown scopes {unknown} for identity {spec.id!r}; choose from {', '.join(SCOPES)}")

    ensure_human(session, spec.csm_id, spec.csm_name, spec.csm_email, "csm")
    ensure_human(session, spec.authorized_by, spec.authorizer_name, spec.authorizer_email, "admin")
    session.flush()
    identity = Identity(
        id=spec.id,
        csm_id=spec.csm_id,
        authorized_by=spec.authorized_by,
        authorized_at=now,
        expires_at=spec.expires_at,
        address=spec.address,
        display_name=spec.csm_name,
        dkim_selector=selector,
        scopes=list(spec.scopes),
        state=IdentityState.ACTIVE.value,
    )
    session.add(identity)
    session.flush()

    record(
        session,
        AuditEntry(
            type=AuditType.IDENTITY_CREATED,
            at=now,
            identity_id=identity.id,
            authorized_by=spec.authorized_by,
            detail={
                "scopes": identity.scopes,
                "selector": selector,
                "csm": spec.csm_id,
                "expires_at": spec.expires_at.isoformat() if spec.expires_at else None,
            },
        ),
    )
    _create_data_key(session, identity.id, now)
    return identity


def _create_data_key(session: Session, identity_id: str, now: datetime) -> None:
    from churnguard.vault.sealing import keyring_for

    session.add(keyring_for(session.get_bind()).new_row(identity_id, 1, now))
    session.flush()


def active_identities(session: Session) -> list[Identity]:
    query = select(Identity).where(Identity.state == IdentityState.ACTIVE.value).order_by(Identity.id)
    return list(session.scalars(query))


def refusal(identity: Identity | None, identity_id: str, scope: str, now: datetime | None = None) -> str | None:
    """Why ``identity`` may not use ``scope`` now, or None when it may."""
    if identity is None:
        return f"identity {identity_id!r} not found"
    if identity.state != IdentityState.ACTIVE.value:
        return f"identity {identity_id!r} is {identity.state} and may not act"
    wall = now or datetime.now(timezone.utc)
    if identity.expires_at is not None and identity.expires_at <= wall:
        return f"the delegation of identity {identity_id!r} expired at {identity.expires_at.isoformat()}"
    if scope not in (identity.scopes or []):
        return f"identity {identity_id!r} lacks the {scope!r} scope"
    return None


def require_active(session: Session, identity_id: str, scope: str) -> Identity:
    """Load an identity and check, at the moment of acting, that it may use ``scope``."""
    identity = session.get(Identity, identity_id)
    reason = refusal(identity, identity_id, scope)
    if reason is None:
        assert identity is not None
        return identity
    if identity is not None and identity.state == IdentityState.SUSPENDED.value:
        raise IdentitySuspended(reason)
    raise StateError(reason)


def lock_identity(session: Session, identity_id: str, *, shared: bool) -> Identity | None:
    """Read the identity row under a row lock: shared while sending, exclusive to change state.

    On PostgreSQL this is SELECT ... FOR SHARE / FOR UPDATE, read fresh from the database.
    SQLite has no row locks; there the caller's transaction holds the single write lock.
    """
    query = select(Identity).where(Identity.id == identity_id).with_for_update(read=shared)
    return session.scalars(query.execution_options(populate_existing=True)).first()


_TRANSITIONS = {
    IdentityState.SUSPENDED: ({IdentityState.ACTIVE.value}, AuditType.IDENTITY_SUSPENDED),
    IdentityState.ACTIVE: ({IdentityState.SUSPENDED.value}, AuditType.IDENTITY_RESUMED),
    IdentityState.REVOKED: ({IdentityState.ACTIVE.value, IdentityState.SUSPENDED.value}, AuditType.IDENTITY_REVOKED),
}


def _change_state(session: Session, identity_id: str, target: IdentityState) -> Identity:
    """Move an identity to ``target`` under its exclusive row lock (waits for sends in flight)."""
    identity = lock_identity(session, identity_id, shared=False)
    if identity is None:
        raise StateError(f"identity {identity_id!r} not found; run 'churnguard identity list'")
    allowed, _ = _TRANSITIONS[target]
    if identity.state not in allowed:
        raise StateError(f"identity {identity_id!r} is {identity.state}; it cannot become {target.value}")
    identity.state = target.value
    return identity


def suspend(session: Session, identity_id: str, *, by: str, now: datetime) -> Identity:
    """Stop an identity from acting until resumed; its sequences wait, none is stopped."""
    identity = _change_state(session, identity_id, IdentityState.SUSPENDED)
    record(session, AuditEntry(AuditType.IDENTITY_SUSPENDED, now, identity_id=identity.id, authorized_by=by))
    return identity


def resume(session: Session, identity_id: str, *, by: str, now: datetime) -> Identity:
    identity = _change_state(session, identity_id, IdentityState.ACTIVE)
    record(session, AuditEntry(AuditType.IDENTITY_RESUMED, now, identity_id=identity.id, authorized_by=by))
    return identity


@dataclass
class RevokeReport:
    identity_id: str
    reassigned_to: str | None = None
    stopped_sequences: list[int] = field(default_factory=list)
    moved_sequences: list[int] = field(default_factory=list)
    moved_accounts: list[str] = field(default_factory=list)
    canceled_touches: list[int] = field(default_factory=list)
    shredded_keys: int = 0


def revoke(
    session: Session, identity_id: str, *, by: str, now: datetime, reassign_to: str | None = None, shred: bool = False
) -> RevokeReport:
    """Revoke an identity for good: stop or move its work, optionally destroy its data key.

    The caller commits; from that commit on no worker sends as this identity, because every
    send re-reads the identity under a shared row lock that this exclusive lock waits for.
    """
    target = _reassign_target(session, identity_id, reassign_to)
    identity = _change_state(session, identity_id, IdentityState.REVOKED)
    report = RevokeReport(identity.id, reassign_to)

    if target is not None:
        _move_book(session, identity.id, target, by, now, report)
    _stop_open_sequences(session, identity.id, now, report)
    _cancel_unsent(session, identity.id, report)
    if shred:
        from churnguard.vault.admin import shred as shred_key

        report.shredded_keys = shred_key(session, identity.id, now, by=by)

    detail = {
        "reassigned_to": reassign_to,
        "stopped_sequences": report.stopped_sequences,
        "moved_sequences": report.moved_sequences,
        "moved_accounts": report.moved_accounts,
        "canceled_touches": report.canceled_touches,
        "shredded": shred,
    }
    record(session, AuditEntry(AuditType.IDENTITY_REVOKED, now, identity_id=identity.id, authorized_by=by, detail=detail))
    return report


def _reassign_target(session: Session, identity_id: str, reassign_to: str | None) -> Identity | None:
    if reassign_to is None:
        return None
    if reassign_to == identity_id:
        raise ConfigError("--reassign-to must name another identity")
    target = session.get(Identity, reassign_to)
    reason = refusal(target, reassign_to, "vault:read")
    if reason is not None:
        raise StateError(f"cannot reassign to {reassign_to!r}: {reason}")
    return target


def _move_book(session: Session, identity_id: str, target: Identity, by: str, now: datetime, report: RevokeReport) -> None:
    from churnguard.store.models import Account
    from churnguard.vault.admin import reassign_account

    accounts = list(session.scalars(select(Account.id).where(Account.owner_identity_id == identity_id).order_by(Account.id)))
    for account_id in accounts:
        moved = reassign_account(session, account_id, target, now, by=by)
        report.moved_accounts.append(account_id)
        report.moved_sequences += moved.sequences
        report.canceled_touches += moved.canceled_touches


def _stop_open_sequences(session: Session, identity_id: str, now: datetime, report: RevokeReport) -> None:
    from churnguard.domain import StopReason
    from churnguard.sequences import state
    from churnguard.store.models import Sequence

    query = select(Sequence).where(Sequence.identity_id == identity_id, Sequence.open_key.is_not(None))
    for sequence in session.scalars(query):
        state.stop(session, sequence, StopReason.IDENTITY_REVOKED, now)
        report.stopped_sequences.append(sequence.id)


def _cancel_unsent(session: Session, identity_id: str, report: RevokeReport) -> None:
    from churnguard.domain import TouchState
    from churnguard.store.models import Touch

    query = select(Touch).where(Touch.identity_id == identity_id, Touch.state == TouchState.PENDING.value)
    for touch in session.scalars(query):
        touch.state = TouchState.CANCELED.value
        touch.error = "identity revoked"
        report.canceled_touches.append(touch.id)
