"""Humans and the agent identities that act for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from churnguard.audit import AuditEntry, record
from churnguard.domain import AuditType, IdentityState
from churnguard.errors import ConfigError, StateError
from churnguard.store.models import Human, Identity

DEFAULT_SCOPES = ["mail:read", "mail:send", "vault:read"]


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

    ensure_human(session, spec.csm_id, spec.csm_name, spec.csm_email, "csm")
    ensure_human(session, spec.authorized_by, spec.authorizer_name, spec.authorizer_email, "admin")
    session.flush()
    identity = Identity(
        id=spec.id,
        csm_id=spec.csm_id,
        authorized_by=spec.authorized_by,
        authorized_at=now,
        expires_at=None,
        address=spec.address,
        display_name=spec.csm_name,
        dkim_selector=selector,
        scopes=list(DEFAULT_SCOPES),
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
            detail={"scopes": identity.scopes, "selector": selector},
        ),
    )
    return identity


def active_identities(session: Session) -> list[Identity]:
    query = select(Identity).where(Identity.state == IdentityState.ACTIVE.value).order_by(Identity.id)
    return list(session.scalars(query))


def require_active(session: Session, identity_id: str, scope: str) -> Identity:
    """Load an identity and check, at the moment of acting, that it may use ``scope``."""
    identity = session.get(Identity, identity_id)
    if identity is None:
        raise StateError(f"identity {identity_id!r} not found")
    if identity.state != IdentityState.ACTIVE.value:
        raise StateError(f"identity {identity_id!r} is {identity.state} and may not act")
    if scope not in identity.scopes:
        raise StateError(f"identity {identity_id!r} lacks the {scope!r} scope")
    return identity
