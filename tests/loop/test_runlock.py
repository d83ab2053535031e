"""A SQLite workspace runs one worker; a second one is told why and how to run several."""

from __future__ import annotations

import pytest

from churnguard.errors import StateError
from churnguard.runlock import single_worker


def test_second_sqlite_worker_is_rejected(tmp_path):
    with single_worker(tmp_path, "sqlite"):
        with pytest.raises(StateError, match="runs one worker") as raised:
            with single_worker(tmp_path, "sqlite"):
                pass
    assert "PostgreSQL" in str(raised.value)


def test_lock_is_released_after_the_worker(tmp_path):
    with single_worker(tmp_path, "sqlite"):
        pass
    with single_worker(tmp_path, "sqlite"):
        pass


def test_postgres_workers_take_no_lock(tmp_path):
    with single_worker(tmp_path, "postgresql"):
        with single_worker(tmp_path, "postgresql"):
            pass
