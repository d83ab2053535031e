"""Fixtures for the import and detection tests: a fresh workspace and the public data folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from churnguard.keys import create_workspace_keys
from churnguard.workspace import Workspace

REPO_ROOT = Path(__file__).resolve().parents[2]


def shared_data_dir() -> Path:
    """Return the public data folder: CHURNGUARD_SHARED_DATA or ../shared/data."""
    configured = os.environ.get("CHURNGUARD_SHARED_DATA")
    return Path(configured) if configured else REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Skip with the reason when the data is missing, but fail on CI (CI=true)."""
    folder = shared_data_dir()
    if (folder / "cdnow").is_dir():
        return folder
    message = f"public data not found at {folder}; set CHURNGUARD_SHARED_DATA"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def make_workspace(root: Path, settings: str = "") -> Workspace:
    """Create a bare workspace folder (settings file only) and open it."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "churnguard.toml").write_text(settings, encoding="utf-8")
    create_workspace_keys(root / "keys")  # the vault refuses to open without a master key
    return Workspace.open(root)


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    ws = make_workspace(tmp_path / "ws")
    yield ws
    ws.close()
