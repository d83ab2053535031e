"""Angles that make an offer: the cancel-form save offer and the win-back notes.

Every offer comes from the play's offer policy in ``DraftContext.offer``; an offer the policy
does not allow is never written, and every figure is cited for the guard.
"""

from __future__ import annotations

from datetime import datetime

from churnguard.compose.context import DraftContext


def _allowed(ctx: DraftContext, offer: str) -> bool:
    return ctx.offer.allows(offer)


def _discount(ctx: DraftContext, cited: dict[str, str]) -> str | None:
    pct = float(ctx.offer.max_discount_pct)
    if not _allowed(ctx, "discount") or pct <= 0:
        return None
    text = f"{pct:g}"
    cited["discount_pct"] = text
    plan = f" on your {ctx.facts.plan} plan" if ctx.facts.plan else ""
    if ctx.facts.plan:
        cited["plan"] = ctx.facts.plan
    return f"{text}% off{plan} for the next year"


def _fallback_offer(ctx: DraftContext) -> str | None:
    if _allowed(ctx, "pause_subscription"):
        return "pausing the subscription instead of canceling, so nothing is lost while you decide"
    if _allowed(ctx, "plan_downgrade"):
        return "moving to a smaller plan instead of canceling"
    if _allowed(ctx, "training_session"):
        return "a short session with me to set things up the way your team works now"
    return None


REASON_OPENINGS = {
    "price": "I saw that cost is behind the decision, and I understand budgets are tight.",
    "missing_feature": "I saw that something you need is missing. Could you tell me which feature it is? I would like to check what we can do.",
    "not_using": "I saw that the team has not been using it much lately.",
    "switching": "I saw you are moving to another tool. I would really value hearing what made it a better fit.",
    "support": "I am sorry your experience with our support let you down. I would like to put that right personally.",
    "moving": "I saw that things are changing on your side.",
    "other": "I saw your cancellation request and wanted to reach out personally before anything changes.",
}


def cancel_save(ctx: DraftContext, cited: dict[str, str]) -> str:
    """Write a reply to the reason given on the cancel form, with an offer the policy allows."""
    reason = str(ctx.evidence.get("reason") or "other")
    opening = REASON_OPENINGS.get(reason, REASON_OPENINGS["other"])

    offer = _discount(ctx, cited) if reason in ("price", "switching") else None
    offer = offer or _fallback_offer(ctx)
    parts = [opening]
    if offer:
        parts.append(f"Before the cancellation goes through, I can offer {offer}.")
    parts.append("If you reply to this email, I will sort it out right away; if you still want to cancel, that is fine too.")
    return " ".join(parts)


def _churned_on(ctx: DraftContext, cited: dict[str, str]) -> str:
    text = str(ctx.evidence.get("canceled_at") or "")
    try:
        day = datetime.fromisoformat(text).date()
    except ValueError:
        return ""
    rendered = day.strftime("%B ") + str(day.day)
    cited["canceled_on"] = rendered
    return rendered


def win_back(ctx: DraftContext, cited: dict[str, str]) -> str:
    """Write the first note after a cancellation: personal, about their own history, with no pressure."""
    since = _churned_on(ctx, cited)
    plan = f" on the {ctx.facts.plan} plan" if ctx.facts.plan else ""
    if ctx.facts.plan:
        cited["plan"] = ctx.facts.plan
    when = f" since {since}" if since else ""
    return (
        f"It has been a little while{when} since {ctx.facts.name} left {ctx.company_name}{plan}, and I wanted to check in. "
        "If anything we could have done better comes to mind, I would really like to hear it, even in one line."
    )


def win_back_offer(ctx: DraftContext, cited: dict[str, str]) -> str:
    """Write the second note, with the offer the policy allows: a free month or a discount."""
    months = int(ctx.offer.max_free_months)
    if _allowed(ctx, "free_month") and months > 0:
        cited["free_months"] = str(months)
        offer = f"{months} month free" if months == 1 else f"{months} months free"
    else:
        offer = _discount(ctx, cited) or ""
    if not offer:
        return "If you ever want to come back, reply here and I will set the account up again for you."
    return f"If you would like to give it another try, I can offer {offer} when you come back. Just reply and I will set it up."
