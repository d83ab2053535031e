"""A loopback server that speaks the hosted agent-mail ``/v0`` wire format, for tests.

It keeps messages in memory, checks the bearer key, answers errors as
``{"error", "message", "status"}`` and can be told to rate-limit the next requests with 429.
It listens on 127.0.0.1 only.
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


@dataclass
class LoopbackState:
    api_key: str
    sent: list[dict[str, Any]] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    rate_limit_next: int = 0
    retry_after: str = "0"
    requests: int = 0

    def deliver(self, raw: bytes, message_id: str) -> None:
        """Put an inbound message in the mailbox, as if a customer had written."""
        self.received.append({"id": f"in-{len(self.received) + 1}", "messageId": message_id,
                              "raw": base64.b64encode(raw).decode("ascii")})


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        if not self._admit():
            return
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path != "/v0/messages":
            self._error(404, "not_found", "no such endpoint")
            return
        self._reply(200, self._list(query))

    def do_POST(self) -> None:
        if not self._admit():
            return
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        except ValueError:
            self._error(400, "invalid_json", "the body is not JSON")
            return
        path = urlparse(self.path).path
        if path == "/v0/messages/send" or (path.startswith("/v0/messages/") and path.endswith("/reply")):
            self._send(body, path)
        else:
            self._error(404, "not_found", "no such endpoint")

    def _admit(self) -> bool:
        state = self.server.state
        state.requests += 1
        if self.headers.get("Authorization") != f"Bearer {state.api_key}":
            self._error(401, "unauthorized", "missing or invalid API key")
            return False
        if state.rate_limit_next > 0:
            state.rate_limit_next -= 1
            self._error(429, "rate_limited", "too many requests", {"Retry-After": state.retry_after})
            return False
        return True

    def _send(self, body: dict[str, Any], path: str) -> None:
        if not body.get("text") or (path.endswith("/send") and not body.get("to")):
            self._error(422, "validation_error", "to and text are required")
            return
        record = {**body, "id": f"out-{len(self.server.state.sent) + 1}"}
        if path.endswith("/reply"):
            record["replyTo"] = path.split("/")[3]
        self.server.state.sent.append(record)
        self._reply(200, {"id": record["id"], "messageId": body.get("messageId"), "status": "queued"})

    def _list(self, query: dict[str, str]) -> dict[str, Any]:
        state = self.server.state
        items = state.sent if query.get("direction") == "sent" else state.received
        if "messageId" in query:
            items = [item for item in items if item.get("messageId") == query["messageId"]]
        start = int(query.get("cursor", "0") or 0)
        limit = int(query.get("limit", "50"))
        page = items[start:start + limit]
        end = start + len(page)
        return {"messages": page, "nextCursor": str(end), "hasMore": end < len(items)}

    def _reply(self, status: int, data: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(data).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _error(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        self._reply(status, {"error": code, "message": message, "status": status}, headers)


class _Server(ThreadingHTTPServer):
    state: LoopbackState


class LoopbackApi:
    """Run the server on a free 127.0.0.1 port; use as a context manager."""

    def __init__(self, api_key: str) -> None:
        self.state = LoopbackState(api_key)
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.state = self.state
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> "LoopbackApi":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
