"""A first, rules-based verdict for the visible text of a human reply.

English first, with basic German, French and Spanish keywords. The rules favour handing a
reply to a person: anything mixed, conditional or unclear becomes ``talk_to_human``. Text that
tries to instruct an AI agent is flagged and always goes to a person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from churnguard.domain import Verdict

_I = re.IGNORECASE
MIN_CONFIDENCE = 0.5

_INJECTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b.{0,30}\b(instructions?|prompts?|rules|guidelines)\b|"
    r"system prompt|\byou are now\b|developer mode|jailbreak|\b100\s?% (off|discount)\b|"
    r"\bact as (an?|my)\b|\bas an ai\b|new instructions",
    _I,
)
_UNSUBSCRIBE = re.compile(
    r"\bunsubscribe\b|\bstop (e-?mailing|emails|contacting|writing|sending|messaging)\b|"
    r"\bremove me\b|\btake me off\b|\bdo not (e-?mail|contact|write)\b|"
    r"\bdon'?t (e-?mail|contact|write to) me\b|\bno more (e-?mails|messages)\b|\bopt(-| )?out\b|"
    r"\babmelden\b|keine (e-?mails|nachrichten) mehr|\bdésinscri|\bdesinscri|"
    r"ne (plus )?m'(é|e)crivez plus|darme de baja|\bdar de baja\b|no me escrib(a|an) m(á|a)s|"
    r"dejen? de escribirme",
    _I,
)
_LOST = re.compile(
    r"\bnot interested\b|\bno longer (interested|need|needed|using)\b|\bnot renewing\b|"
    r"\bwon'?t (be )?renew(ing)?\b|\bwe('re| are| have|'ve)? (decided to )?(leav|switch|mov|cancel)"
    r"\w*\b|\bswitched to\b|\bgoing with (another|a different|a competitor)\b|"
    r"\bclos(e|ing) (our|my|the) account\b|\bcancel (our|my|the) (account|subscription|plan)\b|"
    r"\b(chose|chosen|picked) (another|a different)\b|\bno thanks\b|\bnot for us\b|"
    r"kein interesse|nicht interessiert|wir (kündigen|wechseln)|gekündigt|"
    r"pas int(é|e)ress(é|e)|nous (partons|r(é|e)silions|changeons)|"
    r"no (me|nos) interesa|no estamos interesados|vamos a cancelar|nos vamos",
    _I,
)
_SAVE = re.compile(
    r"\bsounds (good|great)\b|\bhappy to (chat|talk|stay|continue|hop on)\b|"
    r"\blet'?s (talk|chat|do it|schedule|meet|set)\b|\b(i'?m|we'?re|i am|we are) interested\b|"
    r"\binterested\b|\b(book|schedule|set up) (a|the) (call|meeting|chat)\b|\bworks for me\b|"
    r"\bwe('ll| will) stay\b|\bwe('re| are) staying\b|\bcount (us|me) in\b|\b(yes|yeah|yep|sure)\b|"
    r"\b(monday|tuesday|wednesday|thursday|friday|tomorrow|next week)\b|"
    r"\b(montag|dienstag|mittwoch|donnerstag|freitag|lundi|mardi|mercredi|jeudi|vendredi|"
    r"demain|lunes|martes|mi(é|e)rcoles|jueves|viernes|ma(ñ|n)ana)\b|"
    r"\b\d{1,2}(:\d\d)?\s?(am|pm)\b|\bgive it (another|a) (try|shot|go)\b|"
    r"\bgerne\b|\beinverstanden\b|\bwir bleiben\b|\bd'accord\b|\bvolontiers\b|"
    r"\bavec plaisir\b|\bclaro\b|\bde acuerdo\b|\bme interesa\b|\bperfecto\b",
    _I,
)
_HUMAN = re.compile(
    r"\b(discount|price|pricing|cheaper|budget|cost|costs|quote|refund|invoice|billing|billed|"
    r"charged|overcharged|charge|contract|terms|negotiat\w*|deal)\b|\bonly if\b|\bunless\b|"
    r"\bif you (can|could)\b|\b(complain\w*|frustrat\w*|disappoint\w*|unacceptable|terrible|"
    r"awful|angry)\b|\b(manager|supervisor|real person|a human|someone)\b|"
    r"\b(speak|talk) to (a|your|someone)\b|\brabatt\b|\bpreis\b|\brechnung\b|\bremise\b|"
    r"\bprix\b|\bfacture\b|\bdescuento\b|\bprecio\b|\bfactura\b",
    _I,
)
_NEGATION = re.compile(r"\b(not|no|never|nicht|kein\w*|pas|jamais|nunca|nie)\b|n'?t\b", _I)


@dataclass(frozen=True)
class Classification:
    """A verdict for one reply, how sure the rules are, and why."""

    verdict: Verdict
    confidence: float
    reasons: list[str] = field(default_factory=list)


def classify_reply(text: str) -> Classification:
    """Classify the visible text of a human reply into save, lost, unsubscribe or a hand-off."""
    body = " ".join(text.split())
    if not body:
        return Classification(Verdict.TALK_TO_HUMAN, 0.2, ["empty reply"])
    if _INJECTION.search(body):
        return Classification(Verdict.TALK_TO_HUMAN, 0.95, ["prompt_injection"])
    if _UNSUBSCRIBE.search(body):
        return Classification(Verdict.UNSUBSCRIBE, 0.9, _found("unsubscribe", _UNSUBSCRIBE, body))

    save = _hits(_SAVE, body, skip_negated=True)
    lost = _hits(_LOST, body, skip_negated=False)
    human = _hits(_HUMAN, body, skip_negated=False)
    return _decide(body, save, lost, human)


def _decide(body: str, save: list[str], lost: list[str], human: list[str]) -> Classification:
    reasons = [f"save: {s}" for s in save] + [f"lost: {s}" for s in lost]
    reasons += [f"needs a person: {s}" for s in human]
    asks = "?" in body

    if save and lost:
        return Classification(Verdict.TALK_TO_HUMAN, 0.7, ["mixed signals", *reasons])
    if human:
        return Classification(Verdict.TALK_TO_HUMAN, 0.8, reasons)
    if lost and asks:
        return Classification(Verdict.TALK_TO_HUMAN, 0.6, ["leaving but asks something", *reasons])
    if lost:
        return _bounded(Verdict.LOST, 0.6 + 0.15 * len(lost), reasons)
    if save:
        return _bounded(Verdict.SAVE, 0.45 + 0.15 * len(save), reasons)
    if asks:
        return Classification(Verdict.TALK_TO_HUMAN, 0.6, ["a question"])
    return Classification(Verdict.TALK_TO_HUMAN, 0.3, ["unclear"])


def _bounded(verdict: Verdict, confidence: float, reasons: list[str]) -> Classification:
    confidence = min(confidence, 0.95)
    if confidence < MIN_CONFIDENCE:
        return Classification(Verdict.TALK_TO_HUMAN, confidence, ["low confidence", *reasons])
    return Classification(verdict, round(confidence, 2), reasons)


def _hits(pattern: re.Pattern[str], body: str, *, skip_negated: bool) -> list[str]:
    found: list[str] = []
    for match in pattern.finditer(body):
        if skip_negated and _negated(body, match.start()):
            continue
        phrase = match.group(0).lower()
        if phrase not in found:
            found.append(phrase)
    return found


def _negated(body: str, start: int) -> bool:
    """Tell whether a negation sits within the three words before ``start``."""
    before = body[max(0, start - 30):start].split()[-3:]
    return bool(_NEGATION.search(" ".join(before)))


def _found(label: str, pattern: re.Pattern[str], body: str) -> list[str]:
    return [f"{label}: {phrase}" for phrase in _hits(pattern, body, skip_negated=False)]
