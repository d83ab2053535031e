"""When a step may fire: send windows in the contact's time zone, holidays, calendar-day waits.

All functions are pure. Local times are built with ``zoneinfo``: a window start that falls in
a skipped hour (spring forward) resolves to the same instant as the hour before the change,
which the wall clock shows an hour later; a start in a repeated hour (fall back) takes its
first occurrence. Either way each step gets exactly one instant.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from churnguard.plays.schema import WEEKDAYS, SendWindow

MAX_SEARCH_DAYS = 400


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_instant(day: date, hour: int, tz: ZoneInfo) -> datetime:
    """The UTC instant of ``hour``:00 on ``day`` in ``tz`` (hour 24 is the next midnight)."""
    if hour >= 24:
        day, hour = day + timedelta(days=1), 0
    return datetime.combine(day, time(hour, 0), tz).astimezone(timezone.utc)


def parse_holidays(text: str) -> frozenset[date]:
    """Parse a comma-separated list of ISO dates; raise ValueError naming a bad entry."""
    days = set()
    for part in (piece.strip() for piece in text.split(",")):
        if not part:
            continue
        try:
            days.add(date.fromisoformat(part))
        except ValueError:
            raise ValueError(f"invalid holiday {part!r} in send.holidays: use YYYY-MM-DD dates separated by commas") from None
    return frozenset(days)


def _open_day(day: date, window: SendWindow, holidays: frozenset[date]) -> bool:
    if WEEKDAYS[day.weekday()] not in window.days:
        return False
    return not (window.skip_holidays and day in holidays)


def next_send_time(candidate: datetime, window: SendWindow, tz_name: str, holidays: frozenset[date] = frozenset()) -> datetime:
    """Return the earliest instant at or after ``candidate`` inside the contact's send window."""
    if window.anytime:
        return candidate
    tz = zone(tz_name)
    day = candidate.astimezone(tz).date()

    for _ in range(MAX_SEARCH_DAYS):
        if _open_day(day, window, holidays):
            start = local_instant(day, window.start_hour, tz)
            end = local_instant(day, window.end_hour, tz)
            if candidate < start:
                return start
            if candidate < end:
                return candidate
        day += timedelta(days=1)
    raise ValueError("no open day in the send window within a year; check send_window.days and send.holidays")


def after_wait(sent_at: datetime, wait_days: int, window: SendWindow, tz_name: str, holidays: frozenset[date] = frozenset()) -> datetime:
    """Return when a step that waits ``wait_days`` after ``sent_at`` becomes due.

    Days are the contact's calendar days: a wait of 4 days after a Monday 16:00 local send is
    due Friday at the window's start, not 96 hours later.
    """
    if wait_days == 0:
        return next_send_time(sent_at, window, tz_name, holidays)
    tz = zone(tz_name)
    due_day = sent_at.astimezone(tz).date() + timedelta(days=wait_days)
    start_hour = 0 if window.anytime else window.start_hour
    return next_send_time(local_instant(due_day, start_hour, tz), window, tz_name, holidays)
