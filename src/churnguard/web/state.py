"""What every request handler reads: the workspace, the secrets and the limits."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from churnguard.config import Settings
from churnguard.plays import PlayBook
from churnguard.web.signature import split_secrets
from churnguard.workspace import Workspace

log = logging.getLogger("churnguard.web")


@dataclass(frozen=True)
class WebhookSecrets:
    """Signing secrets and write keys, read from the environment variables the settings name."""

    stripe: tuple[str, ...] = ()
    cancel_form: tuple[str, ...] = ()
    segment_write_keys: tuple[str, ...] = ()

    def __repr__(self) -> str:
        configured = [name for name in ("stripe", "cancel_form", "segment_write_keys") if getattr(self, name)]
        return f"WebhookSecrets(configured={configured}, <values hidden>)"

    @classmethod
    def from_environment(cls, settings: Settings, environ: Mapping[str, str] | None = None) -> "WebhookSecrets":
        env = os.environ if environ is None else environ
        return cls(
            stripe=split_secrets(env.get(settings["webhooks.stripe_secret_env"])),
            cancel_form=split_secrets(env.get(settings["webhooks.cancel_form_secret_env"])),
            segment_write_keys=split_secrets(env.get(settings["webhooks.segment_write_key_env"])),
        )


@dataclass
class WebState:
    workspace: Workspace
    secrets: WebhookSecrets
    playbook: PlayBook
    wake: asyncio.Event | None = field(default=None, repr=False)
    _agent: Any = field(default=None, repr=False)
    _agent_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def send_due(self) -> int:
        """Advance due steps and send what is pending, as a worker pass would; return how many went out.

        Claims and sends are leased and conditional, so this is safe beside running workers.
        """
        with self._agent_lock:
            if self._agent is None:
                from churnguard.agent import Agent

                self._agent = Agent(self.workspace)
            agent = self._agent
            now = self.workspace.clock.now()
            agent.steps.advance_due(now)
            sent = agent.outbox.deliver_pending()
        log.info("sent %d message(s) right after a webhook", sent)
        return sent

    @property
    def settings(self) -> Settings:
        return self.workspace.settings

    @property
    def max_body_bytes(self) -> int:
        return int(self.settings["webhooks.max_body_bytes"])

    @property
    def tolerance(self) -> int:
        return int(self.settings["webhooks.tolerance_seconds"])

    def unix_now(self) -> int:
        return int(self.workspace.clock.now().timestamp())

    def secret_env(self, setting: str) -> str:
        """Return the environment variable a setting names, for error messages."""
        return str(self.settings[setting])

    def wake_flusher(self) -> None:
        if self.wake is not None:
            self.wake.set()


def web_state(request: Request) -> WebState:
    return request.app.state.web
