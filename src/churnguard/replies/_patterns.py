"""Regular expressions the quote and signature stripper uses, one language list each.

Languages: English, German, French, Spanish, Portuguese, Dutch, Italian, Japanese, plus the
Scandinavian, Polish and Russian forms found in real corpora.
"""

from __future__ import annotations

import re

_I = re.IGNORECASE

# "-----Original Message-----" and its translations, with any number of dashes or spaces.
SEPARATOR = re.compile(
    r"^[-_=*\s]{2,}\s*("
    r"original message|forwarded message|oprindelig meddelelse|urspr(ü|ue)ngliche nachricht|"
    r"weitergeleitete nachricht|message d'origine|message transf(é|e)r(é|e)|"
    r"mensaje original|mensaje reenviado|mensagem original|mensagem encaminhada|"
    r"oorspronkelijk bericht|doorgestuurd bericht|messaggio originale|messaggio inoltrato|"
    r"ursprungligt meddelande|opprinnelig melding|wiadomo(ś|s)(ć|c) oryginalna|"
    r"元のメッセージ|転送されたメッセージ"
    r")\s*[-_=*\s]*$",
    _I,
)

FORWARD_MARKER = re.compile(
    r"^(begin forwarded message|anfang der weitergeleiteten nachricht|"
    r"d(é|e)but du message (r(é|e)exp(é|e)di(é|e)|transf(é|e)r(é|e))|"
    r"inicio del mensaje reenviado|in(í|i)cio da mensagem (reencaminhada|encaminhada)|"
    r"begin doorgestuurd bericht|inizio messaggio inoltrato)\s*:?$",
    _I,
)

_FROM_WORDS = r"from|von|de|van|fra|fr(å|a)n|od|da|lähettäjä|差出人|送信者"
_FIELD_WORDS = (
    r"sent|date|to|subject|cc|bcc|reply-to|gesendet|datum|an|betreff|envoy(é|e)|(à|a)|objet|"
    r"enviado|enviada|enviado el|fecha|para|asunto|assunto|verzonden|aan|onderwerp|inviato|"
    r"data|a|oggetto|sendt|til|emne|skickat|till|(ä|a)mne|wys(ł|l)ano|do|temat|"
    r"送信日時|日付|件名|宛先"
)
_KEY = r"^\*?\s*({words})\s*\*?\s*[:：]\s*\*?"
BLOCK_FROM = re.compile(_KEY.format(words=_FROM_WORDS) + r"(\s|\S)", _I)
BLOCK_FIELD = re.compile(_KEY.format(words=_FIELD_WORDS), _I)

_VERBS = (
    r"wrote|writes|schrieb|a (é|e)crit|escribi(ó|o)|escreveu|schreef|ha scritto|skrev|"
    r"napisa(ł|l)(\(a\)|a)?|написал(а)?|kirjoitti|のメッセージ|写道|さんは書きました"
)
ATTRIBUTION_VERB = re.compile(rf"(^|\W)({_VERBS})(\W|$)", _I)
ATTRIBUTION_OPENER = re.compile(r"^(on|am|le|el|em|op|il|den|dnia|p(å|a))\b", _I)
# "On <something> wrote:" with the opener and the verb at either end.
ATTRIBUTION_STRICT = re.compile(
    r"^(on|am|le|el|em|op|il|den|dnia|p(å|a))\s.{4,280}?"
    rf"({_VERBS})(\s*[:：]?|\s.{{0,80}}[:：])$",
    _I,
)

BANNER = re.compile(
    r"^(\[?external\]?\s*[:\-]|caution\s*:|warning\s*:\s*this (e-?mail|message) (originated|came)|"
    r"this (e-?mail|message) originated from outside)",
    _I,
)

DISCLAIMER = re.compile(r"^(disclaimer|confidentiality notice)\s*:?$", _I)

SENT_FROM = re.compile(
    r"^(sent from (my )?[\w'\- ]{1,40}|sent with [\w'\- ]{1,30}( \(.*\))?|"
    r"get outlook for [\w' ]{1,20}(<[^>]*>)?|sent from mail for windows( \d+)?|"
    r"von meinem [\w\- ]{1,30} gesendet|gesendet von meinem [\w\- ]{1,30}|"
    r"envoy(é|e) de mon [\w\- ]{1,30}|enviado desde mi [\w\- ]{1,30}|"
    r"enviado do meu [\w\- ]{1,30}|verzonden (vanaf|met) mijn [\w\- ]{1,30}|"
    r"inviato da(l mio)? [\w\- ]{1,30}|iphoneから送信|android から送信)$",
    _I,
)

SIGN_OFF = re.compile(
    r"^(thanks|thank you|many thanks|thanks again|thx|cheers|best|best wishes|best regards|"
    r"kind regards|warm regards|regards|all the best|sincerely|yours( truly| sincerely)?|br|"
    r"thanks (&|and) regards|mit freundlichen gr(ü|ue)(ß|ss)en|freundliche gr(ü|ue)(ß|ss)e|"
    r"viele gr(ü|ue)(ß|ss)e|beste gr(ü|ue)(ß|ss)e|liebe gr(ü|ue)(ß|ss)e|gru(ß|ss)|lg|mfg|vg|"
    r"cordialement|bien cordialement|bien (à|a) vous|salutations|merci|"
    r"saludos|un saludo|saludos cordiales|atentamente|atenciosamente|abra(ç|c)os|"
    r"cumprimentos|met vriendelijke groet(en)?|vriendelijke groet(en)?|groeten|groet|"
    r"distinti saluti|cordiali saluti|saluti|med venlig hilsen|venlig hilsen|hilsen|mvh|kh|"
    r"med v(ä|a)nlig h(ä|a)lsning|v(ä|a)nliga h(ä|a)lsningar|pozdrawiam|z powa(ż|z)aniem|"
    r"よろしくお願いいたします|よろしくお願いします)[\s,.!]*$",
    _I,
)

# "-Abhishek Kona" or "/John": a name signed with a dash or slash, not a bullet.
NAME_DASH = re.compile(r"^[-/][A-Z][\w.'-]*( [A-Za-z][\w.'-]*){0,3}$")
UNDERSCORES = re.compile(r"^_{5,}$")
RULE = re.compile(r"^[-_=*—–\s]+$")
