"""Sequencer claim time: lease the due sequences among 100,000 open ones, on SQLite and PostgreSQL.

Rows are written straight into ``sequences`` with foreign-key checks off, since only the claim
query reads them. A share of them (``--due``) is due; the rest waits in the future or is
leased by another worker. The time is for ``StepRunner.claim_due`` called until it returns a
short batch, which is what ``advance_due`` does before it advances each claimed sequence.

    python -m bench.bench_sequencer [--open 100000] [--due 1000] [--postgres-url URL]

Without ``--postgres-url`` a throwaway PostgreSQL cluster is started on 127.0.0.1 with initdb
(as the ``postgres`` user when run as root) and stopped by its data folder at the end.

NOTE: advancing a claimed sequence (facts, draft, pacing) is not measured here.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from churnguard.config import Settings
from churnguard.plays.loader import load_playbook
from churnguard.sequences.steps import StepRunner
from churnguard.store.db import Database, sqlite_url

NOW = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)


def fill(db: Database, open_count: int, due: int) -> None:
    """Write ``open_count`` open sequences, ``due`` of them due at ``NOW``."""
    rows = []
    for n in range(open_count):
        is_due = due > 0 and n % (open_count // due) == 0
        due_at = NOW - timedelta(minutes=n % 600) if is_due else NOW + timedelta(hours=1 + n % 500)
        leased = (not is_due) and n % 10 == 1
        rows.append({"open_key": f"acct_{n:07d}:silent_churn", "account_id": f"acct_{n:07d}", "play": "silent_churn",
                     "identity_id": "bench", "contact_id": 1, "state": "waiting", "step_index": 1,
                     "due_at": due_at, "sealed": b"", "started_at": NOW, "updated_at": NOW,
                     "lease_owner": "other" if leased else None,
                     "lease_until": NOW + timedelta(days=1) if leased else None})

    insert = text("INSERT INTO sequences (open_key, account_id, play, identity_id, contact_id, state, step_index,"
                  " due_at, sealed, started_at, updated_at, lease_owner, lease_until) VALUES (:open_key,"
                  " :account_id, :play, :identity_id, :contact_id, :state, :step_index, :due_at, :sealed,"
                  " :started_at, :updated_at, :lease_owner, :lease_until)")
    # On SQLite a plain engine: its connections leave foreign keys off, while the workspace's
    # engine turns them on at connect time and a PRAGMA inside a transaction changes nothing.
    engine = db.engine if db.dialect == "postgresql" else create_engine(db.url)
    with engine.begin() as connection:
        if db.dialect == "postgresql":
            connection.execute(text("SET session_replication_role = replica"))  # skip foreign-key triggers
        for start in range(0, len(rows), 5000):
            connection.execute(insert, rows[start:start + 5000])
        if db.dialect == "postgresql":
            connection.execute(text("ANALYZE sequences"))


def claim_all(runner: StepRunner) -> tuple[float, int]:
    """Claim every due sequence in batches; return the seconds and the count, then free the leases."""
    start, claimed = time.perf_counter(), 0
    while True:
        batch = runner.claim_due(NOW)
        claimed += len(batch)
        if len(batch) < 200:
            break
    seconds = time.perf_counter() - start
    with runner.db.transaction() as session:
        session.execute(text("UPDATE sequences SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = :me"),
                        {"me": runner.worker_id})
    return seconds, claimed


def measure(url: str, open_count: int, due: int, repeats: int) -> dict[str, Any]:
    db = Database(url)
    db.migrate()
    fill(db, open_count, due)
    runner = StepRunner(db, Settings(), load_playbook(), None, lambda session, name: None,  # type: ignore[arg-type]
                        lambda *args: (), worker_id="bench")
    runs = [claim_all(runner) for _ in range(repeats)]
    db.dispose()
    return {"open": open_count, "due": due, "claimed": runs[0][1],
            "claim_s_median": round(statistics.median(seconds for seconds, _ in runs), 4),
            "claim_s_all": [round(seconds, 4) for seconds, _ in runs]}


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Start a PostgreSQL cluster on 127.0.0.1 and yield its URL; stop it afterwards."""
    binaries = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    if not binaries:
        raise SystemExit("PostgreSQL not found: install it or pass --postgres-url")
    folder = Path(tempfile.mkdtemp(prefix="cg-bench-pg-"))
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    data, pg_ctl = folder / "data", str(binaries[0] / "pg_ctl")
    subprocess.run([*as_postgres, str(binaries[0] / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"],
                   check=True, capture_output=True, timeout=120)
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={folder} -c fsync=off"
    subprocess.run([*as_postgres, pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"],
                   check=True, capture_output=True, timeout=120)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_postgres, pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"], capture_output=True, timeout=120)
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--postgres-url", help="a database that may be filled (default: a throwaway cluster)")
    args = parser.parse_args()

    results = {}
    with tempfile.TemporaryDirectory(prefix="cg-bench-seq-") as folder:
        results["sqlite"] = measure(sqlite_url(Path(folder) / "state.sqlite3"), args.open, args.due, args.repeats)
    if args.postgres_url:
        results["postgresql"] = measure(args.postgres_url, args.open, args.due, args.repeats)
    else:
        with throwaway_postgres() as url:
            results["postgresql"] = measure(url, args.open, args.due, args.repeats)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
