"""Propose call slots in the contact's time zone and build an iTIP REQUEST invite."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Calendar, Event, vCalAddress, vText


def zone_or_utc(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def propose_slots(now: datetime, tz_name: str, hours: list[int], count: int = 3) -> list[datetime]:
    """Return ``count`` slots on the next business days at the given local hours, as UTC."""
    zone = zone_or_utc(tz_name)
    local_now = now.astimezone(zone)
    slots: list[datetime] = []
    day: date = local_now.date() + timedelta(days=1)

    while len(slots) < count:
        if day.weekday() < 5:
            hour = hours[len(slots) % len(hours)]
            slots.append(datetime.combine(day, time(hour, 0), zone).astimezone(timezone.utc))
        day += timedelta(days=1)
    return slots


def build_invite(
    *,
    uid: str,
    start: datetime,
    minutes: int,
    summary: str,
    organizer: str,
    organizer_name: str,
    attendee: str,
    attendee_name: str,
    stamp: datetime,
    sequence: int = 0,
) -> bytes:
    """Build a METHOD:REQUEST calendar with one event, the attendee asked to RSVP."""
    calendar = Calendar()
    calendar.add("prodid", "-//churnguard//call invite//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")

    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp.astimezone(timezone.utc))
    event.add("dtstart", start.astimezone(timezone.utc))
    event.add("dtend", (start + timedelta(minutes=minutes)).astimezone(timezone.utc))
    event.add("summary", summary)
    event.add("sequence", sequence)
    event.add("status", "CONFIRMED")

    host = vCalAddress(f"mailto:{organizer}")
    host.params["cn"] = vText(organizer_name)
    host.params["role"] = vText("CHAIR")
    event["organizer"] = host

    guest = vCalAddress(f"mailto:{attendee}")
    guest.params["cn"] = vText(attendee_name or attendee)
    guest.params["role"] = vText("REQ-PARTICIPANT")
    guest.params["partstat"] = vText("NEEDS-ACTION")
    guest.params["rsvp"] = vText("TRUE")
    event.add("attendee", guest, encode=0)

    calendar.add_component(event)
    return calendar.to_ical()
