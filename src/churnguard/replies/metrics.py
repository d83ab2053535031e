"""Per-class precision, recall and F1, macro-F1 and a confusion matrix, for verdict evaluation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence


@dataclass(frozen=True)
class ClassScore:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Report:
    classes: tuple[str, ...]
    scores: tuple[ClassScore, ...]
    macro_f1: float
    accuracy: float
    confusion: tuple[tuple[int, ...], ...]
    total: int

    def to_json(self) -> dict[str, Any]:
        """Return the report as JSON: rows of the confusion matrix are the true labels."""
        return {
            "total": self.total,
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "per_class": {
                score.label: {
                    "precision": round(score.precision, 4),
                    "recall": round(score.recall, 4),
                    "f1": round(score.f1, 4),
                    "support": score.support,
                }
                for score in self.scores
            },
            "confusion_matrix": {
                "labels": list(self.classes),
                "rows_are": "true label",
                "matrix": [list(row) for row in self.confusion],
            },
        }


def evaluate(truth: Sequence[str], predicted: Sequence[str], classes: Sequence[str] | None = None) -> Report:
    """Score ``predicted`` against ``truth``; macro-F1 averages over classes present in either."""
    if len(truth) != len(predicted):
        raise ValueError(f"{len(truth)} true labels but {len(predicted)} predictions")
    labels = tuple(classes) if classes else tuple(sorted(set(truth) | set(predicted)))
    extra = sorted((set(truth) | set(predicted)) - set(labels))
    labels += tuple(extra)

    position = {label: index for index, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for true, guess in zip(truth, predicted):
        matrix[position[true]][position[guess]] += 1

    scores = tuple(_score(label, index, matrix) for index, label in enumerate(labels))
    present = [score for score in scores if score.support or _column(matrix, position[score.label])]
    macro = sum(score.f1 for score in present) / len(present) if present else 0.0
    correct = sum(matrix[index][index] for index in range(len(labels)))
    accuracy = correct / len(truth) if truth else 0.0
    return Report(labels, scores, macro, accuracy, tuple(tuple(row) for row in matrix), len(truth))


def _score(label: str, index: int, matrix: list[list[int]]) -> ClassScore:
    hits = matrix[index][index]
    support = sum(matrix[index])
    claimed = _column(matrix, index)
    precision = hits / claimed if claimed else 0.0
    recall = hits / support if support else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return ClassScore(label, precision, recall, f1, support)


def _column(matrix: list[list[int]], index: int) -> int:
    return sum(row[index] for row in matrix)
