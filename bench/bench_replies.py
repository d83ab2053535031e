"""Reply pipeline speed: messages per second on one core, and the share of each stage.

The corpus mixes every message in the public data folder: real bounces, vacation replies,
look-alikes, and human replies from many mail clients and languages. Files that hold a bare
reply body (no headers) are wrapped in a minimal message so the parser reads real email.

    python -m bench.bench_replies [--seconds 5] [--data ../shared/data]

Stages run in the order ``read_reply`` runs them: parse, non-human detection, strip (human
replies only), classify (human replies only). The end-to-end rate is ``read_reply`` itself.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Callable

from churnguard.errors import MessageParseError
from churnguard.replies.classify import classify_reply, shipped_model
from churnguard.replies.nonhuman import detect_nonhuman
from churnguard.replies.parse import parse_message
from churnguard.replies.pipeline import read_reply
from churnguard.replies.strip import strip_reply

DATA = Path(os.environ.get("CHURNGUARD_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
FOLDERS = ("flufl-bounce/data", "sisimai/bsd", "sisimai/not", "talon", "github-email_reply_parser",
           "mail-parser-reply")


def load_corpus(data: Path) -> list[bytes]:
    """Return every message of the mixed corpus as raw bytes."""
    corpus = []
    for folder in FOLDERS:
        for path in sorted((data / folder).rglob("*")):
            if not path.is_file() or path.name in {"LICENSE", "README.md"} or path.suffix in {".py", ".json", ".csv"}:
                continue
            raw = path.read_bytes()
            try:
                parse_message(raw)
            except MessageParseError:
                raw = _wrap(raw)
            corpus.append(raw)
    return corpus


def _wrap(body: bytes) -> bytes:
    message = EmailMessage()
    message["From"] = "Pat Lee <pat@customer.example.org>"
    message["To"] = "agent@agent.example.com"
    message["Subject"] = "Re: quick question"
    message["Message-ID"] = "<bench@customer.example.org>"
    subtype = "html" if body.lstrip()[:1] == b"<" else "plain"
    message.set_content(body.decode("utf-8", errors="replace"), subtype=subtype)
    return message.as_bytes()


def _rate(work: Callable[[], int], seconds: float) -> tuple[float, float]:
    """Run ``work`` (one pass over the corpus) for about ``seconds``; return (messages/s, s/message)."""
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        count += work()
    elapsed = time.perf_counter() - start
    return count / elapsed, elapsed / count


def measure(corpus: list[bytes], seconds: float) -> dict[str, Any]:
    shipped_model()
    parsed = [parse_message(raw) for raw in corpus]
    human = [msg for msg in parsed if detect_nonhuman(msg) is None]
    visible = [strip_reply(msg.text) for msg in human]

    def each(items: list[Any], step: Callable[[Any], Any]) -> Callable[[], int]:
        def run() -> int:
            for item in items:
                step(item)
            return len(corpus)  # per corpus message, so the stage costs add up
        return run

    stages = {
        "parse": _rate(each(corpus, parse_message), seconds),
        "nonhuman": _rate(each(parsed, detect_nonhuman), seconds),
        "strip": _rate(each(human, lambda msg: strip_reply(msg.text)), seconds),
        "classify": _rate(each(visible, classify_reply), seconds),
    }
    end_to_end = _rate(each(corpus, read_reply), seconds)
    human_raw = [raw for raw, msg in zip(corpus, parsed) if detect_nonhuman(msg) is None]
    machine_raw = [raw for raw, msg in zip(corpus, parsed) if detect_nonhuman(msg) is not None]
    by_kind = {name: round(_rate(lambda items=items: [read_reply(r) for r in items] and len(items), seconds)[0])
               for name, items in (("human_only", human_raw), ("machine_only", machine_raw))}
    total = sum(cost for _, cost in stages.values())
    return {
        "messages": len(corpus), "human": len(human),
        "end_to_end_msgs_per_s": round(end_to_end[0]),
        "end_to_end_by_kind_msgs_per_s": by_kind,
        "stages": {name: {"us_per_msg": round(cost * 1e6, 1), "share_pct": round(100 * cost / total, 1)}
                   for name, (_, cost) in stages.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    corpus = load_corpus(args.data)
    if not corpus:
        raise SystemExit(f"no messages found under {args.data}; pass --data or set CHURNGUARD_SHARED_DATA")
    print(json.dumps(measure(corpus, args.seconds), indent=2))


if __name__ == "__main__":
    main()
