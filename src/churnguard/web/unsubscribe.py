"""The RFC 8058 one-click unsubscribe endpoint.

Every message carries ``List-Unsubscribe: <https://.../u/TOKEN>`` and
``List-Unsubscribe-Post: List-Unsubscribe=One-Click``. A receiving mail system (or the
person, from the confirmation page) POSTs the body ``List-Unsubscribe=One-Click`` to that
URL, and only that POST changes anything. A GET shows a page with a button and changes
nothing, because link scanners and previews follow every URL in a message.

The token is ``<contact id>.<HMAC>`` made with the workspace secret (see ``keys``); it
names one contact and cannot be guessed. Unsubscribing suppresses every contact row with
that address, in every account, and stops their open sequences, in one transaction with
the audit events.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from pathlib import Path
from threading import Lock
from urllib.parse import parse_qs

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from churnguard.audit import AuditEntry, record
from churnguard.domain import AuditType, StopReason
from churnguard.keys import unsubscribe_secret, unsubscribe_token
from churnguard.sequences import state
from churnguard.store.models import Contact, Sequence
from churnguard.workspace import Workspace

log = logging.getLogger("churnguard.web.unsubscribe")

ONE_CLICK_BODY = "List-Unsubscribe=One-Click"
MAX_BODY_BYTES = 4096
PATH = "/u/{token}"


def contact_from_token(secret: bytes, token: str) -> int | None:
    """Return the contact id a token names, or None when the token is not one we issued."""
    head, dot, _ = token.partition(".")
    if not dot or not head.isdigit() or len(token) > 80:
        return None
    contact_id = int(head)
    if not hmac.compare_digest(unsubscribe_token(secret, contact_id), token):
        return None
    return contact_id


def is_one_click(body: bytes) -> bool:
    """Tell whether a POST body is the RFC 8058 one-click form."""
    try:
        fields = parse_qs(body.decode("ascii"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return False
    return fields.get("List-Unsubscribe") == ["One-Click"]


def suppress_everywhere(session: Session, contact_id: int, now: datetime) -> int:
    """Suppress every contact sharing this contact's address and stop their open sequences.

    Returns how many contact rows changed; 0 when the address was already suppressed.
    """
    contact = session.get(Contact, contact_id)
    if contact is None:
        return 0
    same = list(session.scalars(select(Contact).where(func.lower(Contact.email) == contact.email.lower())))
    changed = 0
    for row in same:
        if not row.suppressed:
            row.suppressed = True
            row.suppression_reason = "unsubscribed"
            changed += 1
            _audit_suppressed(session, row, now)
        for sequence in _open_sequences(session, row.id):
            state.stop(session, sequence, StopReason.UNSUBSCRIBED, now)
    return changed


def _open_sequences(session: Session, contact_id: int) -> list[Sequence]:
    query = select(Sequence).where(Sequence.contact_id == contact_id, Sequence.open_key.is_not(None))
    return list(session.scalars(query))


def _audit_suppressed(session: Session, contact: Contact, now: datetime) -> None:
    detail = {"contact_id": contact.id, "reason": "unsubscribed", "via": "one_click"}
    record(session, AuditEntry(type=AuditType.CONTACT_SUPPRESSED, at=now, account_id=contact.account_id, detail=detail))


@dataclass
class _Endpoint:
    workspace_root: Path
    _workspace: Workspace | None = None
    _lock: Lock = field(default_factory=Lock)

    def workspace(self) -> Workspace:
        with self._lock:
            if self._workspace is None:
                self._workspace = Workspace.open(self.workspace_root)
            return self._workspace

    def contact_id(self, token: str) -> int | None:
        return contact_from_token(unsubscribe_secret(self.workspace().keys_dir), token)

    def unsubscribe(self, contact_id: int) -> int:
        ws = self.workspace()
        with ws.db.transaction() as session:
            changed = suppress_everywhere(session, contact_id, ws.clock.now())
        log.info("one-click unsubscribe for contact %s (%d rows suppressed)", contact_id, changed)
        return changed

    async def handle(self, request: Request) -> Response:
        token = request.path_params["token"]
        contact_id = await run_in_threadpool(self.contact_id, token)
        if contact_id is None:
            return _page("Link not recognised", "This unsubscribe link is not valid.", 404)
        if request.method == "GET":
            return _confirmation(request.url.path)

        body = await _limited_body(request)
        if body is None or not is_one_click(body):
            return _page("Not unsubscribed", f"Send the form body {ONE_CLICK_BODY} to unsubscribe.", 400)
        await run_in_threadpool(self.unsubscribe, contact_id)
        return _page("Unsubscribed", "You will get no more messages from us at this address.", 200)


async def _limited_body(request: Request) -> bytes | None:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return body


def _confirmation(path: str) -> HTMLResponse:
    form = (
        f'<form method="post" action="{escape(path)}">'
        '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
        '<button type="submit">Unsubscribe</button></form>'
    )
    return _page("Unsubscribe?", "Press the button to stop messages to this address." + form, 200)


def _page(title: str, body_html: str, status: int) -> HTMLResponse:
    html = (
        "<!doctype html><html><head><meta charset='utf-8'><meta name='robots' content='noindex'>"
        f"<title>{escape(title)}</title></head><body><h1>{escape(title)}</h1><p>{body_html}</p></body></html>"
    )
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def routes(workspace_root: Path) -> list[Route]:
    """Return the unsubscribe routes for the app to mount; the workspace opens on first use."""
    endpoint = _Endpoint(Path(workspace_root))
    return [Route(PATH, endpoint.handle, methods=["GET", "POST"], name="unsubscribe")]
