"""Features of a text for the sentiment model: the reply model's features plus tone cues.

Pure functions, no I/O. The word, bigram, character and shape features come from
``churnguard.replies.features`` (the two models share them). On top, ``t:`` features count
the seed cues of ``lexicon``: a cue preceded by a negator within three tokens counts for
the other side, and an intensifier before a cue adds weight.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from churnguard.replies.features import Features, extract, normalize, words
from churnguard.sentiment.lexicon import INTENSIFIERS, NEGATIVE, NEGATORS, POSITIVE

_PHRASES = {"neg": tuple(cue for cue in NEGATIVE if " " in cue), "pos": tuple(cue for cue in POSITIVE if " " in cue)}
_STEMS = {"neg": tuple(cue for cue in NEGATIVE if " " not in cue), "pos": tuple(cue for cue in POSITIVE if " " not in cue)}
_NEGATORS = frozenset(NEGATORS)
_INTENSIFIERS = frozenset(INTENSIFIERS)
_FLIP = {"neg": "pos", "pos": "neg"}


@dataclass(frozen=True)
class Cue:
    """One seed cue found in a text: its side after negation and the words that carried it."""

    side: str
    text: str
    negated: bool


def cues(text: str) -> list[Cue]:
    """Return the tone cues of ``text`` in reading order."""
    tokens = words(text)
    found: list[Cue] = []
    for position, token in enumerate(tokens):
        side = _side(token)
        if side is None:
            continue
        window = tokens[max(0, position - 3):position]
        negated = any(word in _NEGATORS or word.startswith("n'") for word in window)
        start = max(0, position - 3) if negated else position
        found.append(Cue(_FLIP[side] if negated else side, " ".join(tokens[start:position + 1]), negated))

    folded = normalize(text)
    for side, phrases in _PHRASES.items():
        found += [Cue(side, phrase, False) for phrase in phrases if phrase in folded]
    return found


def _side(token: str) -> str | None:
    if len(token) < 2 or token in _NEGATORS:
        return None
    for side, stems in _STEMS.items():
        if any(token.startswith(stem) for stem in stems if len(stem) <= len(token)):
            return side
    return None


def sentiment_features(text: str) -> Features:
    """Return the shared features of ``text`` with the ``t:`` tone-cue counts added."""
    merged = extract(text)
    found = cues(text)
    tokens = words(text)
    counts = {"neg": 0.0, "pos": 0.0}
    for cue in found:
        counts[cue.side] += 1.0
    strong = sum(1 for left, right in zip(tokens, tokens[1:]) if left in _INTENSIFIERS and _side(right))

    for side, count in counts.items():
        if count:
            merged[f"t:{side}"] = math.log1p(count)
    if any(cue.negated for cue in found):
        merged["t:negated"] = 1.0
    if strong:
        merged["t:intense"] = math.log1p(strong)
    if counts["neg"] and not counts["pos"]:
        merged["t:only_neg"] = 1.0
    if counts["pos"] and not counts["neg"]:
        merged["t:only_pos"] = 1.0
    return merged
