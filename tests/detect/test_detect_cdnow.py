"""Acceptance: CDNOW purchases imported and scanned match a plain-Python count of the raw file."""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from churnguard.detect.eventstore import open_event_store
from churnguard.detect.scan import scan
from churnguard.domain import SignalKind
from churnguard.ingest import import_accounts, import_contacts, import_events

from .conftest import REPO_ROOT, make_workspace

EXAMPLES = REPO_ROOT / "examples" / "public-data"
AS_OF = date(1998, 4, 1)
WINDOW = 90
SETTINGS = """
[detect.silent_churn]
window_days = 90
measure = "quantity"
drop_pct = 70.0
min_events_before = 3
"""


def expected_lapses(path: Path) -> dict[str, tuple[int, int]]:
    """Count CDs per customer in the 90 days before AS_OF and the 90 before that, from the raw text."""
    split, start = AS_OF - timedelta(days=WINDOW), AS_OF - timedelta(days=2 * WINDOW)
    before: dict[str, int] = defaultdict(int)
    after: dict[str, int] = defaultdict(int)
    for line in path.read_text(encoding="ascii").splitlines():
        master_id, _, day, cds, _ = line.split()
        when = datetime.strptime(day, "%Y%m%d").date()
        if start <= when < split:
            before[master_id] += int(cds)
        elif split <= when < AS_OF:
            after[master_id] += int(cds)

    return {
        f"cdnow-{m}": (before[m], after[m])
        for m in before
        if before[m] >= 3 and after[m] * 100 <= before[m] * 30
    }


@pytest.mark.slow
def test_cdnow_scan_matches_raw_count(shared_data: Path, tmp_path: Path) -> None:
    raw = shared_data / "cdnow" / "CDNOW_sample.txt"
    workspace = make_workspace(tmp_path / "ws", SETTINGS)
    report = import_events(workspace, raw, EXAMPLES / "cdnow-events.toml")
    assert (report.rows, report.inserted, report.rejected) == (6919, 6919, 0)

    signals = scan(open_event_store(workspace), workspace.settings, datetime(1998, 4, 1, tzinfo=timezone.utc))
    found = {s.account_id: (s.evidence["before"], s.evidence["after"]) for s in signals if s.kind is SignalKind.SILENT_CHURN}

    expected = expected_lapses(raw)
    assert len(expected) > 50
    assert found == expected
    workspace.close()


@pytest.mark.slow
def test_cdnow_accounts_and_contacts(shared_data: Path, tmp_path: Path) -> None:
    customers = tmp_path / "customers.csv"
    subprocess.run([sys.executable, str(EXAMPLES / "prepare.py"), str(shared_data / "cdnow" / "CDNOW_sample.txt"), str(customers)],
                   check=True, capture_output=True)
    workspace = make_workspace(tmp_path / "ws")

    accounts = import_accounts(workspace, customers, EXAMPLES / "cdnow-accounts.toml")
    contacts = import_contacts(workspace, customers, EXAMPLES / "cdnow-contacts.toml")

    assert (accounts.inserted, accounts.rejected) == (2357, 0)
    assert (contacts.inserted, contacts.rejected) == (2357, 0)
    again = import_contacts(workspace, customers, EXAMPLES / "cdnow-contacts.toml")
    assert again.unchanged == 2357
    workspace.close()


def test_telco_accounts_import(shared_data: Path, tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path / "ws")

    report = import_accounts(workspace, shared_data / "telco" / "Telco-Customer-Churn.dev.csv", EXAMPLES / "telco-accounts.toml")

    assert (report.rows, report.inserted, report.rejected) == (4835, 4835, 0)
    workspace.close()
