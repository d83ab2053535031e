"""Run every speed benchmark and print one JSON report: ``python -m bench [--small]``.

``--small`` shrinks each benchmark so the whole run takes a few minutes on two cores (for
CI, to keep the scripts working). Without it the scan generates 1M accounts and about 48M
events (about 15 minutes and 2.6 GB of disk on two cores) and deletes them at the end.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

SMALL = {
    "scan": ["--small"],
    "replies": ["--seconds", "1"],
    "send": ["--messages", "300", "--seconds", "5"],
    "sequencer": ["--open", "5000", "--due", "100", "--repeats", "2"],
    "workers": ["--sequences", "10", "--workers", "1,2"],
    "intercept": ["--rate", "5", "--seconds", "4"],
}
FULL = {
    "scan": ["--accounts", "1000000", "--rounds", "2", "--repeats", "2"],
    "replies": ["--seconds", "5"],
    "send": ["--messages", "5000", "--seconds", "15"],
    "sequencer": ["--open", "100000", "--due", "1000"],
    "workers": ["--sequences", "200", "--workers", "1,2,4"],
    "intercept": ["--rate", "50", "--seconds", "60"],
}
MODULES = {"scan": "bench.bench_scan", "replies": "bench.bench_replies", "send": "bench.bench_send",
           "sequencer": "bench.bench_sequencer", "workers": "bench.bench_workers",
           "intercept": "bench.bench_intercept"}


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true")
    parser.add_argument("--only", help="comma-separated names: " + ", ".join(MODULES))
    args = parser.parse_args()
    plan = SMALL if args.small else FULL
    names = args.only.split(",") if args.only else list(MODULES)

    report = {}
    for name in names:
        before = _load()
        done = subprocess.run([sys.executable, "-m", MODULES[name], *plan[name]], capture_output=True, text=True,
                              timeout=3600)
        if done.returncode != 0:
            raise SystemExit(f"benchmark {name} failed:\n{done.stderr[-2000:]}")
        report[name] = {"load_before": before, "load_after": _load(), "result": json.loads(done.stdout)}
        print(f"{name}: done (load {report[name]['load_after']})", file=sys.stderr)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
