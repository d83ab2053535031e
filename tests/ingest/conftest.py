"""Fixtures for the import tests: a fresh workspace and the public data folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from churnguard.workspace import Workspace
from tests import servers
from tests.workspaces import REPO_ROOT, make_workspace  # noqa: F401  (the tests import them from here)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Return the public data folder; skip with the reason when it is missing, fail on CI."""
    return servers.shared_data()


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    ws = make_workspace(tmp_path / "ws")
    yield ws
    ws.close()
