"""The offline sentiment model: negative, neutral or positive, with the phrases behind it.

It is the reply model's linear classifier (``churnguard.replies.model.LinearModel``) trained
on ``sentiment_features``, stored as JSON inside the package and loaded offline. ``score``
turns the class probabilities into one number from -1 (angry) to +1 (delighted):
P(positive) - P(negative). The phrases are the words and bigrams of the text that pushed
the chosen side most, so a CSM sees why a ticket counted as angry.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Sequence

from churnguard.replies.features import Features, phrase
from churnguard.replies.model import LinearModel, TrainingOptions
from churnguard.sentiment.features import cues, sentiment_features

SHIPPED_MODEL = "sentiment_model.json"
CLASSES = ("negative", "neutral", "positive")
MAX_TEXT = 20_000  # characters scored; the rest of a very long body adds little and costs time


@dataclass(frozen=True)
class SentimentScore:
    """The tone of one text. ``phrases`` quote the text itself: treat them as account data."""

    score: float
    label: str
    probabilities: dict[str, float]
    phrases: tuple[str, ...] = field(default=())

    def __repr__(self) -> str:
        return f"SentimentScore(score={self.score:+.2f}, label={self.label!r}, <{len(self.phrases)} phrases hidden>)"

    def to_json(self) -> dict[str, object]:
        return {"score": round(self.score, 3), "label": self.label,
                "probabilities": {k: round(v, 3) for k, v in self.probabilities.items()}, "phrases": list(self.phrases)}


class SentimentModel:
    """Score texts with a trained linear model."""

    def __init__(self, linear: LinearModel) -> None:
        if tuple(linear.classes) != CLASSES:
            raise ValueError(f"sentiment model classes {list(linear.classes)} are not {list(CLASSES)}")
        self.linear = linear

    def score(self, text: str, *, explain: int = 4) -> SentimentScore:
        """Return the tone of ``text``; an empty text is neutral with no phrases."""
        text = (text or "")[:MAX_TEXT]
        if not text.strip():
            return SentimentScore(0.0, "neutral", {"negative": 0.0, "neutral": 1.0, "positive": 0.0})
        features = sentiment_features(text)
        probabilities = dict(zip(CLASSES, _softmax(self.linear.scores(features))))
        label = max(CLASSES, key=probabilities.__getitem__)
        value = probabilities["positive"] - probabilities["negative"]
        return SentimentScore(value, label, probabilities, self._phrases(text, features, label, explain))

    def _phrases(self, text: str, features: Features, label: str, limit: int) -> tuple[str, ...]:
        if label == "neutral":
            return ()
        side = CLASSES.index(label)
        pushes = []
        for name, value in features.items():
            row = self.linear.weights.get(name)
            if row is not None and name[:2] in ("w:", "b:"):
                pushes.append((row[side] - row[1], value, phrase(name)))
        pushes.sort(key=lambda item: item[0] * item[1], reverse=True)
        chosen = [text for weight, _value, text in pushes if weight > 0.3 and len(text) > 3]

        # A cue of the lexicon names the side in the text's own words, negation included.
        wanted = "neg" if label == "negative" else "pos"
        chosen = [cue.text for cue in cues(text) if cue.side == wanted] + chosen
        return tuple(_unique_phrases(chosen)[:limit])


def _unique_phrases(items: list[str]) -> list[str]:
    kept: list[str] = []
    for item in items:
        if item and not any(item in other or other in item for other in kept):
            kept.append(item)
    return kept


def fit(texts: Sequence[str], labels: Sequence[str], options: TrainingOptions = TrainingOptions()) -> SentimentModel:
    """Train a model; deterministic for a given corpus and seed."""
    index = {label: position for position, label in enumerate(CLASSES)}
    unknown = sorted({label for label in labels if label not in index})
    if unknown:
        raise ValueError(f"labels {unknown} are not among {list(CLASSES)}")

    rows = [(sentiment_features(text), index[label]) for text, label in zip(texts, labels)]
    linear = LinearModel(CLASSES, {}, [0.0] * len(CLASSES))
    order = list(range(len(rows)))
    shuffler = random.Random(options.seed)
    for epoch in range(options.epochs):
        shuffler.shuffle(order)
        rate = options.learning_rate / (1.0 + epoch * 0.1)
        for position in order:
            _step(linear, *rows[position], rate, options.l2)
    return SentimentModel(linear)


def _step(model: LinearModel, features: Features, target: int, rate: float, l2: float) -> None:
    probabilities = _softmax(model.scores(features))
    gradient = [p - (1.0 if k == target else 0.0) for k, p in enumerate(probabilities)]
    for k, value in enumerate(gradient):
        model.bias[k] -= rate * value
    for name, value in features.items():
        row = model.weights.setdefault(name, [0.0] * len(CLASSES))
        for k, slope in enumerate(gradient):
            row[k] -= rate * (slope * value + l2 * row[k])


def _softmax(scores: list[float]) -> list[float]:
    top = max(scores)
    exps = [math.exp(value - top) for value in scores]
    total = sum(exps)
    return [value / total for value in exps]


@lru_cache(maxsize=1)
def shipped_model() -> SentimentModel:
    """Load the model inside the package; raises FileNotFoundError if it was never trained."""
    source = resources.files("churnguard.sentiment").joinpath("data", SHIPPED_MODEL)
    return SentimentModel(LinearModel.from_json(json.loads(source.read_text(encoding="utf-8"))))


def score_text(text: str) -> SentimentScore:
    """Score ``text`` with the shipped model."""
    return shipped_model().score(text)
