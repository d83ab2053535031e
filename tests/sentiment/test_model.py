"""The shipped sentiment model: direction in four languages, the phrases behind a score, its floor on held-out text."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from churnguard.sentiment.corpus import evaluate, read_corpus
from churnguard.sentiment.model import score_text

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("text,label", [
    ("The dashboard has been down all morning and support ignored us again.", "negative"),
    ("Der Export ist schon wieder kaputt und niemand antwortet.", "negative"),
    ("L'application plante encore, nous sommes très déçus.", "negative"),
    ("La sincronización sigue fallando y nadie responde.", "negative"),
    ("Thanks, the new reports are great and the team loves them.", "positive"),
    ("Vielen Dank, das Problem ist gelöst und alles läuft schnell.", "positive"),
    ("Merci, tout fonctionne parfaitement maintenant.", "positive"),
    ("Muchas gracias, todo funciona perfecto.", "positive"),
    ("Please send the invoice to our finance team.", "neutral"),
])
def test_direction_in_four_languages(text, label):
    result = score_text(text)
    assert result.label == label
    assert (result.score < 0) if label == "negative" else (result.score > 0) if label == "positive" else abs(result.score) < 0.5


def test_phrases_come_from_the_text_and_are_hidden_in_repr():
    text = "Still broken after your fix, and nobody answers. Unacceptable."
    result = score_text(text)
    assert result.phrases
    folded = text.lower()
    assert all(all(word in folded for word in phrase.split()) for phrase in result.phrases)
    assert "nobody" not in repr(result)


def test_negation_flips_a_cue():
    assert score_text("Der Support ist nicht hilfreich.").score < score_text("Der Support ist hilfreich.").score


def test_empty_and_huge_text():
    assert score_text("   ").label == "neutral"
    started = time.perf_counter()
    score_text("broken " * 200_000)
    assert time.perf_counter() - started < 2.0


def test_held_out_quality_floor():
    records = read_corpus(REPO / "corpus" / "sentiment" / "heldout.tsv")
    assert {r.language for r in records} == {"en", "de", "fr", "es"}
    result = evaluate(records, lambda text: (score_text(text).label, score_text(text).score))
    assert result.macro_f1 >= 0.8
    assert result.sign_agreement >= 0.9


def test_training_never_reads_the_held_out_split():
    train = {r.text for r in read_corpus(REPO / "corpus" / "sentiment" / "train.tsv")}
    heldout = {r.text for r in read_corpus(REPO / "corpus" / "sentiment" / "heldout.tsv")}
    assert len(train) + len(heldout) >= 300
    assert not train & heldout
    source = (REPO / "tools" / "train_sentiment_model.py").read_text(encoding="utf-8")
    assert "heldout.tsv\"" not in source and "/ \"heldout" not in source
