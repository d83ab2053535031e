"""Recognise out-of-office notices and read the return date they give.

Covers English, German, French, Spanish, Portuguese, Dutch, Italian and Japanese phrasing.
"""

from __future__ import annotations

import re
from datetime import date

_I = re.IGNORECASE

OOO_SUBJECT = re.compile(
    r"out of (the )?office|automatic reply|auto(matic)?[- ]?reply|autoreply|away from|"
    r"on vacation|on holiday|abwesenheit|nicht im b(ü|ue)ro|automatische antwort|"
    r"r(é|e)ponse automatique|absence|absent|respuesta autom(á|a)tica|fuera de la oficina|"
    r"resposta autom(á|a)tica|aus(ê|e)ncia|afwezig|automatisch antwoord|"
    r"risposta automatica|fuori ufficio|不在|自動応答|自動返信",
    _I,
)

# Statements of absence in the present or future tense.
OOO_TEXT = re.compile(
    r"\b(i am|i'm|i am currently|i'm currently|i will be|i'll be|currently)\s+"
    r"(out of (the )?office|ooo|away|on (vacation|holiday|leave|annual leave|pto|parental leave)|"
    r"traveling|travelling|off|unavailable)|"
    r"\bout of (the )?office (until|till|from|through)\b|"
    r"\b(ich bin|bin ich)\b.{0,40}\b(nicht im b(ü|ue)ro|abwesend|im urlaub|au(ß|ss)er haus|"
    r"nicht erreichbar)|\b(abwesenheitsnotiz|abwesend bis)\b|"
    r"\bje (suis|serai)\b.{0,30}\b(absente?|en cong(é|e)s?|en vacances|hors du bureau)|"
    r"\b(estoy|estar(é|e))\b.{0,30}\b(fuera de la oficina|de vacaciones|ausente|fuera)\b|"
    r"\b(estou|estarei)\b.{0,30}\b(fora do escrit(ó|o)rio|de f(é|e)rias|ausente)\b|"
    r"\bik ben\b.{0,30}\b(afwezig|niet op kantoor|met vakantie|niet aanwezig)\b|"
    r"\b(sono|sar(ò|o))\b.{0,30}\b(fuori ufficio|in ferie|assente|in vacanza)\b|"
    r"不在にしております|休暇を(いただいて|取って)|外出しております|不在です",
    _I,
)

# Extra evidence for a headerless notice: a return, limited access, or a deputy.
OOO_EVIDENCE = re.compile(
    r"\b(back|return|returning)\b|limited access|upon my return|urgent|in my absence|"
    r"zur(ü|ue)ck|wieder|dringend|vertretung|retour|urgence|vuelta|regres|urgente|volta|"
    r"retorno|terug|dringend|ritorno|rientr|urgenti|urgenc|urg(ê|e)ncia|urgenz|\bhasta\b|\bat(é|e)\b|"
    r"\bfino al\b|お急ぎ|戻り|出社|まで",
    _I,
)

_CUE = re.compile(
    r"\b(back|return(ing)?( to the office)?|in the office|until|till|through)\b|"
    r"zur(ü|ue)ck|wieder|\bbis\b|de retour|\bretour\b|jusqu['’]au|\bde vuelta\b|regres\w*|"
    r"volver\w*|\bhasta\b|de volta|retorno|regresso|\bat(é|e)\b|\bterug\b|\btot( en met)?\b|"
    r"di ritorno|rientr\w*|fino al|まで|戻り|出社",
    _I,
)

_MONTHS = {
    "jan": 1, "january": 1, "januar": 1, "janvier": 1, "enero": 1, "janeiro": 1,
    "januari": 1, "gennaio": 1, "jän": 1, "feb": 2, "february": 2, "februar": 2,
    "février": 2, "fevrier": 2, "febrero": 2, "fevereiro": 2, "februari": 2, "febbraio": 2,
    "mar": 3, "march": 3, "märz": 3, "maerz": 3, "mars": 3, "marzo": 3, "março": 3,
    "marco": 3, "maart": 3, "apr": 4, "april": 4, "avril": 4, "abril": 4, "aprile": 4,
    "may": 5, "mai": 5, "mayo": 5, "maio": 5, "mei": 5, "maggio": 5, "jun": 6, "june": 6,
    "juni": 6, "juin": 6, "junio": 6, "junho": 6, "giugno": 6, "jul": 7, "july": 7,
    "juli": 7, "juillet": 7, "julio": 7, "julho": 7, "luglio": 7, "aug": 8, "august": 8,
    "août": 8, "aout": 8, "agosto": 8, "augustus": 8, "sep": 9, "sept": 9, "september": 9,
    "septembre": 9, "septiembre": 9, "setembro": 9, "settembre": 9, "oct": 10,
    "october": 10, "oktober": 10, "octobre": 10, "octubre": 10, "outubro": 10,
    "ottobre": 10, "nov": 11, "november": 11, "novembre": 11, "noviembre": 11,
    "novembro": 11, "dec": 12, "december": 12, "dezember": 12, "décembre": 12,
    "decembre": 12, "diciembre": 12, "dezembro": 12, "dicembre": 12,
}
_MONTH = "(" + "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True)) + r")\.?"
_DAY = r"(\d{1,2})(?:st|nd|rd|th|er|e|º|°)?\.?"
_YEAR = r"(\d{4})"

_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_DOTTED = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{2,4})?")
_SLASHED = re.compile(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?\b")
_DAY_MONTH = re.compile(rf"\b{_DAY}\s+(?:de\s+)?{_MONTH}(?:,?\s+(?:de\s+)?{_YEAR})?", _I)
_MONTH_DAY = re.compile(rf"\b{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?", _I)
_KANJI = re.compile(r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日")


def looks_out_of_office(subject: str, text: str, automatic: bool) -> bool:
    """Tell whether a message reads as an absence notice.

    With automatic-reply headers one absence phrase or subject is enough. Without them the
    text must also mention a return, limited access or a deputy, so a person who writes
    "I'm away until Monday, but yes, let's talk" is more likely to stay human.
    """
    subject_hit = bool(OOO_SUBJECT.search(subject))
    text_hit = bool(OOO_TEXT.search(text))
    if automatic:
        return subject_hit or text_hit
    return text_hit and (subject_hit or bool(OOO_EVIDENCE.search(text)))


def find_return_date(text: str, sent: date | None, *, day_first: bool = False) -> date | None:
    """Return the first date that follows a return cue ("back on", "zurück am", ...).

    A date without a year is placed on or after ``sent``. Slashed dates are read month first
    unless ``day_first`` is set.
    """
    reference = sent or date.today()
    for cue in _CUE.finditer(text):
        window = text[cue.end():cue.end() + 60]
        found = parse_first_date(window, reference, day_first=day_first)
        if found is not None:
            return found

    kanji = _KANJI.search(text)  # Japanese puts the cue after the date: 3月3日まで
    return _read_kanji(kanji, reference, day_first) if kanji else None


def parse_first_date(window: str, reference: date, *, day_first: bool = False) -> date | None:
    """Parse the earliest date written in ``window`` in any supported form."""
    candidates: list[tuple[int, date]] = []
    for pattern, reader in _READERS:
        match = pattern.search(window)
        if match is None:
            continue
        value = reader(match, reference, day_first)
        if value is not None:
            candidates.append((match.start(), value))
    return min(candidates)[1] if candidates else None


def _build(year: int | None, month: int, day: int, reference: date) -> date | None:
    if year is not None and year < 100:
        year += 2000
    try:
        if year is not None:
            return date(year, month, day)
        guess = date(reference.year, month, day)
        return guess if guess >= reference else date(reference.year + 1, month, day)
    except ValueError:
        return None


def _year(text: str | None) -> int | None:
    return int(text) if text else None


def _read_iso(match: re.Match[str], reference: date, day_first: bool) -> date | None:
    return _build(int(match.group(1)), int(match.group(2)), int(match.group(3)), reference)


def _read_dotted(match: re.Match[str], reference: date, day_first: bool) -> date | None:
    return _build(_year(match.group(3)), int(match.group(2)), int(match.group(1)), reference)


def _read_slashed(match: re.Match[str], reference: date, day_first: bool) -> date | None:
    first, second = int(match.group(1)), int(match.group(2))
    day, month = (first, second) if day_first or first > 12 else (second, first)
    return _build(_year(match.group(3)), month, day, reference)


def _read_day_month(match: re.Match[str], reference: date, day_first: bool) -> date | None:
    month = _MONTHS[match.group(2).lower().rstrip(".")]
    return _build(_year(match.group(3)), month, int(match.group(1)), reference)


def _read_month_day(match: re.Match[str], reference: date, day_first: bool) -> date | None:
    month = _MONTHS[match.group(1).lower().rstrip(".")]
    return _build(_year(match.group(3)), month, int(match.group(2)), reference)


def _read_kanji(match: re.Match[str], reference: date, day_first: bool) -> date | None:
    return _build(_year(match.group(1)), int(match.group(2)), int(match.group(3)), reference)


_READERS = (
    (_ISO, _read_iso),
    (_DOTTED, _read_dotted),
    (_SLASHED, _read_slashed),
    (_DAY_MONTH, _read_day_month),
    (_MONTH_DAY, _read_month_day),
    (_KANJI, _read_kanji),
)
