"""The ASGI app ``churnguard serve`` runs: webhooks, the Segment-compatible source, unsubscribe.

``create_app(workspace)`` builds a Starlette app over one open workspace. While the app runs,
a background task moves accepted events from the inbox into the event store: at once after
each accepted request, and every ``webhooks.flush_interval_seconds`` to retry rows left
pending while the event store was busy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from churnguard.plays import load_playbook
from churnguard.web import unsubscribe
from churnguard.web.cancel_form import cancel_form_webhook
from churnguard.web.http import RequestRejected, error_response
from churnguard.web.inbox import flush_inbox
from churnguard.web.segment import segment_batch, segment_single
from churnguard.web.state import WebhookSecrets, WebState
from churnguard.web.stripe import stripe_webhook
from churnguard.web.surveys import survey_webhook
from churnguard.web.tickets import ticket_webhook
from churnguard.workspace import Workspace

log = logging.getLogger("churnguard.web")


def create_app(workspace: Workspace, *, secrets: WebhookSecrets | None = None) -> Starlette:
    """Build the app over ``workspace``; secrets default to the environment variables the settings name."""
    secrets = secrets if secrets is not None else WebhookSecrets.from_environment(workspace.settings)
    state = WebState(workspace, secrets, load_playbook(workspace.root))
    routes = [
        Route("/healthz", health, methods=["GET"]),
        Route("/webhooks/stripe", stripe_webhook, methods=["POST"]),
        Route("/webhooks/cancel-form", cancel_form_webhook, methods=["POST"]),
        Route("/webhooks/tickets", ticket_webhook, methods=["POST"]),
        Route("/webhooks/surveys", survey_webhook, methods=["POST"]),
        Route("/v1/track", segment_single, methods=["POST"]),
        Route("/v1/identify", segment_single, methods=["POST"]),
        Route("/v1/group", segment_single, methods=["POST"]),
        Route("/v1/batch", segment_batch, methods=["POST"]),
        *unsubscribe.routes(workspace.root),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state.wake = asyncio.Event()
        task = asyncio.create_task(_flush_loop(state))
        log.info("web app started for workspace %s; endpoints configured: %s", workspace.root, _configured(state.secrets))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await run_in_threadpool(flush_inbox, workspace)
            log.info("web app stopped")

    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={
        RequestRejected: _rejected,
        Exception: _unexpected,
    })
    app.state.web = state
    return app


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


async def _rejected(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestRejected)
    return error_response(exc.status, exc.message)


async def _unexpected(request: Request, exc: Exception) -> Response:
    # Every item is recorded under its id, so the sender's retry cannot double anything.
    log.error("request to %s failed: %s", request.url.path, type(exc).__name__, exc_info=exc)
    return error_response(500, "internal error; retry the request (items are deduplicated by id)")


async def _flush_loop(state: WebState) -> None:
    interval = float(state.settings["webhooks.flush_interval_seconds"])
    assert state.wake is not None
    while True:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(state.wake.wait(), timeout=interval)
        state.wake.clear()
        try:
            await run_in_threadpool(flush_inbox, state.workspace)
        except Exception:  # keep the loop alive; the next round retries the same rows
            log.exception("inbox flush failed; retrying in %.1f s", interval)


def _configured(secrets: WebhookSecrets) -> str:
    names = [name for name, values in (("stripe", secrets.stripe), ("cancel-form", secrets.cancel_form),
                                      ("segment", secrets.segment_write_keys)) if values]
    return ", ".join(names) or "none (set the secret environment variables)"
