"""Fixtures for the replies tests: a builder for raw messages and the shared public corpora."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def shared_data_dir() -> Path:
    """Return the folder of public corpora: CHURNGUARD_SHARED_DATA or ../shared/data."""
    configured = os.environ.get("CHURNGUARD_SHARED_DATA")
    return Path(configured) if configured else REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Skip with the reason when the corpora are missing, but fail on CI (CI=true)."""
    folder = shared_data_dir()
    if folder.is_dir():
        return folder
    message = f"public corpora not found at {folder}; set CHURNGUARD_SHARED_DATA"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def build_message(body: str, **headers: str) -> bytes:
    """Build raw bytes for a plain-text message; header names use underscores for dashes."""
    defaults = {
        "From": "Casey Customer <casey@example.com>",
        "To": "Agent <agent@example.test>",
        "Subject": "Re: Checking in",
        "Date": "Tue, 03 Mar 2026 10:00:00 +0000",
        "Message-ID": "<reply-1@example.com>",
    }
    for key, value in headers.items():
        defaults[key.replace("_", "-")] = value
    lines = [f"{key}: {value}" for key, value in defaults.items() if value is not None]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode("utf-8")


@pytest.fixture
def make_raw():
    """Return the raw-message builder so tests need not import this module."""
    return build_message
