"""Crash-safety harness: several workers on PostgreSQL, killed with SIGKILL at random moments.

It seeds a workspace whose accounts all trigger ``silent_churn``, then walks the program's
clock through the play's days. At each instant it keeps ``workers`` processes of
``churnguard run --once --as-of T`` going and kills random ones with SIGKILL until it has
spent its share of kills, then lets clean passes finish the instant. At the end it reads
every delivered message from the Maildirs and counts, per Message-ID, duplicates and touches
that never arrived.

    python bench/kill9_engine.py --postgres-url postgresql://postgres@127.0.0.1:5432 \\
        --sequences 1000 --kills 200 --workers 3

The database named in the URL's path is dropped and created again; pass a server URL
without a database name to let the harness create ``churnguard_kill9``.
"""

from __future__ import annotations

import argparse
import email
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, time as dtime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

START = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
PLAY = """
name = "silent_churn"
description = "Harness copy of the shipped play with no send window, so every instant can send."
stop_when = ["reply", "account_churned"]

[trigger]
signal = "silent_churn"

[[steps]]
name = "check_in"
kind = "touch"
angle = "check_in"
wait_days = 0

[[steps]]
name = "different_angle"
kind = "touch"
angle = "different_angle"
wait_days = 4

[[steps]]
name = "handoff"
kind = "handoff"
wait_days = 5

[send_window]
anytime = true

[pacing]
min_days_between_touches = 0
"""
# Instants the harness runs at: the check-in, the follow-up and the hand-off days.
INSTANTS = (START, START + timedelta(days=4, hours=1), START + timedelta(days=9, hours=2))


def _database(server_url: str) -> str:
    server = server_url.rstrip("/")
    base, _, name = server.rpartition("/")
    if "@" in name or ":" in name or not base.startswith("postgresql"):
        base, name = server, "churnguard_kill9"
    admin = create_engine(f"{base.replace('postgresql://', 'postgresql+psycopg://')}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{base}/{name}"


def seed(root: Path, database_url: str, sequences: int) -> None:
    """Create the workspace and ``sequences`` accounts whose activity collapsed."""
    from churnguard.clock import FixedClock
    from churnguard.detect.eventstore import EventRecord, event_id, open_event_store
    from churnguard.identity import NewIdentity
    from churnguard.setup_workspace import init_workspace
    from churnguard.store.models import Account, Contact
    from churnguard.workspace import Workspace

    identity = NewIdentity("kill-agent", "kill-csm", "Kim Harness", "csm@csm.example.com", "agent@agent.example.com",
                           "kill-lead", "Lee Harness", "lead@csm.example.com")
    clock = FixedClock(START)
    settings = {"database_url": database_url, "event_store": "sql", "run.send_lease_seconds": 3.0, "run.lease_seconds": 3.0,
                "pacing.account_max_per_week": 10, "pacing.mailbox_max_per_day": 100000}
    init_workspace(root, identity, overrides=settings, clock=clock)
    (root / "plays").mkdir(exist_ok=True)
    (root / "plays" / "silent_churn.toml").write_text(PLAY, encoding="utf-8")

    workspace = Workspace.open(root, clock=clock)
    events = []
    with workspace.db.transaction() as session:
        for number in range(sequences):
            account_id = f"acct-{number:05d}"
            session.add(Account(id=account_id, name=f"Harness Account {number}", plan="Team", mrr_cents=9900, owner_identity_id=identity.id))
            session.flush()
            session.add(Contact(account_id=account_id, email=f"c{number:05d}@customer.example.org", name="Robin Doe", is_main=True))
            for day in range(31, 61, 3):
                moment = datetime.combine((START - timedelta(days=day)).date(), dtime(10, 0), timezone.utc)
                events.append(EventRecord(event_id("kill9", f"{account_id}:{day}"), account_id, "login", moment))
    open_event_store(workspace).add(events)
    workspace.close()


def _worker(root: Path, instant: datetime) -> subprocess.Popen:
    """Start one worker; its log goes to a file, because a full pipe would stall it mid-transaction."""
    command = [sys.executable, "-m", "churnguard", "run", "--once", "--as-of", instant.isoformat(), "--workspace", str(root)]
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log, env=dict(os.environ))
    process.log = log  # type: ignore[attr-defined]
    return process


def run_instant(root: Path, instant: datetime, workers: int, kills: int, rng: random.Random, deadline: float) -> tuple[int, int]:
    """Run workers at ``instant``, killing ``kills`` of them, then clean passes; return (kills, failures)."""
    done_kills = failures = 0
    running: list[subprocess.Popen] = []
    while done_kills < kills and time.monotonic() < deadline:
        while len(running) < workers:
            running.append(_worker(root, instant))
        time.sleep(rng.uniform(0.05, 1.5))
        victim = rng.choice(running)
        if victim.poll() is None:
            victim.kill()
            done_kills += 1
        victim.wait()
        victim.log.close()  # type: ignore[attr-defined]
        running.remove(victim)
        for process in list(running):
            if process.poll() is not None:
                failures += _failed(process)
                running.remove(process)
    for process in running:
        failures += _failed(process)

    # Clean passes: long enough for leases left by killed workers to expire and be taken over.
    for _ in range(3):
        time.sleep(3.5)
        finished = [_worker(root, instant) for _ in range(workers)]
        failures += sum(_failed(process) for process in finished)
    return done_kills, failures


FAILURE_SAMPLES: list[str] = []


def _failed(process: subprocess.Popen) -> bool:
    """Wait for a worker that was not killed; keep the end of its error output if it failed."""
    process.wait()
    log = process.log  # type: ignore[attr-defined]
    if process.returncode == 0:
        log.close()
        return False
    log.seek(0)
    FAILURE_SAMPLES.append(log.read().decode(errors="replace")[-1500:])
    log.close()
    return True


def delivered(root: Path) -> Counter:
    counts: Counter = Counter()
    for path in (root / "mail").rglob("*"):
        if path.parent.name not in ("new", "cur") or ".Sent" in path.parts:
            continue
        message = email.message_from_bytes(path.read_bytes())
        if message["Message-ID"]:
            counts[message["Message-ID"].strip()] += 1
    return counts


def check(root: Path, database_url: str, sequences: int) -> dict:
    """Compare what the database says was sent with what the Maildirs hold."""
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    from churnguard.store.models import Sequence, Touch

    with engine.connect() as connection:
        recorded = {row[0] for row in connection.execute(select(Touch.message_id).where(Touch.state == "sent"))}
        unsent = connection.execute(select(func.count()).select_from(Touch).where(Touch.state != "sent")).scalar()
        states = dict(connection.execute(select(Sequence.state, func.count()).group_by(Sequence.state)).all())
    engine.dispose()

    counts = delivered(root)
    expected = sequences * 3
    return {
        "sequences": sequences,
        "sequence_states": states,
        "touches_expected": expected,
        "touches_recorded_sent": len(recorded),
        "touches_not_sent": unsent,
        "messages_delivered": sum(counts.values()),
        "duplicates": sum(count - 1 for count in counts.values() if count > 1),
        "lost": expected - len(set(counts)),
        "delivered_but_not_recorded": len(set(counts) - recorded),
    }


def run_harness(server_url: str, sequences: int, kills: int, workers: int, folder: Path | None = None, seed_value: int = 7) -> dict:
    rng = random.Random(seed_value)
    root = Path(folder or tempfile.mkdtemp(prefix="churnguard-kill9-")) / "ws"
    if root.exists():
        shutil.rmtree(root)
    database_url = _database(server_url)
    seed(root, database_url, sequences)

    started = time.monotonic()
    total_kills = failures = 0
    share = [kills // len(INSTANTS) + (1 if index < kills % len(INSTANTS) else 0) for index in range(len(INSTANTS))]
    for instant, quota in zip(INSTANTS, share):
        done, failed = run_instant(root, instant, workers, quota, rng, deadline=time.monotonic() + 1800)
        total_kills += done
        failures += failed

    report = check(root, database_url, sequences)
    report.update(kills=total_kills, workers=workers, clean_exit_failures=failures, seconds=round(time.monotonic() - started, 1))
    report["failure_samples"] = FAILURE_SAMPLES[:3]
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", required=True, help="PostgreSQL server URL (on 127.0.0.1)")
    parser.add_argument("--sequences", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--folder", type=Path, default=None, help="where to put the workspace (default: a temporary folder)")
    arguments = parser.parse_args()
    report = run_harness(arguments.postgres_url, arguments.sequences, arguments.kills, arguments.workers, arguments.folder)
    print(json.dumps(report, indent=2))
    sys.exit(0 if report["duplicates"] == 0 and report["lost"] == 0 else 1)


if __name__ == "__main__":
    main()
