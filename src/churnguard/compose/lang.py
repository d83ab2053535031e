"""Guess the language of a draft from its most common short words.

It tells English, German, French, Spanish, Portuguese, Dutch and Italian apart in a paragraph
of prose. It returns "" when the text is too short or no language clearly wins.
"""

from __future__ import annotations

import re

STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset("the and you your to of is it for in that with we on this be are have if can our".split()),
    "de": frozenset("der die das und ich sie ihr ihre ist nicht mit zu für wir es ein eine den auf dass gerne".split()),
    "fr": frozenset("le la les et vous votre de des est pas pour que nous un une du sur je avec ce".split()),
    "es": frozenset("el la los las y usted su de que es no para con nos un una por lo le se".split()),
    "pt": frozenset("o a os as e você seu sua de que é não para com nós um uma do da em".split()),
    "nl": frozenset("de het en je jij uw van is niet voor met we een op dat ik zijn te".split()),
    "it": frozenset("il lo la gli le e di che è non per con noi un una del della sono ti".split()),
}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
MIN_HITS = 4


def detect_language(text: str) -> str:
    """Return the two-letter code of the best-matching language, or "" when unsure."""
    words = [word.lower() for word in _WORD.findall(text)]
    scores = {code: sum(word in stop for word in words) for code, stop in STOPWORDS.items()}
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)

    best, best_hits = ranked[0]
    runner_up = ranked[1][1]
    if best_hits < MIN_HITS or best_hits < 1.3 * runner_up:
        return ""
    return best
