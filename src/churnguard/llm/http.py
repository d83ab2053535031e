"""POST a JSON body to a model endpoint, with retries on failures that may pass."""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx

from churnguard.llm.errors import ModelError
from churnguard.llm.providers import Provider
from churnguard.llm.switch import check_allowed

log = logging.getLogger("churnguard.llm")
RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})


def post_json(provider: Provider, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """Send ``body`` and return the decoded JSON reply; raise ModelError when all tries fail."""
    url = provider.url(path)
    check_allowed(url)
    headers = {"Content-Type": "application/json", **provider.headers()}
    attempts = 1 + max(0, provider.max_retries)

    last: ModelError | None = None
    for attempt in range(1, attempts + 1):
        try:
            return _post_once(provider, url, headers, body)
        except ModelError as exc:
            last = exc
            if not exc.retryable or attempt == attempts:
                break
            log.warning("%s request failed (attempt %d of %d): %s", provider.name, attempt, attempts, exc)
            time.sleep(provider.retry_backoff_seconds * 2 ** (attempt - 1))
    assert last is not None
    raise last


def _post_once(provider: Provider, url: str, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    try:
        response = httpx.post(url, json=body, headers=headers, params=dict(provider.query),
                              timeout=provider.timeout_seconds)
    except httpx.TimeoutException:
        raise ModelError(f"{provider.name} at {provider.base_url} timed out after {provider.timeout_seconds}s",
                         retryable=True) from None
    except httpx.HTTPError as exc:
        raise ModelError(f"{provider.name} at {provider.base_url} failed: {type(exc).__name__}", retryable=True) from None

    if response.status_code >= 400:
        retryable = response.status_code in RETRY_STATUSES
        raise ModelError(f"{provider.name} returned HTTP {response.status_code} for {url}", retryable=retryable)
    try:
        data = response.json()
    except ValueError:
        raise ModelError(f"{provider.name} returned a body that is not JSON for {url}", retryable=True) from None
    if not isinstance(data, dict):
        raise ModelError(f"{provider.name} returned JSON that is not an object for {url}", retryable=False)
    return data
