"""Request helpers every endpoint shares: a size-limited body, JSON parsing, clear 4xx errors."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse


class RequestRejected(Exception):
    """A request the server answers with a 4xx (or 503) status and a plain message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_response(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def read_body(request: Request, limit: int) -> bytes:
    """Read the raw body, stopping with 413 as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise RequestRejected(400, "invalid Content-Length header")
        if int(declared) > limit:
            raise RequestRejected(413, f"request body of {declared} bytes is over the {limit}-byte limit")

    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestRejected(413, f"request body is over the {limit}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json_object(body: bytes) -> dict[str, Any]:
    """Parse ``body`` as a JSON object, or raise a 400 that says what is wrong."""
    if not body:
        raise RequestRejected(400, "empty request body; send a JSON object")
    try:
        data = json.loads(body)
    except UnicodeDecodeError:
        raise RequestRejected(400, "request body is not UTF-8 text; send UTF-8 JSON") from None
    except json.JSONDecodeError as exc:
        raise RequestRejected(400, f"request body is not valid JSON (line {exc.lineno}, column {exc.colno})") from None

    if not isinstance(data, dict):
        raise RequestRejected(400, f"request body must be a JSON object, not a JSON {type(data).__name__}")
    return data


def require_json_content(request: Request) -> None:
    """Reject a body declared as something other than JSON (a missing type is allowed)."""
    content_type = request.headers.get("content-type", "")
    media = content_type.split(";", 1)[0].strip().lower()
    if media and media != "application/json" and not media.endswith("+json"):
        raise RequestRejected(415, f"unsupported Content-Type {media!r}; send application/json")
