"""A Segment-compatible HTTP source: ``/v1/track``, ``/v1/identify``, ``/v1/group``, ``/v1/batch``.

Senders authenticate like Segment's HTTP API: HTTP Basic with the write key as the user name
and an empty password. A single call that is malformed, too large or invalid gets a 4xx and
nothing is stored. In a batch, the other messages are accepted and each bad one is kept in
the inbox as ``rejected`` with its reason, which the response lists by index. Every message
is accepted once, by ``messageId``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from churnguard.web.http import RequestRejected, parse_json_object, read_body, require_json_content
from churnguard.web.inbox import InboundItem, InboundStatus, find_inbound, record_inbound
from churnguard.web.segment_messages import SOURCE, MessageError, SegmentMessage, apply_message, parse_message
from churnguard.web.state import WebState, web_state
from churnguard.workspace import Workspace

log = logging.getLogger("churnguard.web.segment")


@dataclass
class BatchResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    by_status: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"success": True, "accepted": self.accepted, "duplicates": self.duplicates,
                "rejected": self.rejected, "by_status": self.by_status}


async def segment_single(request: Request) -> JSONResponse:
    """Accept one ``track``, ``identify`` or ``group`` call; its type comes from the path."""
    web = _authorized(request)
    require_json_content(request)
    limit = min(web.max_body_bytes, int(web.settings["webhooks.segment_max_message_bytes"]))
    body = await read_body(request, limit)
    data = parse_json_object(body)

    kind = request.url.path.rsplit("/", 1)[-1]
    try:
        message = parse_message(data, web.workspace.clock.now(), default_type=kind)
    except MessageError as exc:
        raise RequestRejected(400, str(exc)) from None

    result = await run_in_threadpool(accept_messages, web.workspace, [(0, message, body)], [])
    web.wake_flusher()
    return JSONResponse(result.as_json())


async def segment_batch(request: Request) -> JSONResponse:
    """Accept a ``{"batch": [...]}`` body; a top-level ``context`` applies to every message."""
    web = _authorized(request)
    require_json_content(request)
    body = await read_body(request, web.max_body_bytes)
    data = parse_json_object(body)
    batch = data.get("batch")
    if not isinstance(batch, list):
        raise RequestRejected(400, "missing field 'batch': send {\"batch\": [message, ...]}")

    valid, invalid = _split_batch(web, batch, data.get("context"))
    result = await run_in_threadpool(accept_messages, web.workspace, valid, invalid)
    web.wake_flusher()
    return JSONResponse(result.as_json())


def _authorized(request: Request) -> WebState:
    web = web_state(request)
    keys = web.secrets.segment_write_keys
    if not keys:
        raise RequestRejected(503, f"the Segment source is not configured: set ${web.secret_env('webhooks.segment_write_key_env')}")

    write_key = _basic_user(request.headers.get("authorization"))
    if write_key is None or not any(hmac.compare_digest(write_key.encode(), key.encode()) for key in keys):
        log.warning("segment request rejected: missing or unknown write key")
        raise RequestRejected(401, "missing or invalid write key: send it as the HTTP Basic user name with an empty password")
    return web


def _basic_user(header: str | None) -> str | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, _, _password = decoded.partition(":")
    return user or None


def _split_batch(web: WebState, batch: list[Any], shared_context: Any) -> tuple[list[tuple[int, SegmentMessage, bytes]],
                                                                                   list[tuple[int, str, bytes]]]:
    limit = int(web.settings["webhooks.segment_max_message_bytes"])
    now = web.workspace.clock.now()
    valid: list[tuple[int, SegmentMessage, bytes]] = []
    invalid: list[tuple[int, str, bytes]] = []
    for index, item in enumerate(batch):
        raw = json.dumps(item, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        if len(raw) > limit:
            invalid.append((index, f"message is over the {limit}-byte limit", raw[:limit]))
            continue
        try:
            valid.append((index, parse_message(_with_context(item, shared_context), now), raw))
        except MessageError as exc:
            invalid.append((index, str(exc), raw))
    return valid, invalid


def _with_context(item: Any, shared_context: Any) -> Any:
    if not isinstance(item, dict) or not isinstance(shared_context, dict):
        return item
    context = {**shared_context, **(item.get("context") if isinstance(item.get("context"), dict) else {})}
    return {**item, "context": context}


def accept_messages(workspace: Workspace, valid: list[tuple[int, SegmentMessage, bytes]],
                    invalid: list[tuple[int, str, bytes]]) -> BatchResult:
    """Apply and record the valid messages and quarantine the invalid ones, in one transaction."""
    result = BatchResult()
    now = workspace.clock.now()
    with workspace.db.transaction() as session:
        for index, message, raw in valid:
            if find_inbound(session, SOURCE, message.message_id) is not None:
                result.duplicates += 1
                continue
            item = apply_message(session, message, raw, now)
            if record_inbound(session, item, now) is None:
                result.duplicates += 1
                continue
            result.accepted += 1
            result.by_status[item.status.value] = result.by_status.get(item.status.value, 0) + 1

        for index, reason, raw in invalid:
            _quarantine(session, index, reason, raw, now)
            result.rejected.append({"index": index, "error": reason})

    if result.rejected:
        log.warning("segment batch: %d messages rejected and kept for inspection", len(result.rejected))
    log.info("segment: %d accepted, %d duplicates, %d rejected", result.accepted, result.duplicates, len(result.rejected))
    return result


def _quarantine(session: Session, index: int, reason: str, raw: bytes, now: datetime) -> None:
    # The same bad message sent again is kept once.
    external_id = "rejected-" + hashlib.sha256(raw).hexdigest()[:40]
    item = InboundItem(source=SOURCE, external_id=external_id, kind="invalid", raw=raw, status=InboundStatus.REJECTED,
                       note=f"batch index {index}: {reason}")
    record_inbound(session, item, now)

