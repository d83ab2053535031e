"""The labeled sentiment set: tab-separated ``language<TAB>label<TAB>text`` lines.

Lines starting with ``#`` and blank lines are skipped. ``corpus/sentiment/train.tsv`` is what
training reads; ``corpus/sentiment/heldout.tsv`` is written apart and only ever scored.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from churnguard.errors import InputError
from churnguard.sentiment.model import CLASSES


@dataclass(frozen=True)
class LabeledText:
    language: str
    label: str
    text: str


def read_corpus(path: Path) -> list[LabeledText]:
    """Read one TSV file, or every ``*.tsv`` in a folder; raise InputError naming a bad line."""
    files = sorted(path.glob("*.tsv")) if path.is_dir() else [path]
    if not files or not all(item.is_file() for item in files):
        raise InputError(f"no labeled sentiment file at {path}; pass a .tsv file or a folder of them")
    records = []
    for item in files:
        for number, line in enumerate(item.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 3 or parts[1] not in CLASSES:
                raise InputError(f"{item.name} line {number}: expected language, label ({', '.join(CLASSES)}) and text separated by tabs")
            records.append(LabeledText(parts[0].strip(), parts[1], parts[2].strip()))
    return records


@dataclass
class Evaluation:
    """Per-class precision, recall and F1, macro-F1, accuracy, per-language accuracy and the confusion matrix."""

    total: int
    accuracy: float
    macro_f1: float
    classes: list[dict[str, object]]
    languages: dict[str, dict[str, float]]
    confusion: list[list[int]]
    sign_agreement: float

    def to_json(self) -> dict[str, object]:
        return {"total": self.total, "accuracy": round(self.accuracy, 3), "macro_f1": round(self.macro_f1, 3),
                "classes": self.classes, "languages": self.languages, "confusion": self.confusion,
                "confusion_labels": list(CLASSES), "sign_agreement": round(self.sign_agreement, 3)}


def evaluate(records: list[LabeledText], predict: Callable[[str], tuple[str, float]]) -> Evaluation:
    """Score ``predict`` (text → label, score) on ``records``."""
    pairs = [(record, *predict(record.text)) for record in records]
    confusion = [[0] * len(CLASSES) for _ in CLASSES]
    for record, label, _score in pairs:
        confusion[CLASSES.index(record.label)][CLASSES.index(label)] += 1

    classes = [_class_scores(confusion, k) for k in range(len(CLASSES))]
    right = sum(confusion[k][k] for k in range(len(CLASSES)))
    total = len(pairs)
    return Evaluation(
        total=total,
        accuracy=right / total if total else 0.0,
        macro_f1=sum(float(item["f1"]) for item in classes) / len(classes),  # type: ignore[arg-type]
        classes=classes,
        languages=_by_language(pairs),
        confusion=confusion,
        sign_agreement=_sign_agreement(pairs),
    )


def _class_scores(confusion: list[list[int]], k: int) -> dict[str, object]:
    predicted = sum(row[k] for row in confusion)
    support = sum(confusion[k])
    precision = confusion[k][k] / predicted if predicted else 0.0
    recall = confusion[k][k] / support if support else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"label": CLASSES[k], "precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3), "support": support}


def _by_language(pairs: list[tuple[LabeledText, str, float]]) -> dict[str, dict[str, float]]:
    totals: Counter[str] = Counter(record.language for record, _, _ in pairs)
    right: Counter[str] = Counter(record.language for record, label, _ in pairs if label == record.label)
    return {lang: {"accuracy": round(right[lang] / totals[lang], 3), "total": totals[lang]} for lang in sorted(totals)}


def _sign_agreement(pairs: list[tuple[LabeledText, str, float]]) -> float:
    """Share of negative and positive texts whose score has the right sign (neutral texts left out)."""
    polar = [(record.label, score) for record, _, score in pairs if record.label != "neutral"]
    if not polar:
        return 0.0
    good = sum(1 for label, score in polar if (score < 0) == (label == "negative"))
    return good / len(polar)
