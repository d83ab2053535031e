"""The one clock the whole program reads.

Production uses the system clock. ``--as-of`` pins a fixed instant so historical data can
be replayed, and the demo and tests move a simulated clock forward by days in an instant.
All instants are timezone-aware UTC.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FixedClock:
    """A clock that stays at one instant until advanced."""

    def __init__(self, instant: datetime) -> None:
        self._instant = ensure_utc(instant)

    def now(self) -> datetime:
        return self._instant

    def advance(self, delta: timedelta) -> None:
        self._instant += delta

    def set(self, instant: datetime) -> None:
        self._instant = ensure_utc(instant)


def ensure_utc(instant: datetime) -> datetime:
    """Return ``instant`` as aware UTC; a naive value is taken to be UTC already."""
    if instant.tzinfo is None:
        return instant.replace(tzinfo=timezone.utc)
    return instant.astimezone(timezone.utc)


# Detection windows and play delays reach years to either side of the clock, so --as-of
# stays well inside what datetime can hold (years 1 to 9999).
AS_OF_MIN = datetime(1900, 1, 1, tzinfo=timezone.utc)
AS_OF_MAX = datetime(3000, 1, 1, tzinfo=timezone.utc)


def parse_as_of(text: str) -> datetime:
    """Parse an ``--as-of`` value: a date (midnight UTC) or an ISO 8601 instant from 1900 to 2999."""
    try:
        if len(text) == 10:
            instant = datetime.combine(date.fromisoformat(text), time(0, 0), timezone.utc)
        else:
            instant = ensure_utc(datetime.fromisoformat(text))
    except (ValueError, OverflowError):
        # OverflowError: a valid instant such as 9999-12-31T23:59:59-05:00 that is past year 9999 in UTC.
        raise ValueError(
            f"invalid --as-of value {text!r}: use a date like 1998-04-01 "
            "or an instant like 1998-04-01T09:00:00Z"
        ) from None

    if not AS_OF_MIN <= instant < AS_OF_MAX:
        raise ValueError(f"invalid --as-of value {text!r}: it is out of range; use an instant from 1900 to 2999")
    return instant


def clock_for(as_of: str | None) -> Clock:
    """Return the system clock, or a fixed clock when an ``--as-of`` value is given."""
    if as_of is None:
        return SystemClock()
    return FixedClock(parse_as_of(as_of))
