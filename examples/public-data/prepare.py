"""Derive one row per CDNOW customer from the purchase file, for the accounts and contacts imports.

Usage: python prepare.py CDNOW_sample.txt OUT.csv

The output goes into the workspace folder; derived data is never committed.
"""

from __future__ import annotations

import csv
import sys
from datetime import datetime
from pathlib import Path


def derive_customers(purchases: Path, out: Path) -> int:
    """Write master_id, first_purchase and purchases per customer; return the customer count."""
    first: dict[str, str] = {}
    counts: dict[str, int] = {}
    for line in purchases.read_text(encoding="ascii").splitlines():
        if not line.strip():
            continue
        master_id, _sample_id, day, _cds, _dollars = line.split()
        iso_day = datetime.strptime(day, "%Y%m%d").date().isoformat()
        first[master_id] = min(first.get(master_id, iso_day), iso_day)
        counts[master_id] = counts.get(master_id, 0) + 1

    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["master_id", "first_purchase", "purchases"])
        for master_id in sorted(first):
            writer.writerow([master_id, first[master_id], counts[master_id]])
    return len(first)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python prepare.py CDNOW_sample.txt OUT.csv")
    print(f"{derive_customers(Path(sys.argv[1]), Path(sys.argv[2]))} customers written to {sys.argv[2]}")
