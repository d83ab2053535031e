"""The sealed-field descriptor that keeps account data encrypted at rest.

A model lists its sensitive fields as ``SealedField`` descriptors. Code reads and writes them
like plain attributes (``account.plan``). The values live only in memory, and the row stores
their AES-256-GCM ciphertext in one ``sealed`` column. Setting a field clears ``sealed``
to NULL, which marks the row for the vault's flush hook to encrypt again; the column is
NOT NULL, so a session without the vault attached fails loudly instead of losing data.
"""

from __future__ import annotations

import contextvars
import copy
from typing import Any, Callable

from sqlalchemy import String, TypeDecorator, event
from sqlalchemy.sql.functions import ReturnTypeFromArgs

PLAIN = "_cg_plain"
BIND = "_cg_bind"

# Set by churnguard.vault when it is imported: (row, ciphertext, bind) -> field values.
Opener = Callable[[Any, bytes, Any], dict[str, Any]]
_opener: list[Opener] = []


class lower(ReturnTypeFromArgs[str]):  # noqa: N801 - the SQL name
    """``func.lower`` keeps its argument's type, so ``func.lower(Contact.email) == x`` is hashed too."""

    inherit_cache = True


def install_opener(opener: Opener) -> None:
    _opener[:] = [opener]


INDEX_PREFIX = "bi1:"
# The blind-index function of the engine that runs the current statement. The vault sets it
# before every execution, so a query by address is hashed with that workspace's index key.
current_indexer: contextvars.ContextVar[Callable[[str], str] | None] = contextvars.ContextVar(
    "churnguard_indexer", default=None
)


class BlindIndex(TypeDecorator[str]):
    """A keyed hash of an address: equality search works, the address is never stored.

    Any value bound to this type that is not already an index is hashed, so queries such as
    ``Contact.email == address`` or ``func.lower(Contact.email).in_(addresses)`` keep working.
    """

    impl = String(68)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        if value is None or value.startswith(INDEX_PREFIX):
            return value
        indexer = current_indexer.get()
        if indexer is None:
            raise RuntimeError("no vault is attached to this database; cannot search by address")
        return indexer(value)


class SealedField:
    """An attribute stored inside the row's encrypted ``sealed`` column."""

    def __init__(self, default: Any = None, *, index: str | None = None) -> None:
        """``index`` names the ``BlindIndex`` column kept beside the field for lookups."""
        self.default = default
        self.index = index
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        fields = dict(getattr(owner, "__sealed_fields__", {}))
        fields[name] = self
        owner.__sealed_fields__ = fields

    def __get__(self, row: Any, owner: type | None = None) -> Any:
        if row is None:
            if self.index is not None:
                return getattr(owner, self.index)  # search by the blind index
            return self  # a sealed field cannot be used in SQL
        values = plain_values(row)
        if self.name not in values:
            values[self.name] = copy.deepcopy(self.default)
        return values[self.name]

    def __set__(self, row: Any, value: Any) -> None:
        values = plain_values(row)
        if self.name in values and values[self.name] == value and row.__dict__.get("sealed") is not None:
            return
        values[self.name] = value
        row.sealed = None


def plain_values(row: Any) -> dict[str, Any]:
    """Return the row's decrypted fields, opened on first use and kept for the object's life."""
    state = row.__dict__
    values = state.get(PLAIN)
    if values is not None:
        return values

    sealed = state.get("sealed")
    if sealed is None and "sealed" not in state and state.get("_sa_instance_state") is not None:
        sealed = getattr(row, "sealed", None) if row._sa_instance_state.has_identity else None
    if sealed:
        if not _opener:
            raise RuntimeError("churnguard.vault is not imported; sealed fields cannot be opened")
        values = _opener[0](row, sealed, state.get(BIND))
    else:
        values = {}
    state[PLAIN] = values
    return values


def sealed_values(row: Any) -> dict[str, Any]:
    """Return every sealed field of the row with defaults filled in, ready to encrypt."""
    values = plain_values(row)
    return {name: values.get(name, copy.deepcopy(spec.default)) for name, spec in row.__sealed_fields__.items()}


def track_sealed(model: type) -> type:
    """Drop cached plaintext whenever SQLAlchemy reloads the row, and remember its engine."""

    def loaded(row: Any, context: Any) -> None:
        row.__dict__.pop(PLAIN, None)
        session = getattr(context, "session", None)
        if session is not None:
            row.__dict__[BIND] = session.get_bind()

    def refreshed(row: Any, context: Any, attrs: Any) -> None:
        if attrs is None or "sealed" in attrs:
            loaded(row, context)

    def expired(row: Any, attrs: Any) -> None:
        if attrs is None or "sealed" in attrs:
            row.__dict__.pop(PLAIN, None)

    event.listen(model, "load", loaded)
    event.listen(model, "refresh", refreshed)
    event.listen(model, "expire", expired)
    return model
