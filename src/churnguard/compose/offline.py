"""The offline grounded composer: short notes in the CSM's voice, filled only from facts.

Templates hold no numbers or dates of their own; every figure comes from a fact and is
listed in ``Draft.cited`` so the guard can check it. Openings and angles vary by a stable
hash of the account id, so two accounts rarely get the same text and a retry of the same
touch gets exactly the same text.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from zoneinfo import ZoneInfo

from churnguard.compose import offers
from churnguard.compose.context import Draft, DraftContext
from churnguard.compose.guard import check_draft

CHECK_IN_OPENINGS = (
    "I was looking over how things are going for {account} and wanted to check in personally.",
    "I've been reviewing the accounts I look after, and {account} stood out, so I wanted to reach out.",
    "Quick personal note from me, since I look after {account} on our side.",
    "I hope things are going well at {account}. I wanted to reach out directly.",
    "I noticed something in how {account} has been using {company} and wanted to ask you about it.",
)

CHECK_IN_ASKS = (
    "Is something getting in the way, or have priorities shifted? If a short call would help, I'm happy to set one up.",
    "Did something change on your side? If it would help, I can walk your team through anything in a quick call.",
    "Is there anything we could be doing better? I'd be glad to find a time to talk it through.",
)

DIFFERENT_ANGLE = (
    "Following up on my last note. Teams in a busy stretch often just need a shortcut back in, so I'm happy to "
    "set up a short session to get your team going again with {top_feature}.",
    "One more thought: if the way your team works has changed, I can suggest a setup that fits it better. "
    "Would a short call this week or next work?",
    "I don't want to fill your inbox, so just one question: would it help if I put together a quick plan for "
    "getting more out of {top_feature}? A short call is usually the fastest way.",
)

SUBJECTS = {
    "check_in": ("Checking in on {account}", "A quick question about {account}", "{account} and {company}"),
    "payment_note": ("Your {company} payment", "A quick note about your {company} billing"),
    "cancel_save": ("Before you cancel", "About your cancellation", "Your {company} account"),
    "win_back": ("Checking in from {company}", "It has been a while"),
}


def _pick(options: tuple[str, ...], ctx: DraftContext, salt: str) -> str:
    digest = hashlib.sha256(f"{ctx.facts.account_id}:{salt}".encode()).digest()
    return options[digest[0] % len(options)]


def _greeting(ctx: DraftContext) -> str:
    return f"Hi {ctx.contact.first_name}," if ctx.contact.first_name else "Hello,"


def _sign_off(ctx: DraftContext) -> str:
    return f"Best,\n{ctx.csm_name.split()[0] if ctx.csm_name else ''}".rstrip()


def _humanize(event_type: str) -> str:
    return event_type.replace("_", " ").replace(".", " ").strip().lower()


def _plural(noun: str) -> str:
    return noun if noun.endswith("s") else noun + "s"


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


def _usage_sentence(ctx: DraftContext, cited: dict[str, str]) -> str:
    evidence = ctx.evidence
    days = _window_days(evidence)
    if "before" not in evidence or "after" not in evidence or not days:
        return ""

    before = _format_count(evidence["before"])
    after = _format_count(evidence["after"])
    cited.update(before=before, after=after, window_days=days)
    sentence = (
        f"Activity on your account went from {before} in the {days} days before "
        f"to {after} in the last {days} days."
    )

    if ctx.usage_before:
        names = [_plural(_humanize(kind)) for kind, _count in ctx.usage_before[:3]]
        cited["used_before"] = ", ".join(names)
        listing = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        sentence += f" Before that, most of it was {listing}."
    return sentence


def _check_in(ctx: DraftContext, cited: dict[str, str]) -> str:
    opening = _pick(CHECK_IN_OPENINGS, ctx, "opening").format(account=ctx.facts.name, company=ctx.company_name)
    usage = _usage_sentence(ctx, cited)
    ask = _pick(CHECK_IN_ASKS, ctx, "ask")
    return "\n\n".join(part for part in (opening + (" " + usage if usage else ""), ask) if part)


def _different_angle(ctx: DraftContext, cited: dict[str, str]) -> str:
    top = _humanize(ctx.usage_before[0][0]) if ctx.usage_before else ctx.company_name
    cited["top_feature"] = top
    return _pick(DIFFERENT_ANGLE, ctx, "angle").format(top_feature=top)


def _payment_note(ctx: DraftContext, cited: dict[str, str]) -> str:
    plan = f" for your {ctx.facts.plan} plan" if ctx.facts.plan else ""
    reason = str(ctx.evidence.get("failure_message") or "").strip()
    cited.update(plan=ctx.facts.plan, url=ctx.update_card_url, reason=reason)
    text = f"The most recent payment{plan} didn't go through"
    text += f" (the bank said: {reason.rstrip('.')})." if reason else "."
    text += (
        " These things happen, often an expired card. You can update the card here, it takes a minute:\n"
        f"{ctx.update_card_url}\n\nIf something else is going on with billing, just reply and I'll sort it out."
    )
    return text


def _payment_reminder(ctx: DraftContext, cited: dict[str, str]) -> str:
    cited["url"] = ctx.update_card_url
    return (
        "A gentle reminder about the payment issue I wrote about. Your account stays as it is while we sort it out; "
        f"updating the card here is usually all it takes:\n{ctx.update_card_url}"
    )


def _call_offer(ctx: DraftContext, cited: dict[str, str]) -> str:
    zone = ZoneInfo(ctx.call_timezone)
    lines = []
    for index, slot in enumerate(ctx.call_slots):
        text = _format_slot(slot.astimezone(zone))
        cited[f"slot_{index}"] = text
        lines.append(f"- {text}")
    cited["timezone"] = ctx.call_timezone
    return (
        "Thanks for getting back to me, that's great to hear. Here are a few times that work on my side "
        f"({ctx.call_timezone}):\n\n" + "\n".join(lines) + "\n\n"
        "I've attached an invite for the first one. If another time suits you better, just reply with it."
    )


def _format_slot(moment: datetime) -> str:
    return moment.strftime("%A, %B ") + str(moment.day) + moment.strftime(" at %H:%M")


ANGLES = {
    "check_in": _check_in,
    "different_angle": _different_angle,
    "payment_note": _payment_note,
    "payment_reminder": _payment_reminder,
    "call_offer": _call_offer,
    "cancel_save": offers.cancel_save,
    "win_back": offers.win_back,
    "win_back_offer": offers.win_back_offer,
}


def compose(ctx: DraftContext, *, thread_subject: str | None = None) -> Draft:
    """Write the draft for ``ctx.angle``; follow-ups reuse ``thread_subject``."""
    try:
        write = ANGLES[ctx.angle]
    except KeyError:
        raise ValueError(f"the offline composer has no angle {ctx.angle!r}; known: {', '.join(ANGLES)}") from None

    cited: dict[str, str] = {"account": ctx.facts.name, "company": ctx.company_name}
    body = "\n\n".join([_greeting(ctx), write(ctx, cited), _sign_off(ctx)]) + "\n"
    subject = thread_subject or _subject(ctx)

    draft = Draft(subject=subject, body=body, cited=cited)
    check_draft(draft)
    return draft


def _subject(ctx: DraftContext) -> str:
    options = SUBJECTS.get(ctx.angle, SUBJECTS["check_in"])
    return _pick(options, ctx, "subject").format(account=ctx.facts.name, company=ctx.company_name)
