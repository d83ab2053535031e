"""Train, cross-validate and export the reply-verdict model.

    python tools/train_reply_model.py train            # writes src/churnguard/replies/data/reply_model.json
    python tools/train_reply_model.py cv --folds 5     # k-fold scores on the training split only
    python tools/train_reply_model.py export-eval corpus/replies/heldout-source OUT

Training reads only ``corpus/replies/train``. The held-out split in ``corpus/replies/heldout``
is never read here; score it with ``churnguard eval replies``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from collections import Counter
from pathlib import Path

from churnguard.replies.classify import DEFAULT_MIN_CONFIDENCE, classify_reply
from churnguard.replies.corpus import LabeledReply, read_corpus, write_eval_folder
from churnguard.replies.metrics import evaluate
from churnguard.replies.model import SHIPPED_MODEL, TrainingOptions, fit
from churnguard.replies.strip import strip_reply

REPO = Path(__file__).resolve().parents[1]
TRAIN = REPO / "corpus" / "replies" / "train"
OUTPUT = REPO / "src" / "churnguard" / "replies" / "data" / SHIPPED_MODEL
CLASSES = ("save", "lost", "talk_to_human", "unsubscribe")


def visible(record: LabeledReply) -> str:
    """Return the text the classifier sees in production: quotes and signatures stripped."""
    return strip_reply(record.text) or record.text


def corpus_digest(records: list[LabeledReply]) -> str:
    digest = hashlib.sha256()
    for record in records:
        digest.update(f"{record.label}\t{record.text}\n".encode())
    return digest.hexdigest()


def train(args: argparse.Namespace) -> int:
    records = read_corpus(args.corpus)
    options = TrainingOptions(epochs=args.epochs, seed=args.seed)
    model = fit([visible(r) for r in records], [r.label for r in records], CLASSES, options)
    model.meta = {
        "trained_on": str(args.corpus.relative_to(REPO)) if args.corpus.is_relative_to(REPO) else str(args.corpus),
        "examples": len(records),
        "labels": dict(sorted(Counter(r.label for r in records).items())),
        "languages": dict(sorted(Counter(r.lang for r in records).items())),
        "corpus_sha256": corpus_digest(records),
        "epochs": options.epochs,
        "learning_rate": options.learning_rate,
        "l2": options.l2,
        "seed": options.seed,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    print(json.dumps({"written": str(args.out), "features": len(model.to_json()["weights"]), **model.meta}, indent=2))
    return 0


def cross_validate(args: argparse.Namespace) -> int:
    """Score k folds of the training split (cues, model and floor together) at several floors."""
    records = read_corpus(args.corpus)
    order = list(range(len(records)))
    random.Random(args.seed).shuffle(order)
    folds = [order[k::args.folds] for k in range(args.folds)]
    floors = [0.0, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6]
    predicted: dict[float, list[str]] = {floor: [""] * len(records) for floor in floors}

    for held in folds:
        held_set = set(held)
        kept = [records[i] for i in order if i not in held_set]
        model = fit([visible(r) for r in kept], [r.label for r in kept], CLASSES,
                    TrainingOptions(epochs=args.epochs, seed=args.seed))
        for i in held:
            for floor in floors:
                predicted[floor][i] = classify_reply(visible(records[i]), min_confidence=floor, model=model).verdict.value

    truth = [r.label for r in records]
    results = {str(floor): round(evaluate(truth, predicted[floor], CLASSES).macro_f1, 4) for floor in floors}
    print(json.dumps({"folds": args.folds, "examples": len(records), "macro_f1_by_min_confidence": results,
                      "default_min_confidence": DEFAULT_MIN_CONFIDENCE}, indent=2))
    return 0


def export_eval(args: argparse.Namespace) -> int:
    labels = write_eval_folder(read_corpus(args.source), args.out)
    print(f"wrote {labels}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    train_cmd = commands.add_parser("train", help="train on the training split and write the shipped model")
    train_cmd.add_argument("--corpus", type=Path, default=TRAIN)
    train_cmd.add_argument("--out", type=Path, default=OUTPUT)
    cv_cmd = commands.add_parser("cv", help="k-fold cross-validation on the training split")
    cv_cmd.add_argument("--corpus", type=Path, default=TRAIN)
    cv_cmd.add_argument("--folds", type=int, default=5)
    for command in (train_cmd, cv_cmd):
        command.add_argument("--epochs", type=int, default=TrainingOptions.epochs)
        command.add_argument("--seed", type=int, default=TrainingOptions.seed)
    export = commands.add_parser("export-eval", help="write a corpus folder as one file per reply plus labels.csv")
    export.add_argument("source", type=Path)
    export.add_argument("out", type=Path)

    args = parser.parse_args(argv)
    handlers = {"train": train, "cv": cross_validate, "export-eval": export_eval}
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
