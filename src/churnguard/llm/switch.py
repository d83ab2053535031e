"""The switch that forbids model requests to hosts off this machine.

Tests turn it off (``allow_model_requests(False)`` or ``CHURNGUARD_ALLOW_MODEL_REQUESTS=0``);
then any request to a host other than a loopback address raises ModelRequestsBlocked, while
a test server on 127.0.0.1 still works.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from churnguard.llm.errors import ModelRequestsBlocked

ENV_VAR = "CHURNGUARD_ALLOW_MODEL_REQUESTS"
_override: list[bool] = []


def model_requests_allowed() -> bool:
    """Return whether requests to non-loopback hosts are allowed now."""
    if _override:
        return _override[-1]
    return os.environ.get(ENV_VAR, "1").strip().lower() not in ("0", "false", "no", "off")


@contextmanager
def allow_model_requests(allowed: bool) -> Iterator[None]:
    """Set the switch for the duration of a ``with`` block; blocks nest."""
    _override.append(allowed)
    try:
        yield
    finally:
        _override.pop()


def is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_allowed(url: str) -> None:
    """Raise ModelRequestsBlocked when ``url`` leaves the machine while requests are off."""
    if not model_requests_allowed() and not is_loopback(url):
        raise ModelRequestsBlocked(url)
