"""Draft contexts for the composer tests: one account, every angle, four languages."""

from __future__ import annotations

from datetime import date, datetime, timezone

from churnguard.compose import DraftContext, OfferPolicy
from churnguard.vault import AccountFacts, ContactFacts

USAGE = {"before": 41, "after": 9, "drop_pct": 78.0,
         "before_window": ["2026-01-01T00:00:00+00:00", "2026-01-31T00:00:00+00:00"],
         "after_window": ["2026-01-31T00:00:00+00:00", "2026-03-02T00:00:00+00:00"]}
PAYMENT = {"amount_cents": 4900, "currency": "usd", "failed_at": "2026-03-01T10:00:00+00:00",
           "failure_message": "Your card was declined."}
SLOTS = (datetime(2026, 3, 3, 9, tzinfo=timezone.utc), datetime(2026, 3, 4, 13, tzinfo=timezone.utc))
ANGLES = {
    "check_in": dict(evidence=USAGE),
    "different_angle": dict(evidence=USAGE),
    "payment_note": dict(evidence=PAYMENT),
    "payment_reminder": dict(evidence=PAYMENT),
    "call_offer": dict(call_slots=SLOTS, call_timezone="Europe/Berlin"),
    "cancel_save": dict(evidence={"reason": "price"}, offer=OfferPolicy(("discount", "training_session"), 20)),
    "win_back": dict(evidence={"canceled_at": "2026-01-10T00:00:00+00:00"}),
    "win_back_offer": dict(evidence={"canceled_at": "2026-01-10T00:00:00+00:00"},
                           offer=OfferPolicy(("free_month", "discount"), 15, 2)),
}


def make_context(angle: str = "check_in", language: str = "en", account_id: str = "acct-7", **extra) -> DraftContext:
    contact = ContactFacts(1, "pat@example.com", "Pat Lee", "Pat", "Europe/Berlin", language, True, False)
    facts = AccountFacts(account_id, "Example Freight", "Team", 19900, "USD", date(2026, 6, 1), "active", "ok", (contact,))
    values = dict(usage_before=(("report_export", 30), ("login", 11)),
                  update_card_url="https://billing.example.com/update-card",
                  feature_names=("report export", "login", "forecasting", "Slack integration"))
    values.update(ANGLES.get(angle, {}))
    values.update(extra)
    return DraftContext(facts=facts, contact=contact, csm_name="Dana Reyes", company_name="Example Analytics",
                        play="silent_churn", angle=angle, today=date(2026, 3, 2), **values)
