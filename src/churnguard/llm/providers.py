"""Providers: where a model endpoint lives and how to authenticate to it.

A provider never appears in logs with its key: ``repr`` masks it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from churnguard.llm.errors import ModelConfigError

ANTHROPIC_VERSION = "2023-06-01"


@dataclass(frozen=True)
class Provider:
    """An endpoint base URL, an API key and the headers that carry it."""

    name: str
    base_url: str
    api_key: str = field(default="", repr=False)
    timeout_seconds: float = 30.0
    max_retries: int = 2
    retry_backoff_seconds: float = 0.5
    query: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ModelConfigError(
                f"{self.name} base URL {self.base_url!r} is invalid; set llm.base_url to an http(s) URL"
            )

    def __repr__(self) -> str:
        key = "set" if self.api_key else "none"
        return f"Provider(name={self.name!r}, base_url={self.base_url!r}, api_key=<{key}>)"

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}


@dataclass(frozen=True, repr=False)
class AzureOpenAIProvider(Provider):
    """Azure OpenAI: the key goes in ``api-key`` and every call names an ``api-version``."""

    def headers(self) -> dict[str, str]:
        return {"api-key": self.api_key} if self.api_key else {}


@dataclass(frozen=True, repr=False)
class AnthropicProvider(Provider):
    """Anthropic: the key goes in ``x-api-key`` beside the ``anthropic-version`` header."""

    def headers(self) -> dict[str, str]:
        headers = {"anthropic-version": ANTHROPIC_VERSION}
        if self.api_key:
            headers["x-api-key"] = self.api_key
        return headers


def api_key_from_env(variable: str, *, required: bool) -> str:
    """Read the API key from ``variable``; raise ModelConfigError when required and unset."""
    value = os.environ.get(variable, "") if variable else ""
    if required and not value:
        raise ModelConfigError(f"environment variable {variable or '(none)'} is not set, so no API key was found; set it or change llm.api_key_env")
    return value
