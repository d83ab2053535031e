"""``POST /webhooks/tickets``: a signed helpdesk ticket (created, updated, solved, reopened, rated).

The helpdesk signs the raw JSON body with HMAC-SHA256 like the cancel form does (see
``web.signature``) and sends it in ``Churnguard-Signature``. Each delivery is recorded once
in the webhook inbox under its ``event_id`` (or, when the sender has none, the ticket id and
its ``updated_at``), so a retried delivery changes nothing. The ticket itself is kept in
``sentiment_records`` with its text sealed; the inbox row keeps no text, only the events
(ids, dates, scores) for the flusher to move into the event store. A ticket whose account
cannot be found by id, address or domain is kept as ``unmatched`` and listed by
``churnguard sentiment unmatched``.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from typing import Any, Callable

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from churnguard.sentiment.intake import IntakeError, parse_ticket
from churnguard.sentiment.records import Accepted, accept_ticket
from churnguard.web.http import RequestRejected, parse_json_object, read_body, require_json_content
from churnguard.web.inbox import InboundItem, InboundStatus, find_inbound, record_inbound
from churnguard.web.signature import SignatureError, split_secrets, verify
from churnguard.web.state import WebState, web_state
from churnguard.workspace import Workspace

log = logging.getLogger("churnguard.web.tickets")

SOURCE = "helpdesk"
SIGNATURE_HEADER = "churnguard-signature"
SEALED_NOTE = "payload sealed in sentiment_records"

Accept = Callable[[Session, Any, str, bytes, datetime], Accepted]


async def ticket_webhook(request: Request) -> JSONResponse:
    """Verify one ticket delivery, record it once and answer with what it did."""
    web = web_state(request)
    data, body = await verified_json(request, web, "webhooks.tickets_secret_env", "ticket")
    try:
        ticket = parse_ticket(data, max_text=int(web.settings["sentiment.max_text_chars"]), now=web.workspace.clock.now())
    except IntakeError as exc:
        raise RequestRejected(422, str(exc)) from None

    delivery = str(data.get("event_id") or f"{ticket.ticket_id}@{ticket.updated_at.isoformat()}")[:200]
    result = await run_in_threadpool(record_delivery, web.workspace, SOURCE, delivery, "ticket", ticket, body, accept_ticket)
    web.wake_flusher()
    return JSONResponse(result)


async def verified_json(request: Request, web: WebState, secret_setting: str, what: str) -> tuple[dict[str, Any], bytes]:
    """Return the parsed body of a request whose signature holds; raise RequestRejected otherwise."""
    secrets = split_secrets(os.environ.get(web.secret_env(secret_setting)))
    if not secrets:
        raise RequestRejected(503, f"{what} webhook is not configured: set ${web.secret_env(secret_setting)}")

    require_json_content(request)
    body = await read_body(request, web.max_body_bytes)
    try:
        verify(request.headers.get(SIGNATURE_HEADER), body, secrets, now=web.unix_now(), tolerance=web.tolerance)
    except SignatureError as exc:
        log.warning("%s webhook rejected: %s", what, exc)
        raise RequestRejected(400, str(exc)) from None
    return parse_json_object(body), body


def record_delivery(workspace: Workspace, source: str, delivery: str, kind: str, item: Any, raw: bytes, accept: Accept) -> dict[str, Any]:
    """Accept ``item`` and record the delivery in one transaction; a delivery seen before does nothing."""
    now = workspace.clock.now()
    with workspace.db.transaction() as session:
        existing = find_inbound(session, source, delivery)
        if existing is not None:
            return {"status": "duplicate", "inbound_id": existing.id}

        accepted = accept(session, item, source, raw, now)
        status = InboundStatus.UNMATCHED if accepted.account_id is None else InboundStatus.APPLIED
        first = InboundItem(source=source, external_id=delivery, kind=kind, raw=b"", status=status, account_id=accepted.account_id,
                            note=SEALED_NOTE, audit_detail={"record": f"sentiment:{accepted.record_id}", "match": accepted.match})
        events = list(accepted.events)
        if events:
            first.status, first.event, first.occurred_at = InboundStatus.PENDING, events[0], events[0].occurred_at
        row = record_inbound(session, first, now)
        if row is None:  # a concurrent delivery with the same id won the race
            session.rollback()
            return {"status": "duplicate"}
        for number, event in enumerate(events[1:], start=1):
            extra = InboundItem(source=source, external_id=f"{delivery}#{number}"[:200], kind=event.type, raw=b"",
                                status=InboundStatus.PENDING, account_id=accepted.account_id, note=SEALED_NOTE,
                                occurred_at=event.occurred_at, event=event)
            record_inbound(session, extra, now)

    if accepted.account_id is None:
        log.warning("%s delivery kept as record %d: no account matches it", kind, accepted.record_id)
    return {"status": status.value if not events else "accepted", "inbound_id": row.id, **accepted.to_json()}
