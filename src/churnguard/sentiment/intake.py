"""Read a ticket or a survey response from the shapes helpdesks and survey tools send.

Pure functions, no I/O. ``parse_ticket`` accepts a flat object or one nested under
``ticket`` (the requester as ``requester_email`` or ``requester.email``, the text as ``body``
or ``description``, the rating as ``satisfaction`` or ``satisfaction_rating.score``).
``parse_survey`` accepts ``type`` nps or csat with a ``score`` on the survey's scale. A bad
field raises IntakeError naming the field, never its value.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from typing import Any

from churnguard.clock import ensure_utc
from churnguard.errors import InputError
from churnguard.sentiment.records import SurveyIn, TicketIn

MAX_ID = 200
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
SCALES = {"nps": 10.0, "csat": 5.0}


class IntakeError(InputError):
    """A ticket or survey field is missing or invalid; ``field`` names it."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"invalid field '{field}': {problem}")
        self.field = field


def parse_ticket(data: dict[str, Any], *, max_text: int, now: datetime) -> TicketIn:
    """Validate one ticket object, or raise IntakeError."""
    ticket = data.get("ticket") if isinstance(data.get("ticket"), dict) else data
    requester = ticket.get("requester") if isinstance(ticket.get("requester"), dict) else {}
    created = _time(ticket, "created_at") or now
    updated = _time(ticket, "updated_at") or created
    rating = ticket.get("satisfaction_rating")
    satisfaction = rating.get("score") if isinstance(rating, dict) else (rating or ticket.get("satisfaction"))

    return TicketIn(
        ticket_id=_id(ticket, "id"),
        occurred_at=created,
        updated_at=max(updated, created),
        account_id=_text(ticket, "account_id", 128),
        email=_email(ticket.get("requester_email") or requester.get("email"), "requester_email"),
        subject=_text(ticket, "subject", 1000) or "",
        body=_text(ticket, "body", max_text) or _text(ticket, "description", max_text) or "",
        status=_text(ticket, "status", 32) or "open",
        priority=_text(ticket, "priority", 32) or "",
        satisfaction=_plain(satisfaction, "satisfaction", 16),
        solved_at=_time(ticket, "solved_at"),
    )


def parse_survey(data: dict[str, Any], *, max_text: int, now: datetime) -> SurveyIn:
    """Validate one NPS or CSAT response, or raise IntakeError."""
    kind = (_text(data, "type", 8) or "nps").lower()
    if kind not in SCALES:
        raise IntakeError("type", "use nps or csat")
    scale = _number(data, "scale_max", required=False) or SCALES[kind]
    score = _number(data, "score", required=True)
    assert score is not None
    if not 0 <= score <= scale:
        raise IntakeError("score", f"use a score from 0 to {scale:g}")

    return SurveyIn(
        response_id=_id(data, "id"),
        survey_type=kind,
        score=score,
        occurred_at=_time(data, "responded_at") or _time(data, "created_at") or now,
        survey_id=_text(data, "survey_id", MAX_ID) or "",
        account_id=_text(data, "account_id", 128),
        email=_email(data.get("respondent_email") or data.get("email"), "respondent_email"),
        comment=_text(data, "comment", max_text) or "",
        scale_max=scale,
    )


def _id(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise IntakeError(name, "missing or empty")
    if len(value) > MAX_ID or any(ord(char) < 32 for char in value):
        raise IntakeError(name, f"use at most {MAX_ID} printable characters")
    return value.strip()


def _text(data: dict[str, Any], name: str, limit: int) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise IntakeError(name, "expected a string")
    if len(value) > limit:
        raise IntakeError(name, f"longer than {limit} characters")
    return value.replace("\x00", "").strip()


def _plain(value: Any, name: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise IntakeError(name, "expected a short string")
    return value.strip().lower()


def _email(value: Any, name: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 320 or not _EMAIL.match(value.strip()):
        raise IntakeError(name, "expected an email address")
    return value.strip().lower()


def _number(data: dict[str, Any], name: str, *, required: bool) -> float | None:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise IntakeError(name, "missing")
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise IntakeError(name, "expected a number") from None
    if isinstance(value, bool) or not math.isfinite(number):
        raise IntakeError(name, "expected a number")
    return number


def _time(data: dict[str, Any], name: str) -> datetime | None:
    value = data.get(name)
    if value is None or value == "":
        return None
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.fromtimestamp(float(value), timezone.utc)
        return ensure_utc(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    except (ValueError, OverflowError, OSError):
        raise IntakeError(name, "expected an ISO 8601 time such as 2026-03-02T09:00:00Z") from None
