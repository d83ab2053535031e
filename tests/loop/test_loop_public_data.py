"""The README's public-data commands run as written and email exactly the collapsed CDNOW accounts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.detect.test_detect_cdnow import expected_lapses
from tests.servers import REPO


@pytest.mark.slow
def test_public_data_run_emails_collapsed_accounts(shared_data_dir: Path, tmp_path: Path):
    workspace = tmp_path / "public"
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}", CHURNGUARD_SHARED_DATA=str(shared_data_dir))

    result = subprocess.run(
        [str(REPO / "examples" / "public-data" / "run.sh"), str(workspace)],
        env=env, capture_output=True, text=True, timeout=300,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    assert "audit log ok" in result.stdout
    expected = {account.removeprefix("cdnow-") for account in expected_lapses(shared_data_dir / "cdnow" / "CDNOW_sample.txt")}
    mail = workspace / "mail" / "cdnow.example.test"
    emailed = {folder.name.removeprefix("customer-") for folder in mail.iterdir()}
    assert emailed == expected
    for folder in mail.iterdir():
        assert len(list((folder / "Maildir" / "new").iterdir())) == 1
