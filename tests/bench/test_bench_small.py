"""The benchmark scripts keep working: the small run of every benchmark finishes and reports."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.servers import REPO


@pytest.mark.slow
def test_small_benchmarks_run():
    done = subprocess.run([sys.executable, "-m", "bench", "--small"], cwd=REPO, capture_output=True, text=True, timeout=1200)

    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert set(report) == {"scan", "replies", "send", "sequencer", "workers", "intercept"}
    intercept = report["intercept"]["result"]
    assert intercept["messages_accepted"] == intercept["requests"]
