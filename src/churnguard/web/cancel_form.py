"""``POST /webhooks/cancel-form``: a signed cancel-form submission starts ``cancel_intercept``.

The form's backend signs the raw JSON body like Stripe does (see ``web.signature``) and
sends it in the ``Churnguard-Signature`` header. The body names the submission, the account,
optionally the contact, and the reason. The submission is kept in the inbox (with the reason
text) and becomes a ``cancel_request`` event. A ``cancel_request`` signal goes straight to
``start_sequences``, which starts every enabled play listening to it (the shipped one is
``cancel_intercept``). So the save offer does not wait for the next scan. The signal's evidence
carries the reason category and an ``inbound:<id>`` reference to the text, never the text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.background import BackgroundTask
from starlette.responses import JSONResponse

from churnguard.clock import ensure_utc
from churnguard.detect.eventstore import EventRecord, event_id
from churnguard.domain import Signal, SignalKind
from churnguard.plays import PlayBook
from churnguard.sequences.start import start_sequences
from churnguard.store.inbound_models import inbound_reference
from churnguard.store.models import Account, Contact
from churnguard.web.cancel_reasons import REASONS, classify_reason
from churnguard.web.http import RequestRejected, parse_json_object, read_body, require_json_content
from churnguard.web.inbox import InboundItem, InboundStatus, find_inbound, record_inbound
from churnguard.web.signature import SignatureError, verify
from churnguard.web.state import web_state
from churnguard.workspace import Workspace

log = logging.getLogger("churnguard.web.cancel_form")

SOURCE = "cancel_form"
EVENT_TYPE = "cancel_request"
SIGNATURE_HEADER = "churnguard-signature"
MAX_REASON_TEXT = 5000
_MAX_ID = 200


@dataclass(frozen=True)
class CancelForm:
    """One validated submission."""

    id: str
    account_id: str
    contact_email: str | None
    reason: str
    reason_source: str
    reason_text: str
    submitted_at: datetime | None


async def cancel_form_webhook(request: Request) -> JSONResponse:
    """Verify and record one submission, then start the play."""
    web = web_state(request)
    if not web.secrets.cancel_form:
        raise RequestRejected(503, f"cancel-form webhook is not configured: set ${web.secret_env('webhooks.cancel_form_secret_env')}")

    require_json_content(request)
    body = await read_body(request, web.max_body_bytes)
    try:
        verify(request.headers.get(SIGNATURE_HEADER), body, web.secrets.cancel_form, now=web.unix_now(), tolerance=web.tolerance)
    except SignatureError as exc:
        log.warning("cancel-form webhook rejected: %s", exc)
        raise RequestRejected(400, str(exc)) from None

    form = parse_cancel_form(parse_json_object(body))
    result = await run_in_threadpool(accept_cancel_form, web.workspace, web.playbook, form, body)
    web.wake_flusher()
    # The save offer goes out right after the response, not at the worker's next pass.
    send_now = result.get("sequence") == "started" and bool(web.settings["webhooks.send_immediately"])
    return JSONResponse(result, background=BackgroundTask(web.send_due) if send_now else None)


def parse_cancel_form(data: dict[str, Any]) -> CancelForm:
    """Validate a submission's fields, or raise a 422 naming the field."""
    form_id = _text(data, "id", required=True, limit=_MAX_ID)
    account_id = _text(data, "account_id", required=True, limit=128)
    contact_email = _text(data, "contact_email", required=False, limit=320)
    reason_text = _text(data, "reason_text", required=False, limit=MAX_REASON_TEXT) or ""

    form_reason = _text(data, "reason", required=False, limit=64)
    if form_reason is not None and form_reason not in REASONS:
        raise RequestRejected(422, f"invalid field 'reason': use one of {', '.join(REASONS)} or leave it out")
    reason, source = (form_reason, "form") if form_reason else (classify_reason(reason_text), "text")

    return CancelForm(form_id, account_id, contact_email, reason, source, reason_text, _time(data.get("submitted_at")))


def _text(data: dict[str, Any], name: str, *, required: bool, limit: int) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise RequestRejected(422, f"missing field '{name}'")
        return None
    if not isinstance(value, str):
        raise RequestRejected(422, f"invalid field '{name}': expected a string")
    if len(value) > limit:
        raise RequestRejected(422, f"invalid field '{name}': longer than {limit} characters")
    return value.strip()


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        return ensure_utc(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    except ValueError:
        raise RequestRejected(422, "invalid field 'submitted_at': expected an ISO 8601 time such as 2026-03-02T09:00:00Z") from None


def accept_cancel_form(workspace: Workspace, playbook: PlayBook, form: CancelForm, raw: bytes) -> dict[str, Any]:
    """Record the submission once, then start the plays listening to ``cancel_request``.

    A repeated delivery records nothing new but calls ``start_sequences`` again, which
    starts nothing twice, so a retry after a failed start still starts the play.
    """
    now = workspace.clock.now()
    with workspace.db.transaction() as session:
        existing = find_inbound(session, SOURCE, form.id)
        if existing is None:
            row = record_inbound(session, _inbound_item(session, form, raw, now), now)
            duplicate = row is None
            row = row or find_inbound(session, SOURCE, form.id)
        else:
            row, duplicate = existing, True
        assert row is not None
        inbound_id, status, account_id, event = row.id, row.status, row.account_id, row.event

    result: dict[str, Any] = {"status": "duplicate" if duplicate else status, "inbound_id": inbound_id}
    if account_id is None or event is None:
        log.warning("cancel form %s matches no account; kept as inbound %d", form.id, inbound_id)
        return result

    result["sequence"] = _start(workspace, playbook, account_id, event["properties"], inbound_id, now)
    log.info("cancel form %s for account %s kept as inbound %d; sequence %s", form.id, account_id, inbound_id, result["sequence"])
    return result


def _inbound_item(session: Session, form: CancelForm, raw: bytes, now: datetime) -> InboundItem:
    occurred = form.submitted_at or now
    item = InboundItem(source=SOURCE, external_id=form.id, kind=EVENT_TYPE, raw=raw,
                       status=InboundStatus.PENDING, occurred_at=occurred, audit_detail={"reason": form.reason})
    account = session.get(Account, form.account_id)
    if account is None:
        item.status, item.note = InboundStatus.UNMATCHED, "no account with this account_id"
        return item

    contact_id = _contact_id(session, account.id, form.contact_email)
    properties = {"reason": form.reason, "reason_source": form.reason_source, "form_id": form.id,
                  "contact_id": contact_id, "has_reason_text": bool(form.reason_text)}
    item.account_id = account.id
    item.event = EventRecord(event_id(SOURCE, form.id), account.id, EVENT_TYPE, occurred, 1.0, SOURCE, properties)
    if form.contact_email and contact_id is None:
        item.note = "contact_email is not a contact of the account"
    return item


def _contact_id(session: Session, account_id: str, email: str | None) -> int | None:
    if not email:
        return None
    # The vault's blind index compares addresses case-insensitively.
    query = select(Contact.id).where(Contact.account_id == account_id, Contact.email == email)
    return session.scalar(query.order_by(Contact.id).limit(1))


def _start(workspace: Workspace, playbook: PlayBook, account_id: str, properties: dict[str, Any], inbound_id: int, now: datetime) -> str:
    evidence = {
        "reason": properties["reason"],
        "reason_source": properties["reason_source"],
        "reason_ref": inbound_reference(inbound_id),
        "form_id": properties["form_id"],
        "contact_id": properties["contact_id"],
    }
    signal = Signal(account_id, SignalKind.CANCEL_REQUEST, now, evidence,
                    summary=f"the customer submitted the cancel form (reason: {properties['reason']})")
    try:
        report = start_sequences(workspace.db, workspace.settings, playbook, [signal], now)
    except Exception:  # the submission is kept; a retried delivery starts the play again
        log.exception("starting cancel_intercept failed for account %s (inbound %d)", account_id, inbound_id)
        return "error"

    if report.started:
        return "started"
    return next(iter(report.skipped), "not_started")

