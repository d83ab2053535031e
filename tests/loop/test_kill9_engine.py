"""Workers on PostgreSQL killed with SIGKILL at random moments neither duplicate nor lose a touch."""

from __future__ import annotations

import pytest

from bench.kill9_engine import run_harness


@pytest.mark.slow
def test_random_kills_keep_exactly_once(postgres_server, tmp_path):
    report = run_harness(postgres_server, sequences=40, kills=12, workers=3, folder=tmp_path)

    assert report["kills"] == 12
    assert report["clean_exit_failures"] == 0
    assert report["duplicates"] == 0
    assert report["lost"] == 0
    assert report["messages_delivered"] == 120
    assert report["delivered_but_not_recorded"] == 0
    assert report["sequence_states"] == {"handed_off": 40}
