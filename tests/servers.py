"""How tests react to a missing server or data folder: skip locally, fail in CI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def servers_required() -> bool:
    return os.environ.get("CHURNGUARD_REQUIRE_SERVERS") == "1" or os.environ.get("CI") == "true"


def missing_server(what: str, fix: str) -> None:
    message = f"{what} is not available; {fix}"
    if servers_required():
        pytest.fail(message + " (servers are required in this run)")
    pytest.skip(message)


def shared_data() -> Path:
    """The folder of public test data, or skip (fail in CI) when it is absent."""
    folder = Path(os.environ.get("CHURNGUARD_SHARED_DATA", REPO.parent / "shared" / "data"))
    if not folder.is_dir():
        message = f"public data folder {folder} not found; set CHURNGUARD_SHARED_DATA"
        if servers_required():
            pytest.fail(message)
        pytest.skip(message)
    return folder
