"""Golden tests: every trigger flags exactly the same accounts on DuckDB, SQLite, PostgreSQL and Spark.

The data is seeded random activity for a few hundred accounts, with collapses, payment
failures, retries at the same instant, cancellations, billing-only accounts and events right
on the window edges. DuckDB's result is the reference; each other engine must match it
account for account, for several scan days and settings.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from churnguard.config import Settings
from churnguard.detect.eventstore import EventRecord, EventStore
from churnguard.detect.scan import churned_signals, failed_payment_signals, silent_churn_signals

from .stores import open_store

AS_OF = datetime(2026, 6, 1, tzinfo=timezone.utc)
SCAN_DAYS = (AS_OF, AS_OF - timedelta(days=9), AS_OF + timedelta(hours=13, seconds=1))
CONFIGS = {
    "default": {},
    "quantity": {"detect.silent_churn.measure": "quantity", "detect.silent_churn.drop_pct": 50.0},
    "logins": {"detect.silent_churn.event_types": "login", "detect.silent_churn.window_days": 14},
    "lookback": {"detect.failed_payment.lookback_days": 20},
}
ENGINES = ("sqlite", "postgres", "spark")
# Each Spark query costs a second or more in local mode, so Spark checks the hardest subset:
# the scan day that is not midnight, and the settings that change windows and event types.
SPARK_DAYS, SPARK_CONFIGS = (SCAN_DAYS[2],), ("default", "logins")


def golden_events(accounts: int = 240, seed: int = 7) -> list[EventRecord]:
    """Seeded events over 120 days before ``AS_OF`` with every case the triggers distinguish."""
    rng = random.Random(seed)
    rows: list[EventRecord] = []

    def add(account: str, type_: str, at: datetime, quantity: float = 1.0, **properties: object) -> None:
        rows.append(EventRecord(f"g{len(rows)}", account, type_, at, quantity, "golden", dict(properties)))

    for n in range(accounts):
        account = f"acct_{n:04d}"
        rate = rng.choice((0.2, 0.5, 1.0, 3.0))
        collapse = AS_OF - timedelta(days=rng.uniform(2, 50)) if n % 5 == 0 else None
        for _ in range(int(rate * 120)):
            at = AS_OF - timedelta(seconds=rng.randrange(120 * 86400))
            if collapse and at > collapse and rng.random() > 0.1:
                continue
            add(account, rng.choice(("login", "login", "feature_used", "export")), at, float(rng.randint(1, 5)))
        _billing(rng, account, n, add)

    # Events exactly on the window and lookback edges of the first scan day.
    for days in (0, 7, 14, 20, 28, 30, 60, 90):
        add("edge_cases", "login", AS_OF - timedelta(days=days))
        add("edge_cases", "payment_failed", AS_OF - timedelta(days=days))
        add("edge_cases", "subscription_canceled", AS_OF - timedelta(days=days))
    return rows


def _billing(rng: random.Random, account: str, n: int, add) -> None:  # noqa: ANN001
    first = AS_OF - timedelta(days=120) + timedelta(seconds=rng.randrange(30 * 86400))
    for cycle in range(4):
        at = first + timedelta(days=30 * cycle)
        failed = rng.random() < 0.15
        add(account, "payment_failed" if failed else "payment_succeeded", at, 4900.0, amount_cents=4900)
        if failed and rng.random() < 0.5:
            later = at if rng.random() < 0.3 else at + timedelta(hours=rng.randint(1, 90))
            add(account, "payment_succeeded", later, 4900.0)
    if n % 7 == 0:
        add(account, "subscription_canceled", AS_OF - timedelta(days=rng.uniform(0, 120)))
    if n % 11 == 0:
        add(account, "stripe.invoice.finalized", AS_OF - timedelta(days=rng.uniform(0, 60)))


def flagged(store: EventStore, days: tuple[datetime, ...] = SCAN_DAYS,
            configs: tuple[str, ...] = tuple(CONFIGS)) -> dict[tuple[str, str, str], list[str]]:
    """Every trigger's flagged accounts, per scan day and settings variant."""
    found = {}
    for day in days:
        for name in configs:
            values = CONFIGS[name]
            settings = Settings(dict(values))
            key = (day.isoformat(), name)
            found[(*key, "silent_churn")] = sorted(s.account_id for s in silent_churn_signals(store, settings, day))
            found[(*key, "failed_payment")] = sorted(s.account_id for s in failed_payment_signals(store, settings, day))
        found[(day.isoformat(), "90d", "churned")] = sorted(s.account_id for s in churned_signals(store, day, 90))
    return found


@pytest.fixture(scope="module")
def events() -> list[EventRecord]:
    return golden_events()


@pytest.fixture(scope="module")
def reference(events: list[EventRecord], tmp_path_factory: pytest.TempPathFactory) -> dict:
    store = open_store("duckdb", tmp_path_factory.mktemp("golden-duckdb"))
    store.add(events)
    return flagged(store)


def test_reference_is_not_trivial(reference: dict) -> None:
    silent = reference[(AS_OF.isoformat(), "default", "silent_churn")]
    failed = reference[(AS_OF.isoformat(), "default", "failed_payment")]
    churned = reference[(AS_OF.isoformat(), "90d", "churned")]

    assert len(silent) >= 20
    assert len(failed) >= 3
    assert len(churned) >= 10
    assert "edge_cases" in failed


@pytest.fixture(scope="module")
def spark_session():  # noqa: ANN201
    pytest.importorskip("pyspark")
    from churnguard.detect.spark import spark_session as start

    session = start("local[1]", **{"spark.sql.shuffle.partitions": "1", "spark.driver.memory": "1g",
                                   "spark.sql.adaptive.enabled": "false"})
    yield session
    session.stop()


@pytest.mark.parametrize("engine", ENGINES)
def test_engine_flags_the_same_accounts(engine: str, events: list[EventRecord], reference: dict,
                                        tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if engine == "spark":
        from churnguard.detect.spark import SparkEventStore

        store: EventStore = SparkEventStore("local[1]", session=request.getfixturevalue("spark_session"))
    else:
        url = request.getfixturevalue("postgres_url") if engine == "postgres" else None
        store = open_store(engine, tmp_path, url)

    assert store.add(events) == len(events)
    found = flagged(store, SPARK_DAYS, SPARK_CONFIGS) if engine == "spark" else flagged(store)

    differences = {key: (reference[key], found[key]) for key in found if reference[key] != found[key]}
    assert differences == {}
