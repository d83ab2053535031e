"""Scan benchmark: every shipped play's trigger against the floor and a plain pandas version.

Every DuckDB method opens its connection once per run, as a scan does, so none of them
finds the previous run's blocks in DuckDB's buffer pool (the OS page cache is warm for all).
Each method runs in its own process, so its peak memory is its own. The methods take turns
within each round, so a busy machine slows them alike. Ratios are taken within a round, and
the median over rounds is reported.

    python -m bench.bench_scan --accounts 1000000              # generate, then measure
    python -m bench.bench_scan --db /tmp/cg-bench/events.duckdb  # measure an existing file
    python -m bench.bench_scan --small                          # 20,000 accounts, one round

Methods:
  floor       DuckDB reads the four columns the triggers use (account_id, type, occurred_at,
              quantity) from the same table and does nothing else
  plain       the three rules written plainly in DuckDB SQL, on one connection
  triggers    churnguard's trigger SQL for every shipped play, rows fetched, no Python objects
  scan        churnguard's ``scan_playbook``: triggers plus the Signal objects with evidence
  incremental the daily scan after one more day of events (``detect.incremental``)
  pandas      the same three rules as a data team would write them, from a Parquet copy
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable

from bench.events_gen import AS_OF, append_day, generate

METHODS = ("floor", "plain", "triggers", "scan", "pandas")
FLOOR_SQL = "SELECT MAX(account_id), MAX(type), MAX(occurred_at), SUM(quantity) FROM events"


def _timed(work: Callable[[], Any], repeats: int) -> tuple[list[float], Any]:
    work()  # warm the page cache and DuckDB's buffer pool
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return times, result


def _floor(db: Path) -> Callable[[], Any]:
    import duckdb

    def run() -> Any:
        with duckdb.connect(str(db), read_only=True) as con:
            return con.execute(FLOOR_SQL).fetchall()

    return run


def _playbook_queries() -> list[Any]:
    from churnguard.config import Settings
    from churnguard.detect.triggers import churned_query, failed_payment_query, silent_churn_query
    from churnguard.domain import SignalKind
    from churnguard.plays.loader import load_playbook
    from churnguard.sequences.detection import play_settings

    settings, queries = Settings(), []
    day = AS_OF.replace(hour=0)
    for play in load_playbook().sequence_plays():
        kind = play.trigger.signal if play.trigger else None
        if kind == SignalKind.SILENT_CHURN:
            queries.append(silent_churn_query(play_settings(settings, play), day))
        elif kind == SignalKind.FAILED_PAYMENT:
            queries.append(failed_payment_query(settings, AS_OF))
        elif kind == SignalKind.CHURNED:
            queries.append(churned_query(AS_OF, play.trigger.churned_within_days or 90))
    return queries


# The three rules as first written: the payment rule joins the latest instant back onto events.
_PLAIN_FAILED = """
SELECT e.account_id, e.id, e.type, e.occurred_at, e.properties
FROM events e
JOIN (
    SELECT account_id, MAX(occurred_at) AS latest FROM events
    WHERE type IN ($failed, $succeeded) AND occurred_at >= $start AND occurred_at < $end
    GROUP BY account_id
) AS latest_payment ON e.account_id = latest_payment.account_id AND e.occurred_at = latest_payment.latest
WHERE e.type IN ($failed, $succeeded)
ORDER BY e.account_id, e.id"""


def _plain(db: Path) -> Callable[[], Any]:
    import duckdb

    from churnguard.detect.eventstore import _PARAM, _naive_utc

    statements = []
    for query in _playbook_queries():
        sql = _PLAIN_FAILED if "latest" in query.sql else _PARAM.sub(r"$\1", query.sql)
        used = set(_PARAM.findall(query.sql))
        statements.append((sql, {k: _naive_utc(v) for k, v in query.params.items() if k in used}))
    def run() -> list[int]:
        with duckdb.connect(str(db), read_only=True) as con:
            return [len(con.execute(sql, values).fetchall()) for sql, values in statements]

    return run


def _triggers(db: Path) -> Callable[[], Any]:
    from churnguard.detect.eventstore import DuckDBEventStore

    store, queries = DuckDBEventStore(db), _playbook_queries()

    def run() -> list[int]:
        with store.batch():
            return [len(store.query(q.sql, q.params)) for q in queries]

    return run


def _scan(db: Path) -> Callable[[], Any]:
    from churnguard.config import Settings
    from churnguard.detect.eventstore import DuckDBEventStore
    from churnguard.plays.loader import load_playbook
    from churnguard.sequences.detection import scan_playbook

    store, playbook = DuckDBEventStore(db), load_playbook()
    return lambda: len(scan_playbook(store, Settings(), playbook, AS_OF))


def _pandas(parquet: Path) -> Callable[[], Any]:
    import pandas as pd

    billing = {"payment_failed", "payment_succeeded", "payment_refunded", "payment_action_required",
               "subscription_created", "subscription_updated", "subscription_canceled",
               "subscription_trial_will_end"}
    end = pd.Timestamp(AS_OF.replace(tzinfo=None))
    split, start = end - pd.Timedelta(days=30), end - pd.Timedelta(days=60)

    def rules() -> list[int]:
        df = pd.read_parquet(parquet, columns=["account_id", "type", "occurred_at", "quantity"])

        window = df[(df.occurred_at >= start) & (df.occurred_at < end) & ~df.type.isin(billing)
                    & ~df.type.str.startswith("stripe.")]
        counts = window.assign(after=window.occurred_at >= split).groupby(["account_id", "after"]).size().unstack(fill_value=0)
        counts = counts.reindex(columns=[False, True], fill_value=0)
        before, after = counts[False], counts[True]
        silent = counts[(before >= 3) & (after * 100 <= before * 30)]

        payments = df[df.type.isin(["payment_failed", "payment_succeeded"])
                      & (df.occurred_at >= end - pd.Timedelta(days=7)) & (df.occurred_at < end)]
        latest = payments[payments.occurred_at == payments.groupby("account_id").occurred_at.transform("max")]
        failed = latest.groupby("account_id").type.agg(lambda kinds: (kinds == "payment_failed").all())
        failed = failed[failed]

        canceled = df[(df.type == "subscription_canceled") & (df.occurred_at >= end - pd.Timedelta(days=90))
                      & (df.occurred_at < end)].groupby("account_id").occurred_at.max()
        return [len(silent), len(failed), len(canceled)]

    return rules


def run_method(method: str, db: Path, repeats: int) -> dict[str, Any]:
    """Time one method in this process and return its times, result and peak memory."""
    if method == "incremental":
        return _run_incremental(db, repeats)
    builders = {"floor": _floor, "plain": _plain, "triggers": _triggers, "scan": _scan,
                "pandas": lambda path: _pandas(path.with_suffix(".parquet"))}
    times, result = _timed(builders[method](db), repeats)
    return {"method": method, "times": times, "result": result, "peak_rss_mb": _peak_mb()}


def _run_incremental(db: Path, repeats: int) -> dict[str, Any]:
    from churnguard.config import Settings
    from churnguard.detect.eventstore import DuckDBEventStore
    from churnguard.detect.incremental import IncrementalScanner
    from churnguard.plays.loader import load_playbook
    from churnguard.sequences.detection import scan_playbook

    copy = db.with_name(db.stem + "-incremental.duckdb")
    shutil.copyfile(db, copy)
    accounts = int(os.environ.get("CG_BENCH_ACCOUNTS", "1000000"))
    store, playbook, settings = DuckDBEventStore(copy), load_playbook(), Settings()
    scanner = IncrementalScanner(store, settings, playbook)

    start = time.perf_counter()
    scanner.scan(AS_OF)
    first = time.perf_counter() - start

    times, day, agree = [], AS_OF, True
    for _ in range(repeats):
        append_day(copy, day, accounts, seed=0.1 + len(times) / 100)
        day += timedelta(days=1)
        start = time.perf_counter()
        found = scanner.scan(day)
        times.append(time.perf_counter() - start)
        full = scan_playbook(store, settings, playbook, day)
        agree = agree and _keys(found) == _keys(full)

    copy.unlink()
    return {"method": "incremental", "times": times, "first_scan_s": first, "same_as_full_scan": agree,
            "result": len(found), "peak_rss_mb": _peak_mb()}


def _peak_mb() -> int:
    # VmHWM belongs to this program's memory map; ru_maxrss would carry the parent's peak over exec.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)
    return -1


def _keys(signals: list[Any]) -> set[tuple[str, str, str]]:
    return {(s.play or "", s.kind.value, s.account_id) for s in signals}


def _child(method: str, db: Path, repeats: int, accounts: int) -> dict[str, Any]:
    env = {**os.environ, "CG_BENCH_ACCOUNTS": str(accounts)}
    command = [sys.executable, "-m", "bench.bench_scan", "--child", method, "--db", str(db), "--repeats", str(repeats)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"{method} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def measure(db: Path, rounds: int, repeats: int, accounts: int, methods: tuple[str, ...]) -> dict[str, Any]:
    """Run every method ``rounds`` times, interleaved; return per-round results and ratios."""
    parquet = db.with_suffix(".parquet")
    if "pandas" in methods and not parquet.exists():
        copy = f"COPY (SELECT account_id, type, occurred_at, quantity FROM events) TO '{parquet}' (FORMAT parquet)"
        script = f"import duckdb; duckdb.connect({str(db)!r}, read_only=True).execute({copy!r})"
        subprocess.run([sys.executable, "-c", script], check=True, timeout=1800)

    per_round = []
    for index in range(rounds):
        results = {"load_before": _loadavg()}
        for method in methods:
            results[method] = _child(method, db, repeats, accounts)
            print(f"round {index + 1} {method}: {results[method]} load {_loadavg()}", file=sys.stderr)
        results["load_after"] = _loadavg()
        per_round.append(results)
    return {"rounds": per_round, "summary": summarize(per_round, methods)}


def summarize(per_round: list[dict[str, Any]], methods: tuple[str, ...]) -> dict[str, Any]:
    """Median seconds per method and the median, across rounds, of each ratio to the floor."""
    summary: dict[str, Any] = {}
    for method in methods:
        best = [min(r[method]["times"]) for r in per_round]
        summary[method] = {"median_s": round(statistics.median(best), 3),
                           "peak_rss_mb": max(r[method]["peak_rss_mb"] for r in per_round)}
        if "floor" in methods:
            ratios = [min(r[method]["times"]) / min(r["floor"]["times"]) for r in per_round]
            summary[method]["x_floor"] = round(statistics.median(ratios), 2)
        if "pandas" in methods:
            ratios = [min(r["pandas"]["times"]) / min(r[method]["times"]) for r in per_round]
            summary[method]["pandas_over_this"] = round(statistics.median(ratios), 2)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="an existing file from bench.events_gen")
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--small", action="store_true", help="20,000 accounts, one round (for CI)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--methods", default=",".join(METHODS + ("incremental",)))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(json.dumps(run_method(args.child, args.db, args.repeats), default=str))
        return

    if args.small:
        args.accounts, args.rounds, args.repeats = 20_000, 1, 2
    folder = None
    if args.db is None:
        folder = Path(tempfile.mkdtemp(prefix="cg-bench-scan-"))
        args.db = folder / "events.duckdb"
        print(generate(args.db, args.accounts), file=sys.stderr)
    try:
        report = measure(args.db, args.rounds, args.repeats, args.accounts, tuple(args.methods.split(",")))
        print(json.dumps(report["summary"], indent=2))
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
