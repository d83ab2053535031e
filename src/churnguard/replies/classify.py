"""The verdict for the visible text of a human reply: save, lost, unsubscribe or a hand-off.

Three layers, in this order:

1. cues (``cues.py``): text that tries to instruct an AI agent or to extract other accounts'
   data is ``talk_to_human`` and flagged ``prompt_injection``. A request to stop writing is
   ``unsubscribe``.
2. the shipped verdict model, a linear model over word and character n-grams trained on the
   labeled corpus in ``corpus/replies`` by ``tools/train_reply_model.py``;
3. a confidence floor: when the model's top probability is below ``min_confidence`` the
   verdict is ``talk_to_human``, because a person reading an unclear reply costs less than a
   wrong automatic step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from churnguard.domain import Verdict
from churnguard.errors import ConfigError
from churnguard.replies import cues
from churnguard.replies.features import phrase, visible_lines
from churnguard.replies.model import SHIPPED_MODEL, LinearModel, load_shipped

DEFAULT_MIN_CONFIDENCE = 0.5
PROMPT_INJECTION = "prompt_injection"
MODEL_VERDICTS = (Verdict.SAVE, Verdict.LOST, Verdict.TALK_TO_HUMAN, Verdict.UNSUBSCRIBE)


@dataclass(frozen=True)
class Classification:
    """A verdict for one reply, how sure the classifier is, why, and any safety flags."""

    verdict: Verdict
    confidence: float
    reasons: list[str] = field(default_factory=list)
    flags: tuple[str, ...] = ()

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


@lru_cache(maxsize=1)
def shipped_model() -> LinearModel:
    """Load the packaged verdict model once per process."""
    try:
        return load_shipped()
    except FileNotFoundError:
        raise ConfigError(
            f"the reply model churnguard/replies/data/{SHIPPED_MODEL} is missing; "
            "run 'python tools/train_reply_model.py train' to build it"
        ) from None


def classify_reply(text: str, *, min_confidence: float = DEFAULT_MIN_CONFIDENCE,
                   model: LinearModel | None = None) -> Classification:
    """Classify the visible text of a human reply."""
    visible = visible_lines(text)
    body = " ".join(visible.split())
    if not body:
        return Classification(Verdict.TALK_TO_HUMAN, 0.2, ["empty reply"])

    injected = cues.first_match(cues.INJECTION, visible)
    if injected:
        return Classification(Verdict.TALK_TO_HUMAN, 0.95, [PROMPT_INJECTION, f"instruction to the agent: {injected}"],
                              (PROMPT_INJECTION,))
    stop = cues.first_match(cues.UNSUBSCRIBE, body)
    if stop:
        return Classification(Verdict.UNSUBSCRIBE, 0.95, [f"unsubscribe: {stop}"])

    return model_verdict(body, model or shipped_model(), min_confidence)


def model_verdict(body: str, model: LinearModel, min_confidence: float) -> Classification:
    """Apply the model and the confidence floor; reasons name the phrases that weighed most."""
    prediction = model.predict(body)
    verdict = Verdict(prediction.label)
    confidence = round(prediction.probability, 3)
    phrases = [phrase(name) for name, _weight in prediction.contributions]
    reasons = [f"{verdict.value}: {text}" for text in phrases if len(text) > 2][:3]
    reasons.append(f"model: {verdict.value} {confidence:.2f}")

    if confidence < min_confidence:
        note = f"low confidence: {confidence:.2f} < {min_confidence:.2f}, leaning {verdict.value}"
        return Classification(Verdict.TALK_TO_HUMAN, confidence, [note, *reasons])
    return Classification(verdict, confidence, reasons)
