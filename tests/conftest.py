"""Shared fixtures: servers, public data, workspaces."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.servers import shared_data

pytest_plugins = ["tests.fixtures_postgres", "tests.fixtures_mailstack"]


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    return shared_data()
