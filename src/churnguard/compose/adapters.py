"""Composers behind one interface: the offline grounded composer and a language model.

``draft`` writes without checking (``churnguard eval drafts`` uses it to count findings);
``compose`` returns only a draft that passed the grounding checker. The model composer
falls back to the offline composer when the model fails or its draft is rejected, so a
touch is never blocked on a model and never carries an unchecked claim.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from churnguard.compose import offline
from churnguard.compose.context import Draft, DraftContext
from churnguard.compose.grounding import Finding, GroundingViolation, check_grounding
from churnguard.compose.phrases import SUPPORTED
from churnguard.llm import ChatMessage, Model, ModelError, ModelRequest, model_from_settings
from churnguard.llm.errors import ModelConfigError
from churnguard.llm.schema import parse_reply

log = logging.getLogger("churnguard.compose")
COMPOSERS = ("offline", "llm")

DRAFT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"subject": {"type": "string", "minLength": 1, "maxLength": 120},
                   "body": {"type": "string", "minLength": 1, "maxLength": 4000}},
    "required": ["subject", "body"],
    "additionalProperties": False,
}

ANGLE_GOALS = {
    "check_in": "a personal check-in: name what the account used before and the size of the drop, ask what changed, offer a short call",
    "different_angle": "a short follow-up with a different angle after no reply",
    "payment_note": "a friendly note that the payment failed: name the amount and date, give the update-card link",
    "payment_reminder": "a gentle reminder about the failed payment with the update-card link",
    "call_offer": "thank them and offer the listed call times",
    "cancel_save": "answer the cancel reason they gave; make at most one offer the policy allows; ask for a short call",
    "win_back": "a warm note referencing their history with the product; offer to show what is new",
    "win_back_offer": "a win-back note with at most one offer the policy allows",
}

INSTRUCTIONS = """\
You write one short email from a customer-success manager to a customer, in the manager's
voice: warm, plain, specific, no pressure. Write in the language with code {language}.
State only facts from the JSON below. Do not invent numbers, dates, percentages, features,
plans, links or offers; if the policy allows no offer, make none. Sign with the manager's
first name. At most {max_words} words. Reply with JSON: {{"subject": ..., "body": ...}}."""


class Composer(Protocol):
    name: str

    def draft(self, ctx: DraftContext, *, thread_subject: str | None = None) -> Draft: ...

    def compose(self, ctx: DraftContext, *, thread_subject: str | None = None) -> Draft: ...


@dataclass
class OfflineComposer:
    name: str = "offline"

    def draft(self, ctx: DraftContext, *, thread_subject: str | None = None) -> Draft:
        return offline.write_draft(ctx, thread_subject=thread_subject)

    def compose(self, ctx: DraftContext, *, thread_subject: str | None = None) -> Draft:
        return offline.compose(ctx, thread_subject=thread_subject)


@dataclass
class ModelComposer:
    """Draft with a language model; every draft is checked, and the offline composer is the fallback."""

    model: Model
    fallback: OfflineComposer = field(default_factory=OfflineComposer)
    last_findings: list[Finding] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"llm:{self.model.name}"

    def draft(self, ctx: DraftContext, *, thread_subject: str | None = None) -> Draft:
        """Return the model's draft unchecked; raise ModelError when the model fails."""
        request = ModelRequest(
            system=INSTRUCTIONS.format(language=_language(ctx), max_words=ctx.max_words),
            messages=(ChatMessage("user", json.dumps(prompt_facts(ctx), ensure_ascii=False, indent=1)),),
            json_schema=DRAFT_SCHEMA,
            schema_name="draft",
            max_tokens=900,
            temperature=0.4,
        )
        answer = parse_reply(self.model.name, self.model.request(request).text, DRAFT_SCHEMA)
        return Draft(subject=thread_subject or answer["subject"].strip(), body=answer["body"].strip() + "\n")

    def compose(self, ctx: DraftContext, *, thread_subject: str | None = None) -> Draft:
        self.last_findings = []
        try:
            draft = self.draft(ctx, thread_subject=thread_subject)
        except ModelError as exc:
            log.warning("account %s: model draft failed, using the offline composer: %s", ctx.facts.account_id, exc)
            return self.fallback.compose(ctx, thread_subject=thread_subject)

        checked = Draft(subject="" if thread_subject else draft.subject, body=draft.body)
        findings = check_grounding(checked, ctx)
        if findings:
            self.last_findings = findings
            log.warning("account %s: model draft rejected (%s); using the offline composer",
                        ctx.facts.account_id, GroundingViolation(findings))
            return self.fallback.compose(ctx, thread_subject=thread_subject)
        return draft


def prompt_facts(ctx: DraftContext) -> dict[str, Any]:
    """Return the facts a model may use: the same ones the grounding checker accepts."""
    return {
        "goal": ANGLE_GOALS.get(ctx.angle, ctx.angle),
        "account": ctx.facts.name,
        "plan": ctx.facts.plan,
        "renewal_date": ctx.facts.renewal_date.isoformat() if ctx.facts.renewal_date else None,
        "product": ctx.company_name,
        "contact_first_name": ctx.contact.first_name,
        "manager": ctx.csm_name,
        "evidence": ctx.evidence,
        "used_before": [{"feature": kind, "count": count} for kind, count in ctx.usage_before],
        "update_card_url": ctx.update_card_url or None,
        "call_times": [slot.isoformat() for slot in ctx.call_slots],
        "call_timezone": ctx.call_timezone,
        "offer_policy": {"allowed": list(ctx.offer.allowed), "max_discount_pct": ctx.offer.max_discount_pct,
                         "max_free_months": ctx.offer.max_free_months},
    }


def _language(ctx: DraftContext) -> str:
    return ctx.language or "en"


def composer_from_settings(settings) -> Composer:  # type: ignore[no-untyped-def]
    """Build the composer that ``compose.composer`` and ``llm.*`` configure."""
    kind = str(settings["compose.composer"]).strip().lower()
    if kind not in COMPOSERS:
        raise ModelConfigError(f"compose.composer {kind!r} is unknown; use offline or llm")
    if kind == "offline":
        return OfflineComposer()
    model = model_from_settings(settings)
    if model is None:
        raise ModelConfigError("compose.composer is 'llm' but llm.provider is 'none'; set llm.provider")
    return ModelComposer(model)


def context_limits(settings) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Return the DraftContext fields that come from settings: catalogues and the length limit."""
    def names(value: str) -> tuple[str, ...]:
        return tuple(part.strip() for part in str(value).split(",") if part.strip())

    return {"feature_names": names(settings["compose.feature_names"]),
            "plan_names": names(settings["compose.plan_names"]),
            "max_words": int(settings["compose.max_words"])}


__all__ = ["Composer", "ModelComposer", "OfflineComposer", "SUPPORTED", "composer_from_settings", "context_limits",
           "prompt_facts"]
