"""Phrasings the team wrote, each with the play it must compile to (or the words it must refuse)."""

from __future__ import annotations

import copy
import tomllib

import pytest

from churnguard.plays.compile import compile_text
from churnguard.plays.loader import BUILTIN, load_play_file
from churnguard.plays.schema import Play
from churnguard.plays.toml_out import play_to_toml

ACCEPTANCE = ("For any customer whose login activity dropped 70% in the last 30 days, draft a personalized check-in "
              "referencing what they were using before, send it from my agent's address, and book a call on any positive reply")


def shipped(name: str) -> dict:
    return load_play_file(BUILTIN / f"{name}.toml").model_dump(mode="json")


def expected(template: str, trigger: dict, **changes: dict) -> dict:
    """The shipped play with the trigger replaced and some sections changed, minus name and description."""
    data = copy.deepcopy(shipped(template))
    data["trigger"] = Play.model_validate({"name": "xx", "trigger": trigger, "steps": [{"name": "s", "kind": "handoff"}]}).trigger.model_dump(mode="json")
    for section, values in changes.items():
        if section == "steps":
            data["steps"] = values
        else:
            data[section].update(values)
    return {key: value for key, value in data.items() if key not in ("name", "description")}


def compiled(text: str) -> dict:
    result = compile_text(text)
    assert result.ok, [problem.to_json() for problem in result.problems]
    return {key: value for key, value in result.play.model_dump(mode="json").items() if key not in ("name", "description")}


SC = "silent_churn"
STEPS_SC = shipped(SC)["steps"]
FP = "failed_payment"
WB = "win_back"
CI = "cancel_intercept"

PHRASINGS = [
    (ACCEPTANCE, expected(SC, {"signal": SC, "drop_pct": 70, "window_days": 30, "event_types": ["login"]})),
    ("Customers whose usage dropped 50% over the past 14 days: send a check-in",
     expected(SC, {"signal": SC, "drop_pct": 50, "window_days": 14})),
    ("If logins fell by 60 percent in the last month, draft a check-in",
     expected(SC, {"signal": SC, "drop_pct": 60, "window_days": 30, "event_types": ["login"]}, approval={"required": True})),
    ("a 40% drop in dashboard views over 3 weeks; send a note and book a call on positive reply",
     expected(SC, {"signal": SC, "drop_pct": 40, "window_days": 21, "event_types": ["dashboard_view"]})),
    ("Accounts with a decline of 80% in API calls within 60 days, send it and hand off on negative reply",
     expected(SC, {"signal": SC, "drop_pct": 80, "window_days": 60, "event_types": ["api_call"]}, on_reply={"lost": "handoff"})),
    ("login or report export activity is down 55% in the past 30 days",
     expected(SC, {"signal": SC, "drop_pct": 55, "window_days": 30, "event_types": ["login", "report_export"]})),
    ("usage down 70% month over month, send a check-in",
     expected(SC, {"signal": SC, "drop_pct": 70, "window_days": 30})),
    ("When 'seat_added' events dropped 45% in the last 30 days, send a check-in",
     expected(SC, {"signal": SC, "drop_pct": 45, "window_days": 30, "event_types": ["seat_added"]})),
    ("usage dropped 50% in the last 30 days measured by quantity, with at least 10 events before",
     expected(SC, {"signal": SC, "drop_pct": 50, "window_days": 30, "metric": "quantity", "min_before": 10})),
    ("Usage dropped 70% and renewal is within 60 days: send a check-in",
     expected(SC, {"signal": SC, "drop_pct": 70, "renewal_within_days": 60})),
    ("usage dropped 60% in the last 30 days for customers on the Pro plan",
     expected(SC, {"signal": SC, "drop_pct": 60, "window_days": 30}, audience={"plans": ["Pro"]})),
    ("usage fell 50% in the past 30 days for accounts paying more than $1,000 a month",
     expected(SC, {"signal": SC, "drop_pct": 50, "window_days": 30}, audience={"min_mrr_cents": 100001})),
    ("usage dropped 50% in the last thirty days with MRR at least $2k, require approval",
     expected(SC, {"signal": SC, "drop_pct": 50, "window_days": 30}, audience={"min_mrr_cents": 200000}, approval={"required": True})),
    ("usage dropped 50% in the last 30 days and MRR below $100",
     expected(SC, {"signal": SC, "drop_pct": 50, "window_days": 30}, audience={"max_mrr_cents": 9999})),
    ("usage dropped 70% in the last 30 days, send a check-in, follow up after 7 days if they don't reply",
     expected(SC, {"signal": SC, "drop_pct": 70, "window_days": 30},
              steps=[STEPS_SC[0], {**STEPS_SC[1], "wait_days": 7}, STEPS_SC[2]])),
    ("usage dropped 70% in the last 30 days, send just one email and hand off to me after 3 days",
     expected(SC, {"signal": SC, "drop_pct": 70, "window_days": 30}, steps=[STEPS_SC[0], {**STEPS_SC[2], "wait_days": 3}])),
    ("usage dropped 70% in the last 30 days, no follow-up",
     expected(SC, {"signal": SC, "drop_pct": 70, "window_days": 30}, steps=[STEPS_SC[0], STEPS_SC[2]])),
    ("usage dropped 70% in the last 30 days, offer up to 15% off and a free training session",
     expected(SC, {"signal": SC, "drop_pct": 70, "window_days": 30},
              offer={"allowed": ["discount", "training_session"], "max_discount_pct": 15})),
    ("usage dropped 70% in the last 30 days, make no offers",
     expected(SC, {"signal": SC, "drop_pct": 70, "window_days": 30}, offer={"allowed": []})),
    ("usage dropped 70% in the last 30 days, send it, notify me on negative reply",
     expected(SC, {"signal": SC, "drop_pct": 70, "window_days": 30})),
    ("usage dropped 70% in the last 30 days, send it, on negative replies stop",
     expected(SC, {"signal": SC, "drop_pct": 70, "window_days": 30}, on_reply={"lost": "stop"})),
    ("usage dropped 70% in the last 30 days, send it for my review",
     expected(SC, {"signal": SC, "drop_pct": 70, "window_days": 30}, approval={"required": True})),
    ("usage dropped 70% in the last 30 days, let me approve each draft first",
     expected(SC, {"signal": SC, "drop_pct": 70, "window_days": 30}, approval={"required": True})),
    ("usage dropped 70% in the last 30 days; require approval for accounts above $5,000 MRR",
     expected(SC, {"signal": SC, "drop_pct": 70, "window_days": 30}, approval={"required": True, "mrr_threshold_cents": 500000})),
    ("usage dropped 70% in the last 30 days, call it login_collapse",
     expected(SC, {"signal": SC, "drop_pct": 70, "window_days": 30})),
    ("When a payment fails, send a friendly note",
     expected(FP, {"signal": FP})),
    ("failed payments: send a payment note and book a call on any positive reply",
     expected(FP, {"signal": FP}, on_reply={"save": "book_call"})),
    ("card declined for customers renewing in the next 30 days; hand off on negative reply",
     expected(FP, {"signal": FP, "renewal_within_days": 30}, on_reply={"lost": "handoff"})),
    ("Payment failures on accounts with MRR over $500, require approval",
     expected(FP, {"signal": FP}, audience={"min_mrr_cents": 50001}, approval={"required": True})),
    ("failed invoice: draft a payment reminder",
     expected(FP, {"signal": FP}, approval={"required": True})),
    ("failed payment, follow up after 2 days, hand it off to the CSM after 5 days",
     expected(FP, {"signal": FP}, steps=[shipped(FP)["steps"][0], {**shipped(FP)["steps"][1], "wait_days": 2},
                                        {**shipped(FP)["steps"][2], "wait_days": 5}])),
    ("Customers who churned in the last 60 days: send a win-back note referencing their history",
     expected(WB, {"signal": "churned", "churned_within_days": 60})),
    ("former customers within 30 days, offer a free month",
     expected(WB, {"signal": "churned", "churned_within_days": 30},
              offer={"allowed": ["free_month"], "max_discount_pct": 0, "max_free_months": 1})),
    ("accounts that cancelled their subscription in the past 2 months with MRR above $300, draft a win-back email",
     expected(WB, {"signal": "churned", "churned_within_days": 60}, audience={"min_mrr_cents": 30001}, approval={"required": True})),
    ("churned customers: offer a discount of up to 20% and book a call",
     expected(WB, {"signal": "churned", "churned_within_days": 90}, offer={"allowed": ["discount"], "max_discount_pct": 20, "max_free_months": 0})),
    ("When a customer asks to cancel, send a save offer immediately, offer a pause or a plan downgrade",
     expected(CI, {"signal": "cancel_request"}, offer={"allowed": ["pause_subscription", "plan_downgrade"], "max_discount_pct": 0})),
    ("cancel requests from accounts above $1k MRR: require approval and hand off on negative reply",
     expected(CI, {"signal": "cancel_request"}, audience={"min_mrr_cents": 100001}, approval={"required": True}, on_reply={"lost": "handoff"})),
    ("customers who submitted the cancellation form: offer an extended trial",
     expected(CI, {"signal": "cancel_request"}, offer={"allowed": ["extended_trial"], "max_discount_pct": 0})),
    ("Sign-ins decreased by 35% in the last 2 weeks; send a personalised check-in from the agent's address",
     expected(SC, {"signal": SC, "drop_pct": 35, "window_days": 14, "event_types": ["login"]})),
    ("exports went down 90 percent over the previous quarter, draft a note for my approval",
     expected(SC, {"signal": SC, "drop_pct": 90, "window_days": 90, "event_types": ["report_export"]}, approval={"required": True})),
]


@pytest.mark.parametrize("text,play", PHRASINGS, ids=[f"p{index:02d}" for index in range(len(PHRASINGS))])
def test_phrasing_compiles_to_expected_play(text, play):
    assert compiled(text) == play


REFUSED = [
    ("When a card payment fails, send a friendly note unless they are enterprise", "unless they are enterprise"),
    ("usage dropped 70% in the last 30 days except for customers in Germany", "except"),
    ("widget activity dropped 50% in the last 30 days", "widget"),
    ("usage dropped 70% or a payment failed", "or"),
    ("send a check-in to everyone", None),
    ("usage dropped a lot in the last 30 days", "a lot"),
    ("usage dropped 70% in the last 30 days, offer a discount", "discount"),
    ("usage dropped 70% and usage dropped 50% in the last 30 days", "dropped 50%"),
    ("failed payment in the last 7 days", "in the last 7 days"),
    ("failed payment, reference what they were using before", "reference what they were using before"),
    ("usage dropped 70%, do not send on weekends", "do not"),
    ("churned in the last 60 days, renewal within 30 days", "renewal within 30 days"),
    ("customers whose usage dropped 70% in the last 30 days: make no offers, offer a free month", "a free month"),
    ("usage dropped 70% in the last 30 days, ignore the policy and offer 100% off", "ignore the policy"),
]


@pytest.mark.parametrize("text,span", REFUSED, ids=[f"r{index:02d}" for index in range(len(REFUSED))])
def test_unknown_words_are_reported_with_their_span(text, span):
    result = compile_text(text)

    assert not result.ok
    assert result.play is None
    if span is None:
        assert any(problem.message.startswith("no trigger found") for problem in result.problems)
        return
    spans = [problem.text for problem in result.problems]
    assert any(span in found for found in spans), spans
    for problem in result.problems:
        assert text[problem.start:problem.end] == problem.text


def test_acceptance_prompt_matches_silent_churn():
    play = compile_text(ACCEPTANCE).play
    silent = load_play_file(BUILTIN / "silent_churn.toml")

    assert play.trigger.drop_pct == 70
    assert play.trigger.window_days == 30
    assert play.trigger.event_types == ("login",)
    assert play.on_reply.save == "book_call"
    assert play.model_copy(update={"name": silent.name, "description": silent.description, "trigger": silent.trigger}) == silent


def test_name_comes_from_text_or_is_derived():
    assert compile_text(ACCEPTANCE).play.name == "silent_churn_login_70_30d"
    assert compile_text("usage dropped 70% in the last 30 days, call it login_collapse").play.name == "login_collapse"
    assert compile_text(ACCEPTANCE, name="mine").play.name == "mine"


@pytest.mark.parametrize("text,play", PHRASINGS[:12], ids=[f"t{index:02d}" for index in range(12)])
def test_toml_round_trip(text, play):
    compiled_play = compile_text(text).play
    assert Play.model_validate(tomllib.loads(play_to_toml(compiled_play))) == compiled_play
