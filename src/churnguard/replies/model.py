"""A multinomial logistic-regression model over sparse features, in plain Python.

The verdict model is small (about fifteen thousand features, four weights each) and its input
is a short reply, so a dictionary of weights is fast enough and needs no numerical library. The model is
stored as JSON inside the package (``replies/data/reply_model.json``) and loads offline.
``fit`` trains it with stochastic gradient descent and L2 regularization; training is
deterministic for a given corpus and seed.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Sequence

from churnguard.replies.features import Features, extract

FORMAT_VERSION = 1
SHIPPED_MODEL = "reply_model.json"


@dataclass(frozen=True)
class Prediction:
    """Class probabilities for one text, and the features that pushed the top class most."""

    label: str
    probability: float
    probabilities: dict[str, float]
    contributions: list[tuple[str, float]] = field(default_factory=list)


@dataclass
class LinearModel:
    classes: tuple[str, ...]
    weights: dict[str, list[float]]
    bias: list[float]
    meta: dict[str, Any] = field(default_factory=dict)

    def scores(self, features: Features) -> list[float]:
        totals = list(self.bias)
        for name, value in features.items():
            row = self.weights.get(name)
            if row is not None:
                for index, weight in enumerate(row):
                    totals[index] += weight * value
        return totals

    def predict(self, text: str, *, explain: int = 8) -> Prediction:
        """Return the probabilities for ``text`` and up to ``explain`` strongest word features."""
        totals = list(self.bias)
        words: list[tuple[str, float, list[float]]] = []
        weights = self.weights
        for name, value in extract(text).items():
            row = weights.get(name)
            if row is None:
                continue
            for index, weight in enumerate(row):
                totals[index] += weight * value
            if name[1] == ":" and name[0] in "wb":
                words.append((name, value, row))

        probabilities = _softmax(totals)
        best = max(range(len(self.classes)), key=probabilities.__getitem__)
        pushes = sorted(((name, row[best] * value) for name, value, row in words), key=lambda item: item[1], reverse=True)

        return Prediction(
            label=self.classes[best],
            probability=probabilities[best],
            probabilities=dict(zip(self.classes, probabilities)),
            contributions=[item for item in pushes[:explain] if item[1] > 0],
        )

    def to_json(self, *, precision: int = 4, min_weight: float = 1e-3) -> dict[str, Any]:
        """Return the model as a JSON-ready dict, dropping features whose weights are all tiny."""
        kept = {
            name: [round(weight, precision) for weight in row]
            for name, row in sorted(self.weights.items())
            if max(abs(weight) for weight in row) >= min_weight
        }
        return {
            "format": FORMAT_VERSION,
            "classes": list(self.classes),
            "bias": [round(value, precision) for value in self.bias],
            "meta": self.meta,
            "weights": kept,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "LinearModel":
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"reply model format {data.get('format')!r} is not supported; expected {FORMAT_VERSION}")
        classes = tuple(data["classes"])
        weights = {name: list(row) for name, row in data["weights"].items()}
        bad = [name for name, row in weights.items() if len(row) != len(classes)]
        if bad or len(data["bias"]) != len(classes):
            raise ValueError(f"reply model is corrupt: weight rows do not match {len(classes)} classes")
        return cls(classes, weights, list(data["bias"]), dict(data.get("meta", {})))

    def save(self, path: Path) -> None:
        text = json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":"), sort_keys=False)
        path.write_text(text + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "LinearModel":
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))


def load_shipped() -> LinearModel:
    """Load the model that ships inside the package; raises FileNotFoundError if it is missing."""
    source = resources.files("churnguard.replies").joinpath("data", SHIPPED_MODEL)
    return LinearModel.from_json(json.loads(source.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class TrainingOptions:
    epochs: int = 40
    learning_rate: float = 0.5
    l2: float = 1e-3
    seed: int = 7


def fit(texts: Sequence[str], labels: Sequence[str], classes: Sequence[str],
        options: TrainingOptions = TrainingOptions()) -> LinearModel:
    """Train a model on ``texts`` with ``labels``; every label must be one of ``classes``."""
    index = {label: position for position, label in enumerate(classes)}
    unknown = sorted({label for label in labels if label not in index})
    if unknown:
        raise ValueError(f"labels {unknown} are not among the classes {list(classes)}")

    rows = [(extract(text), index[label]) for text, label in zip(texts, labels)]
    model = LinearModel(tuple(classes), {}, [0.0] * len(classes))
    order = list(range(len(rows)))
    shuffler = random.Random(options.seed)

    for epoch in range(options.epochs):
        shuffler.shuffle(order)
        rate = options.learning_rate / (1.0 + epoch * 0.1)
        for position in order:
            features, target = rows[position]
            _step(model, features, target, rate, options.l2)
    return model


def _step(model: LinearModel, features: Features, target: int, rate: float, l2: float) -> None:
    """Apply one gradient step of the cross-entropy loss; L2 shrinks only the touched rows."""
    probabilities = _softmax(model.scores(features))
    gradient = [probability - (1.0 if k == target else 0.0) for k, probability in enumerate(probabilities)]

    for k, value in enumerate(gradient):
        model.bias[k] -= rate * value
    for name, value in features.items():
        row = model.weights.setdefault(name, [0.0] * len(model.classes))
        for k, slope in enumerate(gradient):
            row[k] -= rate * (slope * value + l2 * row[k])


def _softmax(scores: list[float]) -> list[float]:
    top = max(scores)
    exps = [math.exp(score - top) for score in scores]
    total = sum(exps)
    return [value / total for value in exps]
