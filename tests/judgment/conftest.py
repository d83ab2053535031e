"""Fixtures for the judgment tests: real model requests off, and a loopback chat server."""

from __future__ import annotations

import pytest

from churnguard.llm import allow_model_requests
from tests.judgment.llm_server import ChatServer


@pytest.fixture(autouse=True)
def no_real_model_requests():
    """Forbid model requests to any host but 127.0.0.1 in every test here."""
    with allow_model_requests(False):
        yield


@pytest.fixture
def chat_server():
    server = ChatServer().start()
    yield server
    server.stop()
