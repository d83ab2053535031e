"""The hosted agent-mail API (``/v0``): a transport and a mailbox over HTTPS with a bearer key.

Wire format: JSON with camelCase keys. ``POST /v0/messages/send`` and
``POST /v0/messages/{id}/reply`` send, ``GET /v0/messages`` lists with a ``cursor``. Errors
come as ``{"error": code, "message": text, "status": http status}``. A 429 is retried after
``Retry-After`` (or an exponential backoff) up to ``max_retries`` times, then reported as a
retryable TransportError. The provider builds and signs the message itself, so our DKIM
signature and calendar parts cannot pass through; asking for them raises UnsupportedFeature.
"""

from __future__ import annotations

import base64
import logging
import time
from email import message_from_bytes
from typing import Any, Callable

import httpx

from churnguard.errors import ConfigError, RemoteError, TransportError, UnsupportedFeature
from churnguard.mail.mailbox import MailboxCursor, RawInbound
from churnguard.mail.transport import CALENDAR_PARTS, CUSTOM_HEADERS, THREADING_HEADERS, check_envelope

log = logging.getLogger(__name__)

_THREADING = {"message-id", "in-reply-to", "references"}
_BUILT_BY_PROVIDER = {"from", "to", "cc", "subject", "date", "mime-version", "content-type",
                      "content-transfer-encoding", "dkim-signature", *_THREADING}


class HostedApiClient:
    """The HTTP side: bearer auth, error mapping and 429 backoff. ``repr`` hides the key."""

    def __init__(self, base_url: str, api_key: str, *, timeout: float = 30.0, max_retries: int = 4,
                 sleep: Callable[[float], None] = time.sleep, transport: httpx.BaseTransport | None = None) -> None:
        if not base_url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ConfigError(f"hosted mail API URL {base_url!r} must use https (plain http only on loopback)")
        self.base_url = base_url.rstrip("/")
        self._key = api_key
        self.max_retries = max_retries
        self._sleep = sleep
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport,
                                  headers={"Authorization": f"Bearer {api_key}"})

    def __repr__(self) -> str:
        return f"HostedApiClient(base_url={self.base_url!r}, api_key='***')"

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        for attempt in range(self.max_retries + 1):
            try:
                response = self._http.request(method, path, **kwargs)
            except httpx.HTTPError as exc:
                raise TransportError(f"hosted mail API {method} {path} failed: {type(exc).__name__}", retryable=True) from exc
            if response.status_code != 429 or attempt == self.max_retries:
                return _result(method, path, response)
            delay = _retry_after(response, attempt)
            log.warning("hosted mail API rate-limited %s %s; retrying in %.1f s", method, path, delay)
            self._sleep(delay)
        raise AssertionError("unreachable")


def _retry_after(response: httpx.Response, attempt: int) -> float:
    try:
        return min(60.0, max(0.0, float(response.headers.get("Retry-After", ""))))
    except ValueError:
        return min(60.0, 0.5 * 2**attempt)


def _result(method: str, path: str, response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.is_success:
        return body if isinstance(body, dict) else {}
    code = body.get("error", "unknown") if isinstance(body, dict) else "unknown"
    status = response.status_code
    retryable = status == 429 or status == 408 or status >= 500
    raise TransportError(f"hosted mail API {method} {path} returned {status} ({code})", retryable=retryable)


class HostedApiTransport:
    """Send through the hosted API; threading and custom headers go as JSON fields."""

    name = "hosted_api"
    capabilities = frozenset({CUSTOM_HEADERS, THREADING_HEADERS})

    def __init__(self, client: HostedApiClient, inbox_id: str) -> None:
        self.client = client
        self.inbox_id = inbox_id

    def send(self, raw: bytes, *, envelope_from: str, recipients: list[str], message_id: str) -> str:
        check_envelope(self.name, envelope_from, recipients)
        _check_supported(self.name, raw)
        payload = message_payload(raw, recipients)
        payload["inboxId"] = self.inbox_id
        result = self.client.request("POST", "/v0/messages/send", json=payload)
        return f"hosted_api:{result.get('id', '')}"

    def reply(self, provider_id: str, raw: bytes) -> str:
        """Answer the provider's message ``provider_id``; the provider sets the threading headers."""
        _check_supported(self.name, raw)
        payload = message_payload(raw, [])
        result = self.client.request("POST", f"/v0/messages/{provider_id}/reply", json=payload)
        return f"hosted_api:{result.get('id', '')}"

    def was_sent(self, message_id: str) -> bool | None:
        result = self.client.request("GET", "/v0/messages", params={"inboxId": self.inbox_id,
                                                                    "direction": "sent", "messageId": message_id})
        return any(item.get("messageId") == message_id for item in result.get("messages", []))


def _check_supported(transport: str, raw: bytes) -> None:
    # The provider signs with its own key, so our DKIM-Signature is dropped on purpose. A
    # calendar part has no JSON field, and dropping it would lose the invitation silently.
    if any(part.get_content_type() == "text/calendar" for part in message_from_bytes(raw).walk()):
        raise UnsupportedFeature(transport, CALENDAR_PARTS)


def message_payload(raw: bytes, recipients: list[str]) -> dict[str, Any]:
    """Turn our built message into the API's JSON; the text part is sent decoded."""
    msg = message_from_bytes(raw)
    body = next((part for part in msg.walk() if part.get_content_type() == "text/plain"), msg)
    text = (body.get_payload(decode=True) or b"").decode(body.get_content_charset() or "utf-8", "replace")
    extra = {name: str(value) for name, value in msg.items() if name.lower() not in _BUILT_BY_PROVIDER}
    payload: dict[str, Any] = {"to": recipients, "subject": _decoded(msg.get("Subject", "")), "text": text,
                               "messageId": msg.get("Message-ID"), "headers": extra}
    if msg.get("In-Reply-To"):
        payload["inReplyTo"] = msg["In-Reply-To"]
    if msg.get("References"):
        payload["references"] = " ".join(str(msg["References"]).split()).split(" ")
    return payload


def _decoded(value: str) -> str:
    from email.header import decode_header, make_header

    return str(make_header(decode_header(str(value))))


class HostedApiMailbox:
    """Read received messages with ``GET /v0/messages``, resuming from the API's cursor.

    The API's cursor is an opaque string; it is kept in ``MailboxCursor.token``, and the
    ``last_uid`` counts messages read, for logs only.
    """

    name = "hosted_api"

    def __init__(self, client: HostedApiClient, inbox_id: str, *, page_size: int = 50) -> None:
        self.client = client
        self.inbox_id = inbox_id
        self.page_size = page_size

    def fetch_new(self, folder: str, cursor: MailboxCursor | None) -> tuple[list[RawInbound], MailboxCursor]:
        token = cursor.token if cursor else None
        count = cursor.last_uid if cursor else 0
        found: list[RawInbound] = []
        while True:
            params = {"inboxId": self.inbox_id, "direction": "received", "limit": self.page_size}
            if token:
                params["cursor"] = token
            page = self.client.request("GET", "/v0/messages", params=params)
            for item in page.get("messages", []):
                count += 1
                found.append(RawInbound(folder=folder, uid=count, raw=base64.b64decode(item["raw"])))
            token = page.get("nextCursor") or token
            if not page.get("hasMore"):
                return found, MailboxCursor(uidvalidity=None, last_uid=count, token=token)

    def find_message_id(self, folder: str, message_id: str) -> bool:
        try:
            result = self.client.request("GET", "/v0/messages", params={"inboxId": self.inbox_id, "messageId": message_id})
        except TransportError as exc:
            raise RemoteError(str(exc), retryable=exc.retryable) from exc
        return bool(result.get("messages"))
