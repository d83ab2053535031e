"""Triggers on small synthetic data: thresholds, window edges, and the same hits on every store."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from churnguard.config import Settings
from churnguard.detect.eventstore import EventRecord, EventStore
from churnguard.detect.scan import scan
from churnguard.domain import SignalKind
from churnguard.errors import ConfigError

from .stores import STORE_KINDS, open_store

AS_OF = datetime(2026, 4, 1, tzinfo=timezone.utc)
SPLIT = AS_OF - timedelta(days=30)
BEFORE_START = AS_OF - timedelta(days=60)
SECOND = timedelta(seconds=1)


def events(account: str, type_: str, times: list[datetime], quantity: float = 1.0, **properties: object) -> list[EventRecord]:
    return [
        EventRecord(f"{account}:{type_}:{i}:{t.isoformat()}", account, type_, t, quantity, "test", dict(properties))
        for i, t in enumerate(times)
    ]


def days_before(n: float, count: int = 1) -> list[datetime]:
    return [AS_OF - timedelta(days=n)] * count


def synthetic() -> list[EventRecord]:
    rows: list[EventRecord] = []
    rows += events("exact70", "login", days_before(45, 10) + days_before(5, 3))
    rows += events("drop60", "login", days_before(45, 10) + days_before(5, 4))
    rows += events("min_exact", "login", days_before(40, 3))
    rows += events("below_min", "login", days_before(40, 2))
    rows += events("zero_before", "login", days_before(10, 5))
    rows += events("edges", "login", [BEFORE_START] * 3 + [BEFORE_START - SECOND, AS_OF, AS_OF + SECOND])
    rows += events("split", "login", days_before(50, 3) + [SPLIT])
    rows += events("billing_only", "payment_succeeded", days_before(50, 5))
    rows += events("billing_only", "stripe.invoice.finalized", days_before(50, 5))
    rows += events("bulk", "purchase", days_before(50), quantity=10) + events("bulk", "purchase", days_before(3), quantity=2)
    rows += events("fp_fail", "payment_succeeded", days_before(5))
    rows += events("fp_fail", "payment_failed", days_before(2), amount_cents=4900, currency="usd", decline_code="insufficient_funds")
    rows += events("fp_recovered", "payment_failed", days_before(3)) + events("fp_recovered", "payment_succeeded", days_before(1))
    rows += events("fp_old", "payment_failed", days_before(8))
    rows += events("fp_edge", "payment_failed", days_before(7))
    rows += events("fp_tie", "payment_failed", days_before(2)) + events("fp_tie", "payment_succeeded", days_before(2))
    rows += events("fp_now", "payment_failed", [AS_OF])
    return rows


def settings(**values: object) -> Settings:
    return Settings({f"detect.{name.replace('__', '.')}": value for name, value in values.items()})


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> EventStore:
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    store = open_store(request.param, tmp_path, url)
    store.add(synthetic())
    return store


def hits(store: EventStore, config: Settings, kind: SignalKind) -> set[str]:
    return {signal.account_id for signal in scan(store, config, AS_OF) if signal.kind is kind}


def test_silent_churn_thresholds_and_edges(store: EventStore) -> None:
    found = hits(store, settings(), SignalKind.SILENT_CHURN)

    assert found == {"exact70", "min_exact", "edges"}


def test_silent_churn_evidence(store: EventStore) -> None:
    signal = next(s for s in scan(store, settings(), AS_OF) if s.account_id == "exact70")

    assert signal.evidence["before"] == 10
    assert signal.evidence["after"] == 3
    assert signal.evidence["drop_pct"] == 70.0
    assert signal.evidence["after_window"] == [SPLIT.isoformat(), AS_OF.isoformat()]
    assert signal.summary == "activity fell 70%: 10 → 3 (2026-03-02..2026-04-01 vs 2026-01-31..2026-03-02)"


def test_window_edges_are_half_open(store: EventStore) -> None:
    signal = next(s for s in scan(store, settings(), AS_OF) if s.account_id == "edges")

    assert (signal.evidence["before"], signal.evidence["after"]) == (3, 0)


def test_silent_churn_by_quantity(store: EventStore) -> None:
    config = settings(silent_churn__measure="quantity")

    found = hits(store, config, SignalKind.SILENT_CHURN)

    assert "bulk" in found
    assert "bulk" not in hits(store, settings(), SignalKind.SILENT_CHURN)


def test_silent_churn_event_type_filter(store: EventStore) -> None:
    config = settings(silent_churn__event_types="purchase", silent_churn__min_events_before=1)

    assert hits(store, config, SignalKind.SILENT_CHURN) == set()
    assert hits(store, settings(silent_churn__event_types="login"), SignalKind.SILENT_CHURN) == {"exact70", "min_exact", "edges"}


def test_billing_events_do_not_count_as_activity(store: EventStore) -> None:
    config = settings(silent_churn__event_types="payment_succeeded")

    assert "billing_only" not in hits(store, settings(), SignalKind.SILENT_CHURN)
    assert "billing_only" in hits(store, config, SignalKind.SILENT_CHURN)


def test_failed_payment_latest_event(store: EventStore) -> None:
    found = hits(store, settings(), SignalKind.FAILED_PAYMENT)

    assert found == {"fp_fail", "fp_edge"}


def test_failed_payment_evidence(store: EventStore) -> None:
    signal = next(s for s in scan(store, settings(), AS_OF) if s.account_id == "fp_fail")

    assert signal.evidence["failed_event_id"].startswith("fp_fail:payment_failed:0:")
    assert signal.evidence["amount_cents"] == 4900
    assert signal.evidence["decline_code"] == "insufficient_funds"
    assert signal.evidence["failed_at"] == (AS_OF - timedelta(days=2)).isoformat()
    assert signal.summary == "latest payment of 49.00 USD failed on 2026-03-30 (insufficient_funds)"


def test_lookback_setting_widens_window(store: EventStore) -> None:
    found = hits(store, settings(failed_payment__lookback_days=8), SignalKind.FAILED_PAYMENT)

    assert found == {"fp_fail", "fp_edge", "fp_old"}


def test_same_results_on_every_store(tmp_path: Path, postgres_url: str) -> None:
    results = {}
    for kind in STORE_KINDS:
        folder = tmp_path / kind
        folder.mkdir()
        store = open_store(kind, folder, postgres_url if kind == "postgres" else None)
        store.add(synthetic())
        config = settings(silent_churn__measure="quantity")
        results[kind] = [(s.kind, s.account_id, s.evidence, s.summary) for s in scan(store, config, AS_OF)]

    assert len(results) >= 2
    first = results.pop("duckdb")
    for kind, other in results.items():
        assert other == first, kind


def test_add_is_idempotent(store: EventStore) -> None:
    before = store.count()

    assert store.add(synthetic()) == 0
    assert store.count() == before


@pytest.mark.parametrize(
    ("name", "value"),
    [("silent_churn.measure", "minutes"), ("silent_churn.drop_pct", 0.0), ("silent_churn.window_days", 0),
     ("failed_payment.lookback_days", 0)],
)
def test_invalid_settings_raise(tmp_path: Path, name: str, value: object) -> None:
    store = open_store("duckdb", tmp_path)

    with pytest.raises(ConfigError, match=name):
        scan(store, Settings({f"detect.{name}": value}), AS_OF)
