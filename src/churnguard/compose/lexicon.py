"""Words the grounding checker looks for, in English, German, French and Spanish.

Month and weekday names for dates, offer wording by offer kind, pushy phrases, and the
contexts in which a word names a plan ("the Pro plan", "plan Business").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_I = re.IGNORECASE

MONTHS: dict[str, int] = {}
for _number, _names in enumerate((
    "january jan januar janvier enero ene",
    "february feb februar février fevrier febrero",
    "march mar märz maerz mars marzo",
    "april apr avril abril",
    "may mai mayo",
    "june jun juni juin junio",
    "july jul juli juillet julio",
    "august aug août aout agosto ago",
    "september sep sept septembre septiembre setiembre",
    "october oct oktober okt octobre octubre",
    "november nov novembre noviembre",
    "december dec dezember dez décembre decembre diciembre dic",
), start=1):
    for _name in _names.split():
        MONTHS[_name] = _number

WEEKDAY_NAMES: dict[str, int] = {}
for _number, _names in enumerate((
    "monday montag lundi lunes",
    "tuesday dienstag mardi martes",
    "wednesday mittwoch mercredi miércoles miercoles",
    "thursday donnerstag jeudi jueves",
    "friday freitag vendredi viernes",
    "saturday samstag samedi sábado sabado",
    "sunday sonntag dimanche domingo",
)):
    for _name in _names.split():
        WEEKDAY_NAMES[_name] = _number

_MONTH = "(?P<month>" + "|".join(sorted(map(re.escape, MONTHS), key=len, reverse=True)) + r")\.?"
DATE_PATTERNS = (
    re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b", _I),
    re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th|\.|er)?\s+(?:de\s+|of\s+)?{_MONTH}(?!\w)", _I),
)
WEEKDAYS = re.compile(r"\b(" + "|".join(sorted(map(re.escape, WEEKDAY_NAMES), key=len, reverse=True)) + r")\b", _I)

OFFER_PATTERNS: dict[str, re.Pattern[str]] = {
    "discount": re.compile(
        r"\d+(?:[.,]\d+)?\s?%\s?(?:off|discount|rabatt|de (?:remise|réduction|descuento))|"
        r"\b(?:discount|coupon|promo code|rabatt|preisnachlass|remise|réduction|descuento|rebaja)\w*"
        r"(?:\s+(?:of|von|de)\s+\d+(?:[.,]\d+)?\s?%)?", _I),
    "free_month": re.compile(
        r"\b(?:\d+|one|two|three|a)\s+(?:free\s+)?months?\s+(?:free|for free|on us)\b|\bfree months?\b|"
        r"\b(?:\d+\s+)?(?:kostenlose[rn]?|gratis)\s+monat\w*|\bmois gratuits?\b|\bmes(?:es)? gratis\b", _I),
    "extended_trial": re.compile(r"\b(?:extend\w* (?:your |the )?trial|trial extension|testphase verlängern|"
                                 r"prolonger (?:votre |l')?essai|ampliar (?:la |su )?prueba)\b", _I),
    "pause_subscription": re.compile(r"\bpaus(?:e|ing|ieren)\b[^.\n]{0,30}\b(?:subscription|account|abo\w*|abonnement|"
                                     r"suscripción|cuenta)\b|\bmettre en pause\b", _I),
    "plan_downgrade": re.compile(r"\bdowngrad\w*|\b(?:smaller|cheaper|lower) (?:plan|tier)\b|\bkleinere[nmr]? (?:tarif|paket)\b|"
                                 r"\bforfait (?:inférieur|moins cher)\b|\bplan (?:más barato|inferior)\b", _I),
    "training_session": re.compile(r"\b(?:training|workshop|onboarding session|schulung|formation|formación|capacitación)\w*", _I),
    "refund_or_credit": re.compile(r"\b(?:refund|credit note|account credit|waive\w*|rückerstattung|gutschrift|"
                                   r"remboursement|avoir|reembolso|bonificación)\b", _I),
}

PRESSURE = re.compile(
    r"\b(?:act now|last chance|final notice|urgent\w*|immediately|don't miss|limited time|before it's too late|"
    r"guarantee\w*|letzte chance|sofort|dringend|dernière chance|immédiatement|urgente|última oportunidad|"
    r"inmediatamente)\b|!{2,}", _I)

FEATURE_PHRASE = re.compile(
    r"\b(?:our|the|new|your)\s+(?P<name>[\w-]+(?:\s+[\w-]+){0,2}?)\s+(?:feature|integration|module|add-on|connector)s?\b|"
    r"\b(?:funktion|integration|fonctionnalité|intégration|función|integración)\s+(?P<name2>[A-Z][\w-]+)", 0)


@lru_cache(maxsize=32)
def PLAN_CONTEXT(names: tuple[str, ...]) -> re.Pattern[str]:  # noqa: N802 (a compiled-pattern factory)
    """Return the pattern for a plan name used as a plan: "Pro plan", "plan Pro", "Tarif Pro"."""
    alternatives = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True)) or "(?!)"
    return re.compile(
        rf"\b(?P<before>{alternatives})[ -](?:plan|tier|edition|tarif|paket|forfait|offre)\b|"
        rf"\b(?:plan|tier|tarif|paket|forfait|offre|plan)\s+(?P<after>{alternatives})\b", _I)


def _fold(name: str) -> str:
    return unicodedata.normalize("NFC", name.lower().rstrip("."))


def month_number(name: str) -> int:
    return MONTHS.get(_fold(name), 0)


def weekday_number(name: str) -> int:
    return WEEKDAY_NAMES.get(_fold(name), -1)
