"""Send windows in the contact's time zone, DST changes, holidays and calendar-day waits."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from churnguard.plays.schema import SendWindow
from churnguard.sequences.timing import after_wait, next_send_time, parse_holidays

UTC = timezone.utc
WINDOW = SendWindow()  # Monday to Friday, 09:00 to 17:00 local


def test_inside_window_sends_now():
    moment = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # Wednesday 10:00 in New York
    assert next_send_time(moment, WINDOW, "America/New_York") == moment


def test_before_window_waits_for_start():
    moment = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # 07:00 in New York
    assert next_send_time(moment, WINDOW, "America/New_York") == datetime(2026, 3, 4, 14, 0, tzinfo=UTC)


def test_friday_evening_waits_for_monday():
    moment = datetime(2026, 3, 6, 23, 0, tzinfo=UTC)  # Friday 18:00 in New York
    assert next_send_time(moment, WINDOW, "America/New_York") == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)


def test_spring_forward_keeps_local_nine():
    # New York moves to EDT on 2026-03-08; Monday 09:00 EDT is 13:00 UTC, not 14:00.
    moment = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)
    assert next_send_time(moment, WINDOW, "America/New_York") == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)


def test_window_start_in_skipped_hour_fires_once():
    window = SendWindow(days=("sun",), start_hour=2, end_hour=4)
    first = next_send_time(datetime(2026, 3, 8, 0, 0, tzinfo=UTC), window, "America/New_York")
    # 02:00 does not exist that night; the step still gets exactly one instant inside the window.
    assert first == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    assert next_send_time(first, window, "America/New_York") == first


def test_window_start_in_repeated_hour_takes_first():
    window = SendWindow(days=("sun",), start_hour=1, end_hour=3)
    # 01:00 happens twice on 2026-11-01 in New York; the first one is 05:00 UTC (EDT).
    assert next_send_time(datetime(2026, 11, 1, 0, 0, tzinfo=UTC), window, "America/New_York") == datetime(2026, 11, 1, 5, 0, tzinfo=UTC)


def test_holiday_is_skipped():
    holidays = parse_holidays("2026-12-25")
    moment = datetime(2026, 12, 25, 10, 0, tzinfo=UTC)  # Friday, in London
    assert next_send_time(moment, WINDOW, "Europe/London", holidays) == datetime(2026, 12, 28, 9, 0, tzinfo=UTC)


def test_wait_counts_contact_calendar_days():
    sent = datetime(2026, 3, 2, 21, 30, tzinfo=UTC)  # Monday 16:30 New York, already Tuesday in Tokyo
    assert after_wait(sent, 4, WINDOW, "America/New_York") == datetime(2026, 3, 6, 14, 0, tzinfo=UTC)
    assert after_wait(sent, 4, WINDOW, "Asia/Tokyo") == datetime(2026, 3, 9, 0, 0, tzinfo=UTC)  # Saturday there, so Monday 09:00 JST


def test_unknown_zone_falls_back_to_utc():
    moment = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)
    assert next_send_time(moment, WINDOW, "Mars/Olympus") == datetime(2026, 3, 4, 9, 0, tzinfo=UTC)


def test_bad_holiday_names_value():
    with pytest.raises(ValueError, match="'2026-13-01'"):
        parse_holidays("2026-12-25, 2026-13-01")


def test_anytime_window_never_waits():
    moment = datetime(2026, 3, 8, 3, 0, tzinfo=UTC)
    assert next_send_time(moment, SendWindow(anytime=True), "America/New_York") == moment


def test_plays_doc_lists_shipped_plays_and_fields():
    from pathlib import Path

    from churnguard.plays.loader import BUILTIN
    from churnguard.plays.schema import Play

    doc = (Path(__file__).resolve().parents[2] / "docs" / "plays.md").read_text(encoding="utf-8")
    for path in BUILTIN.glob("*.toml"):
        assert path.read_text(encoding="utf-8").strip() in doc, path.name
    for field in Play.model_fields:
        assert f"`{field}" in doc or f"[{field}]" in doc, field
