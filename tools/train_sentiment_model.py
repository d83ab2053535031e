"""Train and export the sentiment model.

    python tools/train_sentiment_model.py            # writes src/churnguard/sentiment/data/sentiment_model.json

Training reads only ``corpus/sentiment/train.tsv``. The held-out split
``corpus/sentiment/heldout.tsv`` is never read here; score it with
``churnguard eval sentiment corpus/sentiment/heldout.tsv --json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

from churnguard.replies.model import TrainingOptions
from churnguard.sentiment.corpus import read_corpus
from churnguard.sentiment.model import SHIPPED_MODEL, fit

REPO = Path(__file__).resolve().parents[1]
TRAIN = REPO / "corpus" / "sentiment" / "train.tsv"
OUTPUT = REPO / "src" / "churnguard" / "sentiment" / "data" / SHIPPED_MODEL


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train the offline sentiment model on the training split.")
    parser.add_argument("--corpus", type=Path, default=TRAIN)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    records = read_corpus(args.corpus)
    model = fit([r.text for r in records], [r.label for r in records], TrainingOptions(epochs=args.epochs, seed=args.seed))
    digest = hashlib.sha256("".join(f"{r.label}\t{r.text}\n" for r in records).encode()).hexdigest()
    model.linear.meta = {
        "trained_on": args.corpus.name,
        "corpus_sha256": digest,
        "examples": len(records),
        "labels": dict(sorted(Counter(r.label for r in records).items())),
        "languages": dict(sorted(Counter(r.language for r in records).items())),
        "epochs": args.epochs,
        "seed": args.seed,
    }
    model.linear.save(args.output)
    print(json.dumps({"written": str(args.output), **model.linear.meta}, indent=2), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
