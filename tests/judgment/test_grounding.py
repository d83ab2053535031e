"""The grounding checker: composed drafts pass, and invented claims are caught with their span."""

from __future__ import annotations

import pytest

from churnguard.compose import Draft, GroundingViolation, OfferPolicy, check_grounding, compose, ensure_grounded
from churnguard.compose.lang import detect_language
from tests.judgment.drafts import ANGLES, make_context

GOOD = ("Hi Pat,\n\nActivity on your account went from 41 to 9 in the last 30 days, mostly report exports "
        "before that. Would a short call help?\n\nBest,\nDana\n")


def kinds(body: str, **extra) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for finding in check_grounding(Draft("Checking in on Example Freight", body), make_context(**extra)):
        found.setdefault(finding.kind, []).append(finding.span)
    return found


@pytest.mark.parametrize("language", ["en", "de", "fr", "es"])
@pytest.mark.parametrize("angle", sorted(ANGLES))
def test_every_composed_draft_passes(angle, language):
    ctx = make_context(angle, language)
    draft = compose(ctx)

    assert check_grounding(draft, ctx) == []
    assert detect_language(draft.body) in (language, "")


def test_drafts_use_contact_language():
    for language, word in (("de", "Hallo Pat"), ("fr", "Bonjour Pat"), ("es", "Hola, Pat")):
        assert compose(make_context("check_in", language)).body.startswith(word)


def test_unknown_language_falls_back_to_english():
    assert compose(make_context("check_in", "ja")).body.startswith("Hi Pat,")


def test_grounded_text_has_no_findings():
    assert kinds(GOOD) == {}


@pytest.mark.parametrize(("invented", "kind", "span"), [
    ("Your usage fell 95% this quarter.", "number", "95"),
    ("You have 12 seats left.", "number", "12"),
    ("Your invoice of 79.00 USD failed.", "number", "79.00"),
    ("Your renewal is on March 14.", "date", "March 14"),
    ("We could talk on Friday.", "date", "Friday"),
    ("You could try our new forecasting feature.", "feature", "forecasting"),
    ("The Slack integration would help your team.", "feature", "Slack integration"),
    ("Have you tried the anomaly alerts feature yet?", "feature", "the anomaly alerts feature"),
    ("You could move to the Enterprise plan.", "plan", "Enterprise plan"),
    ("I can give you a 30% discount.", "offer", "30% discount"),
    ("Stay and get two months free.", "offer", "two months free"),
    ("We can refund last month.", "offer", "refund"),
    ("I can set up a training for your team.", "offer", "training"),
    ("Update it at https://pay.example.net/x today.", "link", "https://pay.example.net/x"),
    ("Act now, this is your last chance!!", "tone", "Act now"),
])
def test_invented_claim_is_caught(invented, kind, span):
    found = kinds(GOOD.replace("Would a short call help?", invented))

    assert kind in found, found
    assert any(span.lower() in caught.lower() or caught.lower() in span.lower() for caught in found[kind]), found


def test_offer_within_policy_passes():
    policy = OfferPolicy(("discount",), 20)
    assert kinds(GOOD.replace("Would", "I can offer 20% off. Would"), offer=policy) == {}


def test_discount_above_policy_is_caught():
    policy = OfferPolicy(("discount",), 20)
    found = kinds(GOOD.replace("Would", "I can offer a discount of 25%. Would"), offer=policy)

    assert "offer" in found
    assert "number" in found


def test_own_plan_and_used_feature_pass():
    assert kinds(GOOD.replace("Would", "Your Team plan includes report exports. Would")) == {}


def test_wrong_language_is_caught():
    german = ("Hallo Pat,\n\nich wollte mich kurz melden, weil die Aktivität in Ihrem Konto gesunken ist. "
              "Hat sich bei Ihnen etwas geändert? Ich freue mich auf Ihre Antwort.\n\nViele Grüße\nDana\n")
    found = kinds(german, language="en")

    assert found["language"] == ["de"]


def test_too_long_and_too_short_are_caught():
    assert "length" in kinds("Hi Pat, bye.")
    assert "length" in kinds(GOOD + "More words here. " * 80)


def test_violation_message_hides_spans():
    draft = Draft("Hi", GOOD.replace("41", "95"))
    with pytest.raises(GroundingViolation) as caught:
        ensure_grounded(draft, make_context())

    assert "95" not in str(caught.value)
    assert caught.value.findings[0].span == "95"


@pytest.mark.parametrize(("language", "invented", "kind"), [
    ("de", "Ich kann Ihnen 30% Rabatt geben.", "offer"),
    ("de", "Ihre Verlängerung ist am 14. März.", "date"),
    ("de", "Wechseln Sie doch in den Tarif Enterprise.", "plan"),
    ("fr", "Je peux vous faire une remise de 30 %.", "offer"),
    ("fr", "Votre renouvellement est le 14 mars.", "date"),
    ("es", "Le ofrezco un descuento especial.", "offer"),
    ("es", "Su renovación es el 14 de marzo.", "date"),
    ("es", "Le regalo 2 meses gratis.", "offer"),
])
def test_invented_claim_caught_in_other_languages(language, invented, kind):
    draft = compose(make_context("check_in", language))
    body = draft.body.replace("\n\n", f"\n\n{invented} ", 1)

    found = {finding.kind for finding in check_grounding(Draft(draft.subject, body), make_context("check_in", language))}
    assert kind in found
