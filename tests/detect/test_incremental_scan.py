"""Incremental scans return what a full scan returns, day after day, and start over on late events."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from churnguard.config import Settings
from churnguard.detect.eventstore import EventRecord, EventStore
from churnguard.detect.incremental import IncrementalScanner
from churnguard.plays.loader import load_playbook
from churnguard.sequences.detection import scan_playbook

from .stores import open_store
from .test_golden_engines import AS_OF, golden_events


def keys(signals: list) -> list[tuple[str, str, str, object]]:
    return sorted((s.play, s.kind.value, s.account_id, s.evidence.get("after")) for s in signals)


def day_of_events(day: datetime, count: int = 60) -> list[EventRecord]:
    return [EventRecord(f"new:{day:%Y%m%d}:{n}", f"acct_{n * 3:04d}", "login", day + timedelta(minutes=7 * n))
            for n in range(count)]


def check_days(store: EventStore, days: int) -> IncrementalScanner:
    playbook, settings = load_playbook(), Settings()
    scanner = IncrementalScanner(store, settings, playbook)
    day = AS_OF

    assert keys(scanner.scan(day)) == keys(scan_playbook(store, settings, playbook, day))
    for _ in range(days):
        store.add(day_of_events(day))
        day += timedelta(days=1)
        assert keys(scanner.scan(day)) == keys(scan_playbook(store, settings, playbook, day))
    return scanner


def test_daily_incremental_scans_match_full_scans(tmp_path: Path) -> None:
    store = open_store("duckdb", tmp_path)
    store.add(golden_events(accounts=120))

    scanner = check_days(store, days=4)

    assert scanner.full_scans == 1


def test_incremental_scans_match_on_sqlite(tmp_path: Path) -> None:
    store = open_store("sqlite", tmp_path)
    store.add(golden_events(accounts=60))

    check_days(store, days=2)


def test_a_late_event_forces_a_full_scan(tmp_path: Path) -> None:
    store = open_store("duckdb", tmp_path)
    store.add(golden_events(accounts=60))
    playbook, settings = load_playbook(), Settings()
    scanner = IncrementalScanner(store, settings, playbook)
    scanner.scan(AS_OF)

    store.add([EventRecord("late:1", "acct_0001", "login", AS_OF - timedelta(days=40))])
    found = scanner.scan(AS_OF + timedelta(days=1))

    assert scanner.full_scans == 2
    assert keys(found) == keys(scan_playbook(store, settings, playbook, AS_OF + timedelta(days=1)))
