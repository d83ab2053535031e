"""The offline composer writes from facts only, varies its text, and the guard catches invented numbers."""

from __future__ import annotations

from datetime import date

import pytest

from churnguard.compose import Draft, DraftContext, GuardViolation, check_draft, compose
from churnguard.vault import AccountFacts, ContactFacts

EVIDENCE = {"before": 41, "after": 9, "drop_pct": 78.0, "before_window": ["2026-01-01T00:00:00+00:00", "2026-01-31T00:00:00+00:00"]}


def context(account_id: str = "acct-1", angle: str = "check_in", **extra) -> DraftContext:
    contact = ContactFacts(1, "pat@customer.example.org", "Pat Lee", "Pat", "UTC", "en", True, False)
    facts = AccountFacts(account_id, "Example Freight", "Team", 19900, "USD", None, "active", "ok", (contact,))
    values = dict(evidence=EVIDENCE, usage_before=(("report_export", 30), ("login", 11)))
    values.update(extra)
    return DraftContext(facts=facts, contact=contact, csm_name="Dana Reyes", company_name="Example Analytics",
                        play="silent_churn", angle=angle, today=date(2026, 3, 2), **values)


def test_check_in_cites_drop_and_features():
    draft = compose(context())

    assert draft.body.startswith("Hi Pat,")
    assert "from 41 in the 30 days before to 9 in the last 30 days" in draft.body
    assert "report exports and logins" in draft.body
    assert draft.body.rstrip().endswith("Dana")


def test_accounts_get_different_text():
    bodies = {compose(context(account_id=f"acct-{n}")).body for n in range(12)}
    assert len(bodies) >= 4


def test_same_account_gets_same_text():
    assert compose(context()).body == compose(context()).body


def test_no_usage_facts_means_no_usage_claim():
    draft = compose(context(evidence={}, usage_before=()))
    assert "Activity" not in draft.body
    assert not any(character.isdigit() for character in draft.body)


def test_guard_rejects_invented_number():
    draft = Draft(subject="Hi", body="Your usage fell 95%.", cited={"before": "41"})
    with pytest.raises(GuardViolation, match="95"):
        check_draft(draft)


def test_guard_accepts_cited_numbers():
    check_draft(Draft(subject="Hi", body="from 41 to 9", cited={"before": "41", "after": "9"}))


def test_unknown_angle_is_named():
    with pytest.raises(ValueError, match="no angle 'discount'"):
        compose(context(angle="discount"))
