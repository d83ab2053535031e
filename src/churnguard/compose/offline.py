"""The offline grounded composer: short notes in the CSM's voice, filled only from facts.

It writes English, German, French and Spanish, picking the contact's language and falling
back to English. Sentences (``phrases.py``) hold no numbers or dates of their own; every
figure comes from a fact and is listed in ``Draft.cited``. Openings vary by a stable hash of
the account id, so two accounts rarely get the same text and a retry of the same touch gets
exactly the same text. Every draft passes the grounding checker before it is returned.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from zoneinfo import ZoneInfo

from churnguard.compose import offers
from churnguard.compose.context import Draft, DraftContext
from churnguard.compose.grounding import ensure_grounded
from churnguard.compose.guard import check_draft
from churnguard.compose.phrases import CANCEL_OFFERS, DATE, MONTHS, SLOT, SUPPORTED, TEXT, WEEKDAYS


class Writer:
    """Fill one language's sentences for one draft context, recording each fact it cites."""

    def __init__(self, ctx: DraftContext) -> None:
        self.ctx = ctx
        self.lang = ctx.language if ctx.language in SUPPORTED else "en"
        self.cited: dict[str, str] = {"account": ctx.facts.name, "company": ctx.company_name}

    def say(self, key: str, **values: str) -> str:
        options = TEXT[self.lang][key]
        digest = hashlib.sha256(f"{self.ctx.facts.account_id}:{key}".encode()).digest()
        template = options[digest[0] % len(options)]
        return template.format(account=self.ctx.facts.name, company=self.ctx.company_name, **values)

    def day(self, moment: date) -> str:
        return DATE[self.lang].format(month=MONTHS[self.lang][moment.month - 1], day=moment.day)

    def slot(self, moment: datetime) -> str:
        weekday = WEEKDAYS[self.lang][moment.weekday()]
        return SLOT[self.lang].format(weekday=weekday, date=self.day(moment), time=moment.strftime("%H:%M"))

    def listing(self, names: list[str]) -> str:
        joiner = {"en": " and ", "de": " und ", "fr": " et ", "es": " y "}[self.lang]
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + joiner + names[-1]

    def feature(self, kind: str) -> str:
        plain = kind.replace("_", " ").replace(".", " ").strip().lower()
        if self.lang != "en":
            return plain
        return plain if plain.endswith("s") else plain + "s"


def _format_count(value: object) -> str:
    number = float(value)  # type: ignore[arg-type]
    return str(int(number)) if number.is_integer() else f"{number:.1f}"


def _window_days(evidence: dict) -> str:
    """Length of the compared windows, from the evidence's ISO bounds."""
    try:
        start, split = (datetime.fromisoformat(text) for text in evidence["before_window"])
    except (KeyError, TypeError, ValueError):
        return ""
    return str((split - start).days)


def _usage_sentence(w: Writer) -> str:
    evidence = w.ctx.evidence
    days = _window_days(evidence)
    if "before" not in evidence or "after" not in evidence or not days:
        return ""

    before, after = _format_count(evidence["before"]), _format_count(evidence["after"])
    w.cited.update(before=before, after=after, window_days=days)
    sentence = w.say("usage", before=before, after=after, days=days)
    if w.ctx.usage_before:
        names = [w.feature(kind) for kind, _count in w.ctx.usage_before[:3]]
        w.cited["used_before"] = ", ".join(names)
        sentence += w.say("usage_before", listing=w.listing(names))
    return sentence


def _check_in(w: Writer) -> str:
    usage = _usage_sentence(w)
    opening = w.say("check_in_opening") + (" " + usage if usage else "")
    reason = _reason_sentence(w)
    return opening + (" " + reason if reason else "") + "\n\n" + w.say("check_in_ask")


# The ticket or survey comment behind a sentiment signal, named in the contact's language.
_REASON = {
    "en": {"ticket": "I saw the ticket you opened on {date}, \u201c{subject}\u201d, and I want to make sure it gets sorted out.",
           "survey": "I read the feedback you gave us on {date} and I would like to understand it better."},
    "de": {"ticket": "Ich habe Ihr Ticket vom {date} gesehen, \u201e{subject}\u201c, und möchte sicherstellen, dass es gelöst wird.",
           "survey": "Ich habe Ihre Rückmeldung vom {date} gelesen und möchte sie besser verstehen."},
    "fr": {"ticket": "J'ai vu le ticket que vous avez ouvert le {date}, \u00ab {subject} \u00bb, et je veux m'assurer qu'il soit réglé.",
           "survey": "J'ai lu votre retour du {date} et j'aimerais mieux le comprendre."},
    "es": {"ticket": "Vi el ticket que abrió el {date}, \u00ab{subject}\u00bb, y quiero asegurarme de que se resuelva.",
           "survey": "Leí su comentario del {date} y me gustaría entenderlo mejor."},
}


def _reason_sentence(w: Writer) -> str:
    """Name the ticket or comment that is the reason for writing, when the evidence carries one."""
    evidence = w.ctx.evidence
    kind, subject = str(evidence.get("reason_kind") or ""), str(evidence.get("reason_subject") or "")
    try:
        on = date.fromisoformat(str(evidence.get("reason_on")))
    except ValueError:
        return ""
    if kind not in ("ticket", "survey") or (kind == "ticket" and not _quotable(subject)):
        return ""
    w.cited.update(reason_on=w.day(on), **({"reason_subject": subject} if kind == "ticket" else {}))
    return _REASON[w.lang][kind].format(date=w.day(on), subject=subject)


def _quotable(subject: str) -> bool:
    """A subject in capitals or with many exclamation marks would trip the tone check; leave it out."""
    shouting = sum(1 for word in subject.split() if len(word) >= 4 and word.isupper())
    return bool(subject) and shouting == 0 and subject.count("!") < 2 and len(subject) <= 90


def _different_angle(w: Writer) -> str:
    top = w.ctx.company_name
    if w.ctx.usage_before:
        top = w.ctx.usage_before[0][0].replace("_", " ").replace(".", " ").strip().lower()
    w.cited["top_feature"] = top
    return w.say("different_angle", top_feature=top)


def _payment_note(w: Writer) -> str:
    ctx = w.ctx
    plan = w.say("payment_plan", plan=ctx.facts.plan) if ctx.facts.plan else ""
    reason = str(ctx.evidence.get("failure_message") or "").strip()
    w.cited.update(plan=ctx.facts.plan, url=ctx.update_card_url, reason=reason)

    amount, failed_on = _payment_amount(ctx), _failed_on(ctx)
    if amount and failed_on:
        w.cited.update(amount=amount, failed_on=w.day(failed_on))
        text = w.say("payment_failed_amount", amount=amount, plan=plan, date=w.day(failed_on))
    else:
        text = w.say("payment_failed", plan=plan)
    text += w.say("payment_bank", reason=reason.rstrip(".")) if reason else "."
    return text + w.say("payment_fix", url=ctx.update_card_url)


def _payment_amount(ctx: DraftContext) -> str:
    cents, currency = ctx.evidence.get("amount_cents"), str(ctx.evidence.get("currency") or "").upper()
    if not isinstance(cents, int) or isinstance(cents, bool):
        return ""
    return f"{cents / 100:.2f} {currency}".strip()


def _failed_on(ctx: DraftContext) -> date | None:
    try:
        return datetime.fromisoformat(str(ctx.evidence["failed_at"])).date()
    except (KeyError, ValueError):
        return None


def _payment_reminder(w: Writer) -> str:
    w.cited["url"] = w.ctx.update_card_url
    return w.say("payment_reminder", url=w.ctx.update_card_url)


def _call_offer(w: Writer) -> str:
    zone = ZoneInfo(w.ctx.call_timezone)
    lines = []
    for index, slot in enumerate(w.ctx.call_slots):
        text = w.slot(slot.astimezone(zone))
        w.cited[f"slot_{index}"] = text
        lines.append(f"- {text}")
    w.cited["timezone"] = w.ctx.call_timezone
    return w.say("call_offer", zone=w.ctx.call_timezone, slots="\n".join(lines))


def _cancel_save(w: Writer) -> str:
    """Answer the cancel reason the customer gave, with the first offer the play allows for it."""
    reason = str(w.ctx.evidence.get("reason") or "other")
    reason = reason if reason in CANCEL_OFFERS else "other"
    w.cited["reason"] = reason
    parts = [w.say("cancel_opening"), w.say(f"cancel_{reason}")]

    offer = next((name for name in CANCEL_OFFERS[reason] if w.ctx.offer.allows(name)), None)
    if offer == "discount" and w.ctx.offer.max_discount_pct <= 0:
        offer = None
    if offer:
        pct = _format_count(w.ctx.offer.max_discount_pct)
        w.cited.update(offer=offer, discount_pct=pct)
        parts.append(w.say(f"offer_{offer}", pct=pct))
    return " ".join(parts[:2]) + "\n\n" + " ".join(parts[2:] + [w.say("cancel_ask")])


def _by_language(english, other):  # type: ignore[no-untyped-def]
    """Use the English offer angles of ``offers.py`` for English, and the phrase tables otherwise."""
    def chosen(w: Writer) -> str:
        return english(w.ctx, w.cited) if w.lang == "en" else other(w)
    return chosen


def _win_back_offer(w: Writer) -> str:
    months = w.ctx.offer.max_free_months
    if w.ctx.offer.allows("free_month") and months > 0:
        w.cited.update(offer="free_month", free_months=str(months))
        return w.say("win_back_free_month", months=str(months))
    return _cancel_save(w)


def _win_back(w: Writer) -> str:
    text = w.say("win_back")
    if w.ctx.usage_before:
        names = [w.feature(kind) for kind, _count in w.ctx.usage_before[:2]]
        w.cited["used_before"] = ", ".join(names)
        text += w.say("win_back_history", listing=w.listing(names))
    return text + "\n\n" + w.say("win_back_ask")


ANGLES = {
    "check_in": _check_in,
    "different_angle": _different_angle,
    "payment_note": _payment_note,
    "payment_reminder": _payment_reminder,
    "call_offer": _call_offer,
    "cancel_save": _by_language(offers.cancel_save, _cancel_save),
    "win_back": _by_language(offers.win_back, _win_back),
    "win_back_offer": _by_language(offers.win_back_offer, _win_back_offer),
}
SUBJECTS = {"payment_note": "subject_payment", "payment_reminder": "subject_payment", "cancel_save": "subject_cancel",
            "win_back": "subject_win_back", "win_back_offer": "subject_win_back"}


def write_draft(ctx: DraftContext, *, thread_subject: str | None = None) -> Draft:
    """Write the draft for ``ctx.angle`` without checking it; follow-ups reuse ``thread_subject``."""
    try:
        write = ANGLES[ctx.angle]
    except KeyError:
        raise ValueError(f"the offline composer has no angle {ctx.angle!r}; known: {', '.join(ANGLES)}") from None

    w = Writer(ctx)
    greeting = w.say("greeting", name=ctx.contact.first_name) if ctx.contact.first_name else w.say("greeting_anonymous")
    first = ctx.csm_name.split()[0] if ctx.csm_name else ""
    sign_off = f"{w.say('sign_off')}\n{first}".rstrip()
    body = "\n\n".join([greeting, write(w), sign_off]) + "\n"
    subject = thread_subject or w.say(SUBJECTS.get(ctx.angle, "subject_check_in"))

    return Draft(subject=subject, body=body, cited=w.cited)


def compose(ctx: DraftContext, *, thread_subject: str | None = None) -> Draft:
    """Write the draft for ``ctx.angle`` and return it once the guard and the grounding checker pass it."""
    draft = write_draft(ctx, thread_subject=thread_subject)
    # A thread subject comes from the conversation (possibly the customer's own words), so
    # only a subject this composer wrote is checked.
    checked = Draft(subject="" if thread_subject else draft.subject, body=draft.body, cited=draft.cited)
    check_draft(checked)
    ensure_grounded(checked, ctx)
    return draft
