"""A loopback HTTP server that speaks the OpenAI-compatible chat-completions wire format.

Each test scripts the replies: a chat completion with given content, an HTTP error status,
a body that is not JSON, or a delay longer than the client's timeout. Every request is
recorded with its path, headers and JSON body.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Scripted:
    status: int = 200
    content: str | None = None
    raw: bytes | None = None
    delay: float = 0.0
    body: dict[str, Any] | None = None


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class ChatServer:
    script: list[Scripted] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    model: str = "loopback-model"

    def __post_init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's method name)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                server.requests.append(Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                reply = server.script.pop(0) if server.script else Scripted(content="{}")
                time.sleep(reply.delay)
                self._send(reply)

            def _send(self, reply: Scripted) -> None:
                if reply.raw is not None:
                    payload = reply.raw
                elif reply.body is not None:
                    payload = json.dumps(reply.body).encode()
                else:
                    payload = json.dumps(server.completion(reply.content or "")).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up first (a timeout test)

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def completion(self, content: str) -> dict[str, Any]:
        return {
            "id": "chatcmpl-loopback",
            "object": "chat.completion",
            "model": self.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
        }

    def start(self) -> "ChatServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
