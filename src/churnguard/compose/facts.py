"""The facts of a draft context, rendered in the forms a draft may state them.

A fact may appear in a draft in several spellings. An amount of 4900 cents may read "49",
"49.00" or "49,00", and a date "2026-03-03", "March 3" or "3 mars". The grounding checker compares
the canonical forms from here with what the draft states.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from churnguard.compose.context import DraftContext

_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})")


def canonical_numbers(text: str) -> set[str]:
    """Return the readings of one number as text: "1,234.50" → {"1234.5"}, "1.234" → {"1.234", "1234"}."""
    if ":" in text:
        hours, _, minutes = text.partition(":")
        return {f"{int(hours)}:{minutes}"} if hours.isdigit() else {text}

    readings = set()
    for decimal_mark, group_mark in ((".", ","), (",", ".")):
        plain = text.replace(group_mark, "").replace(decimal_mark, ".")
        try:
            value = Decimal(plain)
        except InvalidOperation:
            continue
        readings.add(_plain(value))
    return readings or {text}


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def allowed_texts(ctx: DraftContext) -> list[str]:
    """Return every fact as text, including the forms the composers derive from them."""
    texts = [value for value in ctx.allowed_values() if value]
    texts += [ctx.contact.first_name, ctx.contact.name, ctx.csm_name, ctx.call_timezone]
    texts += [str(days) for days in _window_days(ctx.evidence)]
    texts += _amount_texts(ctx.evidence)
    texts += [f"{kind} {count}" for kind, count in ctx.usage_before]
    texts += [_format_number(ctx.offer.max_discount_pct), str(ctx.offer.max_free_months)]
    texts += [slot.strftime("%H:%M") for slot in ctx.call_slots]
    texts += [_slot_local(slot, ctx.call_timezone) for slot in ctx.call_slots]
    return [text for text in texts if text]


def allowed_numbers(ctx: DraftContext) -> set[str]:
    numbers: set[str] = set()
    for text in allowed_texts(ctx):
        for match in _NUMBER.finditer(text):
            numbers |= canonical_numbers(match.group())
    for day in allowed_dates(ctx):
        numbers |= {str(day.day), str(day.year), str(day.month)}
    return numbers


def allowed_dates(ctx: DraftContext) -> set[date]:
    """Return every calendar date in the facts, the call slots (local time) and the renewal."""
    found: set[date] = set()
    for text in ctx.allowed_values():
        for year, month, day in _ISO_DATE.findall(text):
            found.add(_date(year, month, day))
    for slot in ctx.call_slots:
        found.add(_local(slot, ctx.call_timezone).date())
    if ctx.facts.renewal_date:
        found.add(ctx.facts.renewal_date)
    found.discard(None)  # type: ignore[arg-type]
    return found


def used_features(ctx: DraftContext) -> set[str]:
    """Return the names of what the account used, in the forms a draft may write them."""
    used = set()
    for kind, _count in ctx.usage_before:
        plain = kind.replace("_", " ").replace(".", " ").strip().lower()
        used |= {plain, plain + "s", kind.lower()}
    return used


def _window_days(evidence: dict[str, Any]) -> list[int]:
    days = []
    for key in ("before_window", "after_window"):
        try:
            start, end = (datetime.fromisoformat(text) for text in evidence[key])
        except (KeyError, TypeError, ValueError):
            continue
        days.append((end - start).days)
    return days


def _amount_texts(evidence: dict[str, Any]) -> list[str]:
    cents = evidence.get("amount_cents")
    if not isinstance(cents, (int, float)) or isinstance(cents, bool):
        return []
    amount = Decimal(int(cents)) / 100
    return [f"{amount:.2f}", _plain(amount)]


def _format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _local(moment: datetime, zone: str) -> datetime:
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(zone))


def _slot_local(moment: datetime, zone: str) -> str:
    local = _local(moment, zone)
    return f"{local.isoformat()} {local.strftime('%H:%M')}"


def _date(year: str, month: str, day: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None
