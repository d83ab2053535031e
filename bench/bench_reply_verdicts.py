"""Measure verdict speed: replies per second through ``classify_reply`` on one core.

Run: python bench/bench_reply_verdicts.py. It classifies the held-out corpus texts over and
over for a few seconds. The product goal is the whole reply pipeline at 1,500 messages per
second per core, so the verdict alone should be well above that.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

from churnguard.replies.classify import classify_reply, shipped_model

HELDOUT = Path(__file__).resolve().parents[1] / "corpus" / "replies" / "heldout"


def main() -> None:
    start = time.perf_counter()
    shipped_model()
    load_seconds = time.perf_counter() - start

    with (HELDOUT / "labels.csv").open(encoding="utf-8", newline="") as handle:
        texts = [(HELDOUT / row["file"]).read_text(encoding="utf-8") for row in csv.DictReader(handle)]

    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < 3.0:
        for text in texts:
            classify_reply(text)
        count += len(texts)
    rate = count / (time.perf_counter() - start)
    print(f"model load: {load_seconds * 1000:.0f} ms")
    print(f"classify_reply: {rate:,.0f} replies/s on one core ({len(texts)} distinct texts)")


if __name__ == "__main__":
    main()
