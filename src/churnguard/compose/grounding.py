"""The grounding checker: a draft may state only what the facts or the offer policy allow.

Each finding names its kind and the offending span of the draft:

- ``number``: a number or percentage that no fact contains;
- ``date``: a calendar date or weekday that is not a date in the facts;
- ``feature``: a product feature the account did not use (from the ``compose.feature_names``
  catalogue, or any "the X feature/integration" phrase that names nothing in the facts);
- ``plan``: a plan other than the account's own, unless the policy allows a plan change;
- ``offer``: an offer the play's policy does not allow, or a discount or free period above it;
- ``link``: a URL or email address not in the facts;
- ``length``, ``tone`` and ``language``: too long or too short, pushy wording, or not the
  contact's language.

The checker reads the text only and ignores what a composer lists in ``Draft.cited``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from churnguard.compose.context import Draft, DraftContext
from churnguard.compose.facts import allowed_dates, allowed_numbers, allowed_texts, canonical_numbers, used_features
from churnguard.compose.guard import GuardViolation
from churnguard.compose.lang import STOPWORDS, detect_language
from churnguard.compose.lexicon import (DATE_PATTERNS, FEATURE_PHRASE, OFFER_PATTERNS, PLAN_CONTEXT, PRESSURE,
                                        WEEKDAYS, month_number, weekday_number)

_NUMBER = re.compile(r"(?<![\w])\d+(?:[.,:]\d+)*")
_LINK = re.compile(r"https?://[^\s<>\"')]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_SHOUT = re.compile(r"\b[A-ZÄÖÜÉÈ]{4,}\b")
MIN_WORDS = 5
MAX_SUBJECT_CHARACTERS = 120


@dataclass(frozen=True)
class Finding:
    kind: str
    span: str
    start: int
    message: str

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "span": self.span, "start": self.start, "message": self.message}


class GroundingViolation(GuardViolation):
    """A draft failed the grounding checker; ``findings`` contains each offending span."""

    def __init__(self, findings: list[Finding]) -> None:
        kinds = ", ".join(sorted({finding.kind for finding in findings}))
        # The message names kinds and offsets only, so logging it leaks no draft text.
        where = ", ".join(f"{f.kind}@{f.start}" for f in findings[:6])
        super().__init__(f"draft rejected by the grounding checker ({kinds}): {where}")
        self.findings = findings


def check_grounding(draft: Draft, ctx: DraftContext) -> list[Finding]:
    """Return every finding for ``draft``; an empty list means it may be queued."""
    text = f"{draft.subject}\n{draft.body}"
    facts = allowed_texts(ctx)
    findings: list[Finding] = []

    findings += _links(text, facts)
    scrubbed = _LINK.sub(lambda match: " " * len(match.group()), text)
    findings += _dates(scrubbed, allowed_dates(ctx))
    findings += _numbers(scrubbed, allowed_numbers(ctx))
    findings += _offers(scrubbed, ctx)
    findings += _plans(scrubbed, ctx)
    findings += _features(scrubbed, ctx)
    findings += _shape(draft, ctx)
    return sorted(findings, key=lambda finding: finding.start)


def ensure_grounded(draft: Draft, ctx: DraftContext) -> Draft:
    """Return ``draft`` unchanged, or raise GroundingViolation with every finding."""
    findings = check_grounding(draft, ctx)
    if findings:
        raise GroundingViolation(findings)
    return draft


def _links(text: str, facts: list[str]) -> list[Finding]:
    known = " ".join(facts).lower()
    return [Finding("link", m.group(), m.start(), "link or address not in the facts")
            for m in _LINK.finditer(text) if m.group().rstrip(".,").lower() not in known]


def _numbers(text: str, allowed: set[str]) -> list[Finding]:
    found = []
    for match in _NUMBER.finditer(text):
        span = match.group().rstrip(".,:")
        if not canonical_numbers(span) & allowed:
            found.append(Finding("number", span, match.start(), "number not in the facts"))
    return found


def _dates(text: str, allowed: set[date]) -> list[Finding]:
    days = {(day.month, day.day) for day in allowed}
    weekdays = {day.weekday() for day in allowed}
    found = []
    for pattern in DATE_PATTERNS:
        for match in pattern.finditer(text):
            month = month_number(match.group("month"))
            day = int(match.group("day"))
            if month and (month, day) not in days:
                found.append(Finding("date", match.group(), match.start(), "date not in the facts"))
    for match in WEEKDAYS.finditer(text):
        if weekday_number(match.group()) not in weekdays:
            found.append(Finding("date", match.group(), match.start(), "weekday of no date in the facts"))
    return found


def _offers(text: str, ctx: DraftContext) -> list[Finding]:
    found = []
    for offer, pattern in OFFER_PATTERNS.items():
        for match in pattern.finditer(text):
            if not ctx.offer.allows(offer):
                found.append(Finding("offer", match.group(), match.start(), f"offer {offer!r} is not allowed by the play"))
            elif offer == "discount":
                found += _over_limit(match, ctx.offer.max_discount_pct, "discount above the play's maximum")
            elif offer == "free_month":
                found += _over_limit(match, ctx.offer.max_free_months, "free period above the play's maximum")
    return found


def _over_limit(match: re.Match[str], limit: float, message: str) -> list[Finding]:
    amounts = [float(number.replace(",", ".")) for number in re.findall(r"\d+(?:[.,]\d+)?", match.group())]
    if any(amount > limit for amount in amounts):
        return [Finding("offer", match.group(), match.start(), message)]
    return []


def _plans(text: str, ctx: DraftContext) -> list[Finding]:
    own = ctx.facts.plan.strip().lower()
    may_change = ctx.offer.allows("plan_downgrade")
    found = []
    for match in PLAN_CONTEXT(ctx.plan_names).finditer(text):
        name = (match.group("before") or match.group("after")).lower()
        if name != own and not may_change:
            found.append(Finding("plan", match.group(), match.start(), "plan other than the account's own"))
    return found


def _features(text: str, ctx: DraftContext) -> list[Finding]:
    used = used_features(ctx)
    found = []
    for name in ctx.feature_names:
        pattern = re.compile(rf"\b{re.escape(name)}s?\b", re.IGNORECASE)
        for match in pattern.finditer(text):
            if name.lower() not in used:
                found.append(Finding("feature", match.group(), match.start(), "feature the account did not use"))
    for match in FEATURE_PHRASE.finditer(text):
        named = (match.group("name") or match.group("name2") or "").strip().lower()
        if named and not any(named in fact or fact in named for fact in used):
            found.append(Finding("feature", match.group(), match.start(), "feature not in the facts"))
    return found


def _shape(draft: Draft, ctx: DraftContext) -> list[Finding]:
    found = []
    words = len(draft.body.split())
    if words > ctx.max_words:
        found.append(Finding("length", f"{words} words", 0, f"body longer than {ctx.max_words} words"))
    if words < MIN_WORDS:
        found.append(Finding("length", f"{words} words", 0, f"body shorter than {MIN_WORDS} words"))
    if len(draft.subject) > MAX_SUBJECT_CHARACTERS:
        found.append(Finding("length", draft.subject[:40], 0, f"subject longer than {MAX_SUBJECT_CHARACTERS} characters"))

    text = f"{draft.subject}\n{draft.body}"
    for match in PRESSURE.finditer(text):
        found.append(Finding("tone", match.group(), match.start(), "pushy or alarming wording"))
    shouted = [m for m in _SHOUT.finditer(draft.body) if m.group().lower() not in ctx.facts.name.lower()]
    if len(shouted) >= 2:
        found.append(Finding("tone", shouted[0].group(), shouted[0].start(), "several words in capitals"))

    # Only languages the detector covers are enforced, so a Japanese-speaking contact may get English.
    expected, seen = ctx.language, detect_language(draft.body)
    if expected in STOPWORDS and seen and seen != expected:
        found.append(Finding("language", seen, 0, f"written in {seen!r}, the contact's language is {expected!r}"))
    return found
