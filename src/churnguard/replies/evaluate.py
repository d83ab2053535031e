"""Score the reply classifier on a folder of labeled replies.

Each file named in ``labels.csv`` is read the way the product reads it. An ``.eml`` file goes
through the whole pipeline (parse, non-human detection, quote stripping, verdict). Any other
file is the reply's plain text, and its quotes and signatures are stripped first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from churnguard.domain import Verdict
from churnguard.errors import InputError, MessageParseError
from churnguard.replies.classify import Classification
from churnguard.replies.corpus import read_labels
from churnguard.replies.metrics import Report, evaluate
from churnguard.replies.strip import strip_reply

Classifier = Callable[[str], Classification]
HUMAN_CLASSES = (Verdict.SAVE.value, Verdict.LOST.value, Verdict.TALK_TO_HUMAN.value, Verdict.UNSUBSCRIBE.value)


@dataclass(frozen=True)
class Outcome:
    file: str
    label: str
    predicted: str
    confidence: float
    flagged: bool


@dataclass(frozen=True)
class Evaluation:
    report: Report
    outcomes: tuple[Outcome, ...]

    def to_json(self, *, show_errors: bool = True) -> dict[str, Any]:
        """Return the report; misclassified files are listed by name only, never by content."""
        data = self.report.to_json()
        data["flagged"] = sum(outcome.flagged for outcome in self.outcomes)
        if show_errors:
            data["errors"] = [
                {"file": o.file, "label": o.label, "predicted": o.predicted, "confidence": o.confidence}
                for o in self.outcomes
                if o.label != o.predicted
            ]
        return data


def evaluate_folder(folder: Path, labels: Path, classify: Classifier) -> Evaluation:
    """Classify every file listed in ``labels`` and score the verdicts."""
    rows = read_labels(labels)
    outcomes = []
    for row in rows:
        path = folder / row["file"].strip()
        result = _classify_file(path, classify)
        outcomes.append(Outcome(row["file"].strip(), row["label"].strip(), result.verdict.value,
                                result.confidence, result.flagged))

    known = {verdict.value for verdict in Verdict}
    unknown = sorted({o.label for o in outcomes} - known)
    if unknown:
        raise InputError(f"{labels}: unknown labels {unknown}; use one of {sorted(known)}")

    classes = list(HUMAN_CLASSES)
    classes += sorted(({o.label for o in outcomes} | {o.predicted for o in outcomes}) - set(classes))
    report = evaluate([o.label for o in outcomes], [o.predicted for o in outcomes], classes)
    return Evaluation(report, tuple(outcomes))


def _classify_file(path: Path, classify: Classifier) -> Classification:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}; check labels.csv and the folder") from None

    if path.suffix.lower() != ".eml":
        text = raw.decode("utf-8", errors="replace")
        return classify(strip_reply(text) or text)

    from churnguard.replies.pipeline import read_reply

    try:
        reading = read_reply(raw)
    except MessageParseError as exc:
        raise InputError(f"{path} is not a readable email: {exc}") from None
    if reading.kind.value != "human":
        return Classification(reading.verdict, reading.confidence, list(reading.reasons))
    return classify(reading.reply_text)
