"""The vault: account facts, encrypted per identity, read on behalf of an identity.

``vault_get`` returns facts only for accounts the identity owns; for any other account
it returns None, exactly as for an account that does not exist, so callers learn nothing
about accounts outside their book. Each read is audited (ids only, never values).

The encryption itself sits below the models: see ``sealing`` (flush and load hooks),
``keyring`` (data keys) and ``envelope`` (the ciphertext format).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from churnguard.audit import AuditEntry, record
from churnguard.domain import AuditType, IdentityState
from churnguard.errors import StateError
from churnguard.store.models import Account, Contact, Identity
from churnguard.vault.envelope import VaultError
from churnguard.vault.sealing import attach, keyring_for

__all__ = ["AccountFacts", "ContactFacts", "VaultError", "attach", "keyring_for", "vault_get"]

_READS = "churnguard.vault.reads"


@dataclass(frozen=True)
class ContactFacts:
    id: int
    email: str
    name: str
    first_name: str
    timezone: str
    language: str
    is_main: bool
    suppressed: bool

    def __repr__(self) -> str:
        return f"ContactFacts(id={self.id!r}, <values hidden>)"

    __str__ = __repr__


@dataclass(frozen=True)
class AccountFacts:
    account_id: str
    name: str
    plan: str
    mrr_cents: int
    currency: str
    renewal_date: date | None
    status: str
    payment_status: str
    contacts: tuple[ContactFacts, ...]
    attributes: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"AccountFacts(account_id={self.account_id!r}, <values hidden>)"

    __str__ = __repr__

    @property
    def main_contact(self) -> ContactFacts | None:
        """The main contact, else the first contact that may be written to."""
        writable = [contact for contact in self.contacts if not contact.suppressed]
        for contact in writable:
            if contact.is_main:
                return contact
        return writable[0] if writable else None


def vault_get(session: Session, identity: Identity, account_id: str) -> AccountFacts | None:
    """Return the facts of ``account_id`` if ``identity`` owns it, else None.

    The identity must be active and hold ``vault:read`` at this moment; otherwise this
    raises StateError, naming the identity and never the account.
    """
    _require_reader(identity)
    account = session.get(Account, account_id)
    if account is None or account.owner_identity_id != identity.id:
        return None
    _audit_read(session, identity, account_id)

    contacts = session.scalars(select(Contact).where(Contact.account_id == account_id).order_by(Contact.id))
    return AccountFacts(
        account_id=account.id,
        name=account.name,
        plan=account.plan,
        mrr_cents=account.mrr_cents,
        currency=account.currency,
        renewal_date=account.renewal_date,
        status=account.status,
        payment_status=account.payment_status,
        contacts=tuple(_contact_facts(contact) for contact in contacts),
        attributes=dict(account.attributes or {}),
    )


def _contact_facts(contact: Contact) -> ContactFacts:
    first_name = contact.name.split()[0] if contact.name.strip() else ""
    return ContactFacts(
        id=contact.id,
        email=contact.email,
        name=contact.name,
        first_name=first_name,
        timezone=contact.timezone,
        language=contact.language,
        is_main=contact.is_main,
        suppressed=contact.suppressed,
    )


def _require_reader(identity: Identity) -> None:
    if identity.state != IdentityState.ACTIVE.value:
        raise StateError(f"identity {identity.id!r} is {identity.state} and may not read the vault")
    if "vault:read" not in (identity.scopes or []):
        raise StateError(f"identity {identity.id!r} lacks the 'vault:read' scope")


def _audit_read(session: Session, identity: Identity, account_id: str) -> None:
    """Record the read once per identity and account in each transaction: who read, not what."""
    seen = session.info.setdefault(_READS, set())
    if (identity.id, account_id) in seen:
        return
    seen.add((identity.id, account_id))
    record(
        session,
        AuditEntry(
            type=AuditType.VAULT_READ,
            at=datetime.now(timezone.utc),
            identity_id=identity.id,
            authorized_by=identity.authorized_by,
            account_id=account_id,
        ),
    )
