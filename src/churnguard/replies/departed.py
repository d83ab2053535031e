"""Recognise "this person has left" and "this mailbox is not monitored" notices.

Either way nobody will read the sequence's mail at that address, so the sequence should
move to another contact or to the CSM. Covers English, German, French, Spanish,
Portuguese, Dutch, Italian and Japanese phrasing.
"""

from __future__ import annotations

import re

LEFT = "left"
UNMONITORED = "unmonitored"

_LEFT = re.compile(
    r"\bno longer (with|at|employed|working|works|part of)\b|\b(has|have) left (the|our|this) (company|organi[sz]ation|firm|business)\b|"
    r"\b(is|are) not with (the company|us) any ?more\b|\blast (working )?day (was|at)\b|"
    r"\bnicht mehr (im unternehmen|bei uns|f(ü|ue)r uns|in unserem unternehmen|bei der firma|t(ä|ae)tig)|"
    r"\bhat (das unternehmen|unser unternehmen|die firma|uns) verlassen\b|\baus dem unternehmen ausgeschieden\b|"
    r"\bne fait plus partie\b|\ba quitt(é|e) (la soci(é|e)t(é|e)|l'entreprise|notre entreprise)\b|"
    r"\bn'est plus (en poste|dans l'entreprise|employ(é|e))|"
    r"\bya no (trabaja|forma parte|est(á|a) (en|con))\b|\bha dejado (la|nuestra) (empresa|compa(ñ|n)(í|i)a)\b|"
    r"\bn(ã|a)o (faz mais parte|trabalha mais)\b|\bdeixou a (empresa|companhia)\b|"
    r"\bniet (meer|langer) (werkzaam|in dienst|actief) bij\b|\bheeft (ons|het bedrijf|de organisatie) verlaten\b|"
    r"\bnon (fa pi(ù|u) parte|lavora pi(ù|u))\b|\bha lasciato (l'azienda|la societ(à|a)|l'organizzazione)\b|"
    r"退職いたしました|退職しました|退社いたしました|退社しました",
    re.IGNORECASE,
)

_UNMONITORED = re.compile(
    r"\b(this|the) (mailbox|inbox|e-?mail address|address|account) is (no longer|not) (being )?"
    r"(monitored|read|checked|active|in use)\b|\bunmonitored (mailbox|inbox|address)\b|"
    r"\b(is|are) not monitored\b|"
    r"\b(dieses|das) (postfach|e-?mail-?postfach|konto) wird nicht (mehr )?(ü|ue)berwacht|"
    r"\b(diese|die) (adresse|e-?mail-?adresse) wird nicht mehr (gelesen|genutzt|verwendet)|"
    r"\bcette (adresse|bo(î|i)te( aux lettres)?) n'est (plus|pas) (consult(é|e)e|surveill(é|e)e|lue|active)|"
    r"\beste (buz(ó|o)n|correo|direcci(ó|o)n) no (se supervisa|se revisa|es monitoreado|est(á|a) (monitoreado|activo))|"
    r"\besta (caixa( de correio)?|conta|endere(ç|c)o) n(ã|a)o (é|e) (monitorada|monitorado|lida|verificada)|"
    r"\bdeze (mailbox|inbox|brievenbus|e-?mailadres) wordt niet (meer )?(gelezen|gecontroleerd|bewaakt)|"
    r"\bquesta (casella|casella di posta|e-?mail) non (è|e) (pi(ù|u) )?(monitorata|controllata|letta|attiva)|"
    r"このメールアドレスは(現在)?(使用|利用)されておりません|このアドレスは監視されていません|"
    r"このメールボックスは監視されていません",
    re.IGNORECASE,
)


def departure_kind(subject: str, text: str) -> str | None:
    """Return ``left`` or ``unmonitored`` when the message says nobody reads this address."""
    sample = f"{subject}\n{' '.join(text.split())[:2000]}"
    if _LEFT.search(sample):
        return LEFT
    if _UNMONITORED.search(sample):
        return UNMONITORED
    return None
