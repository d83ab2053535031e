"""``POST /webhooks/stripe``: signed Stripe events, each accepted once, applied in event order.

The body is verified on its raw bytes (``Stripe-Signature``), then read by the same
``normalize_stripe_event`` that ``churnguard import stripe`` uses. Event types churnguard maps
(payments, charges, subscriptions) update the account and become events; any other type is
kept in the inbox, ignored and logged. Stripe retries until it receives a 2xx, so duplicates and
events for unknown customers are answered 200 and kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from churnguard.ingest.stripe import EVENT_TYPES, NormalizedStripe, StripePayloadError, normalize_stripe_event
from churnguard.store.models import Account
from churnguard.web.http import RequestRejected, parse_json_object, read_body
from churnguard.web.inbox import InboundItem, InboundStatus, find_inbound, record_inbound
from churnguard.web.signature import SignatureError, verify
from churnguard.web.state import web_state
from churnguard.workspace import Workspace

log = logging.getLogger("churnguard.web.stripe")

SOURCE = "stripe"
SIGNATURE_HEADER = "stripe-signature"
# Per-field versions live in the account's attributes under this key: {field: unix seconds}.
VERSIONS_KEY = "stripe_field_versions"
_ENDED = "canceled"


@dataclass(frozen=True)
class StripeOutcome:
    status: str
    inbound_id: int | None
    account_id: str | None
    state: str = ""


async def stripe_webhook(request: Request) -> JSONResponse:
    """Verify, normalize and record one Stripe event."""
    web = web_state(request)
    secrets = web.secrets.stripe
    if not secrets:
        raise RequestRejected(503, f"Stripe webhook is not configured: set ${web.secret_env('webhooks.stripe_secret_env')}")

    body = await read_body(request, web.max_body_bytes)
    try:
        verify(request.headers.get(SIGNATURE_HEADER), body, secrets, now=web.unix_now(), tolerance=web.tolerance)
    except SignatureError as exc:
        log.warning("stripe webhook rejected: %s", exc)
        raise RequestRejected(400, str(exc)) from None

    try:
        normalized = normalize_stripe_event(parse_json_object(body))
    except StripePayloadError as exc:
        raise RequestRejected(400, str(exc)) from None

    outcome = await run_in_threadpool(accept_stripe_event, web.workspace, normalized, body)
    web.wake_flusher()
    return JSONResponse({"status": outcome.status, "event_id": normalized.event_id, "inbound_id": outcome.inbound_id,
                         "state": outcome.state})


class _Duplicate(Exception):
    """Raised inside the transaction to roll back everything a duplicate delivery touched."""


def accept_stripe_event(workspace: Workspace, event: NormalizedStripe, raw: bytes) -> StripeOutcome:
    """Record ``event`` once and apply its account change, all in one transaction."""
    now = workspace.clock.now()
    try:
        with workspace.db.transaction() as session:
            if find_inbound(session, SOURCE, event.event_id) is not None:
                raise _Duplicate

            account = _account_for(session, event.customer_id)
            item = _inbound_item(event, raw, account)
            state = ""
            if item.status is InboundStatus.PENDING and account is not None:
                state = apply_stripe_state(account, event, now)
                item.audit_detail["state"] = state

            row = record_inbound(session, item, now)
            if row is None:
                raise _Duplicate
    except _Duplicate:
        log.info("stripe event %s already received; returned as a duplicate", event.event_id)
        return StripeOutcome("duplicate", None, None)

    _log_outcome(event, item, row.id)
    return StripeOutcome(item.status.value, row.id, item.account_id, state)


def _account_for(session: Session, customer_id: str | None) -> Account | None:
    if not customer_id:
        return None
    return session.scalar(select(Account).where(Account.billing_customer_id == customer_id).order_by(Account.id).limit(1))


def _inbound_item(event: NormalizedStripe, raw: bytes, account: Account | None) -> InboundItem:
    item = InboundItem(source=SOURCE, external_id=event.event_id, kind=event.stripe_type, raw=raw,
                       status=InboundStatus.PENDING, occurred_at=event.created,
                       audit_detail={"stripe_type": event.stripe_type})
    if event.stripe_type not in EVENT_TYPES:
        item.status, item.note = InboundStatus.IGNORED, "event type not handled; kept and ignored"
    elif account is None:
        item.status = InboundStatus.UNMATCHED
        item.note = "no account has this Stripe customer as billing_customer_id"
    else:
        item.account_id = account.id
        item.event = event.to_event(account.id)
    return item


def _log_outcome(event: NormalizedStripe, item: InboundItem, inbound_id: int) -> None:
    if item.status is InboundStatus.IGNORED:
        log.info("stripe event %s of unhandled type %s kept as inbound %d and ignored", event.event_id, event.stripe_type, inbound_id)
    elif item.status is InboundStatus.UNMATCHED:
        log.warning("stripe event %s matches no account (customer %s); kept as inbound %d",
                    event.event_id, event.customer_id, inbound_id)
    else:
        log.info("stripe event %s (%s) accepted for account %s as inbound %d",
                 event.event_id, event.stripe_type, item.account_id, inbound_id)


def apply_stripe_state(account: Account, event: NormalizedStripe, now: datetime) -> str:
    """Apply the fields ``event`` sets that no newer event has set; return what happened.

    Each field (``status``, ``payment_status``) keeps the ``created`` time of the event that
    last set it, so an older ``customer.subscription.updated`` delivered late changes nothing,
    while an older payment event may still set ``payment_status`` if nothing newer touched it.
    A field without a version falls back to ``stripe_last_event_at``, the single time that
    ``churnguard import stripe`` keeps. Within one second, a cancellation wins.
    Returns ``applied``, ``partial``, ``stale`` or ``no_change``.
    """
    change = event.state_change()
    if not change:
        return "no_change"

    attributes = dict(account.attributes or {})
    versions = dict(attributes.get(VERSIONS_KEY) or {})
    # NOTE: the importer reads only stripe_last_event_at, so an import of older files can
    # still overwrite a field this webhook set from a newer event.
    fallback = attributes.get("stripe_last_event_at")
    created = int(event.created.timestamp())

    applied = [name for name, value in change.items() if _is_newer(created, value, versions.get(name, fallback))]
    for name in applied:
        setattr(account, name, change[name])
        versions[name] = created
    if not applied:
        return "stale"

    attributes[VERSIONS_KEY] = versions
    account.attributes = attributes
    account.updated_at = now
    return "applied" if len(applied) == len(change) else "partial"


def _is_newer(created: int, value: str, last: object) -> bool:
    if not isinstance(last, int) or isinstance(last, bool):
        return True
    if created == last:
        return value == _ENDED
    return created > last
