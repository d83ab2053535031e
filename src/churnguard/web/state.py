"""What every request handler reads: the workspace, the secrets and the limits."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from starlette.requests import Request

from churnguard.config import Settings
from churnguard.plays import PlayBook
from churnguard.web.signature import split_secrets
from churnguard.workspace import Workspace


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
