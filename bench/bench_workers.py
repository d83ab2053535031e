"""Worker throughput on PostgreSQL: 1, 2 and 4 ``churnguard run`` processes sharing one database.

It reuses the crash harness (``bench/kill9_engine.py``) with no kills: the same workspace of
accounts whose activity collapsed, the same three play days, workers started together at each
day until the work is done. Mail goes to the workspace's Maildir transport, so the numbers
measure the engine (claiming, leasing, drafting, recording), not an SMTP server.

    python -m bench.bench_workers [--sequences 300] [--workers 1,2,4] [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from bench.bench_sequencer import throwaway_postgres
from bench.kill9_engine import run_harness


def measure(server_url: str, sequences: int, workers: list[int]) -> list[dict]:
    rows = []
    for count in workers:
        with tempfile.TemporaryDirectory(prefix="cg-bench-workers-") as folder:
            report = run_harness(server_url.rsplit("/", 1)[0], sequences, kills=0, workers=count, folder=Path(folder))
        sent = report["touches_recorded_sent"]
        rows.append({"workers": count, "seconds": report["seconds"], "touches_sent": sent,
                     "touches_per_s": round(sent / report["seconds"], 1), "duplicates": report["duplicates"],
                     "lost": report["lost"], "load": " ".join(Path("/proc/loadavg").read_text().split()[:3])})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequences", type=int, default=300)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--postgres-url", help="a server URL on 127.0.0.1 (default: a throwaway cluster)")
    args = parser.parse_args()
    workers = [int(value) for value in args.workers.split(",")]

    if args.postgres_url:
        rows = measure(args.postgres_url, args.sequences, workers)
    else:
        with throwaway_postgres() as url:
            rows = measure(url, args.sequences, workers)
    print(json.dumps({"cores": os.cpu_count(), "runs": rows}, indent=2))


if __name__ == "__main__":
    main()
