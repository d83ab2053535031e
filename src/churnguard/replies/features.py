"""Turn the visible text of a reply into sparse features for the verdict model.

Pure functions, no I/O. Three groups of features, each scaled to unit length so that no group
outweighs another because of text length:

- ``w:`` lower-cased word unigrams and ``b:`` word bigrams, with digits folded to ``0`` so
  "3pm" and "11pm" share a feature;
- ``c:`` character 2- to 4-grams inside each word padded with spaces, which carry meaning
  across inflections ("kündigen", "gekündigt") and through scripts written without spaces
  (Japanese);
- ``s:`` a few shape features: a question mark, an exclamation, a very short reply.
"""

from __future__ import annotations

import math
import re
import unicodedata

Features = dict[str, float]

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|[?!%€$]", re.UNICODE)
_DIGIT = re.compile(r"\d")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
_QUOTED = re.compile(r"^\s*>")
CHAR_SIZES = (2, 3, 4)


def visible_lines(text: str) -> str:
    """Drop quoted lines (``>``): the features describe only what the sender wrote."""
    return "\n".join(line for line in text.splitlines() if not _QUOTED.match(line))


def normalize(text: str) -> str:
    """Return NFKC-normalized, lower-cased text with digits folded to ``0``."""
    folded = unicodedata.normalize("NFKC", visible_lines(text)).lower()
    return _DIGIT.sub("0", folded.replace("’", "'"))


def words(text: str) -> list[str]:
    """Split normalized text into word tokens, keeping ? ! % and currency signs as tokens."""
    return _WORD.findall(normalize(text))


def extract(text: str) -> Features:
    """Return the feature vector of ``text``: each group L2-normalized, values in (0, 1]."""
    tokens = words(text)
    groups = (_word_features(tokens), _char_features(tokens), _shape_features(text, tokens))

    merged: Features = {}
    for group in groups:
        merged.update(_unit(group))
    return merged


def _word_features(tokens: list[str]) -> Features:
    found: Features = {f"w:{token}": 1.0 for token in tokens}
    for left, right in zip(tokens, tokens[1:]):
        found[f"b:{left} {right}"] = 1.0
    return found


def _char_features(tokens: list[str]) -> Features:
    found: Features = {}
    for token in tokens:
        padded = f" {token} "
        for size in CHAR_SIZES:
            for start in range(len(padded) - size + 1):
                found[f"c:{padded[start:start + size]}"] = 1.0
    return found


def _shape_features(text: str, tokens: list[str]) -> Features:
    found: Features = {}
    if "?" in text or "？" in text:
        found["s:question"] = 1.0
    if "!" in text or "！" in text:
        found["s:exclaim"] = 1.0
    length = sum(len(token) for token in tokens) if _CJK.search(text) else len(tokens)
    limit = 8 if _CJK.search(text) else 3
    if length <= limit:
        found["s:short"] = 1.0
    return found


def _unit(group: Features) -> Features:
    if not group:
        return {}
    norm = math.sqrt(sum(value * value for value in group.values()))
    return {name: value / norm for name, value in group.items()}


def phrase(feature: str) -> str:
    """Return the readable text of a word or bigram feature name (``w:thursday`` → ``thursday``)."""
    return feature.split(":", 1)[1].strip()
