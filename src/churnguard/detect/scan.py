"""Run every play trigger against an event store and turn the hits into signals.

``scan`` reads and returns; it stores nothing and starts nothing. The caller decides which
signals belong to known accounts and which start a sequence.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from churnguard.clock import ensure_utc
from churnguard.config import Settings
from churnguard.detect.eventstore import EventStore, as_utc_datetime, batch
from churnguard.detect.triggers import (
    PAYMENT_FAILED,
    churned_query,
    failed_payment_query,
    silent_churn_query,
    silent_churn_windows,
)
from churnguard.domain import Signal, SignalKind


def scan(store: EventStore, settings: Settings, as_of: datetime) -> list[Signal]:
    """Return the signals every trigger raises at ``as_of``, sorted by kind and account."""
    as_of = ensure_utc(as_of)
    with batch(store):
        signals = silent_churn_signals(store, settings, as_of) + failed_payment_signals(store, settings, as_of)
    return sorted(signals, key=lambda signal: (signal.kind.value, signal.account_id))


def silent_churn_signals(store: EventStore, settings: Settings, as_of: datetime) -> list[Signal]:
    """Return a ``silent_churn`` signal for each account whose activity fell enough."""
    query = silent_churn_query(settings, as_of)
    return silent_churn_from_rows(store.query(query.sql, query.params), settings, as_of)


def silent_churn_from_rows(rows: Iterable[tuple[Any, ...]], settings: Settings, as_of: datetime) -> list[Signal]:
    """Turn ``(account_id, before_value, after_value)`` rows into ``silent_churn`` signals."""
    windows = silent_churn_windows(as_of, int(settings["detect.silent_churn.window_days"]))
    measure = settings["detect.silent_churn.measure"]
    threshold = float(settings["detect.silent_churn.drop_pct"])
    before_start, split, end = (t.isoformat() for t in (windows.before_start, windows.split, windows.end))
    # Every row shares the windows and the unit; only the numbers change (a million rows is common).
    unit = "" if measure == "events" else f" {measure}"
    period = f" ({_day(split)}..{_day(end)} vs {_day(before_start)}..{_day(split)})"

    signals = []
    for account_id, before_value, after_value in rows:
        before, after = float(before_value), float(after_value)
        evidence = {
            "measure": measure,
            "before": _plain_number(before),
            "after": _plain_number(after),
            "drop_pct": round(100.0 * (before - after) / before, 1),
            "before_window": [before_start, split],
            "after_window": [split, end],
            "threshold_pct": threshold,
        }
        summary = f"activity fell {evidence['drop_pct']:g}%: {evidence['before']:g} → {evidence['after']:g}{unit}{period}"
        signals.append(Signal(str(account_id), SignalKind.SILENT_CHURN, as_of, evidence, summary))

    return signals


def silent_churn_summary(evidence: dict[str, Any]) -> str:
    """Describe a silent_churn finding in one line, e.g. "activity fell 78%: 41 → 9 (...)"."""
    after_start, after_end = (_day(text) for text in evidence["after_window"])
    before_start, before_end = (_day(text) for text in evidence["before_window"])
    unit = "" if evidence["measure"] == "events" else f" {evidence['measure']}"
    return (
        f"activity fell {evidence['drop_pct']:g}%: {evidence['before']:g} → {evidence['after']:g}{unit} "
        f"({after_start}..{after_end} vs {before_start}..{before_end})"
    )


def failed_payment_signals(store: EventStore, settings: Settings, as_of: datetime) -> list[Signal]:
    """Return a ``failed_payment`` signal for each account whose latest payment failed."""
    query = failed_payment_query(settings, as_of)
    latest: dict[str, list[tuple[Any, ...]]] = {}
    for row in store.query(query.sql, query.params):
        latest.setdefault(str(row[0]), []).append(row)

    signals = []
    for account_id, rows in latest.items():
        # A success at the same instant as a failure (a retry that went through) wins.
        if any(row[2] != PAYMENT_FAILED for row in rows):
            continue
        _, event_id, _, occurred_at, properties = rows[-1]
        evidence = _payment_evidence(str(event_id), as_utc_datetime(occurred_at), _properties(properties))
        evidence["lookback_days"] = int(settings["detect.failed_payment.lookback_days"])
        signals.append(Signal(account_id, SignalKind.FAILED_PAYMENT, as_of, evidence, failed_payment_summary(evidence)))

    return signals


def failed_payment_summary(evidence: dict[str, Any]) -> str:
    """Describe a failed_payment finding in one line."""
    amount = ""
    if evidence.get("amount_cents") is not None:
        currency = (evidence.get("currency") or "").upper()
        amount = f" of {evidence['amount_cents'] / 100:.2f} {currency}".rstrip()
    reason = evidence.get("decline_code") or evidence.get("failure_message")
    because = f" ({reason})" if reason else ""
    return f"latest payment{amount} failed on {_day(evidence['failed_at'])}{because}"


def _payment_evidence(event_id: str, occurred_at: datetime, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "failed_event_id": event_id,
        "failed_at": occurred_at.isoformat(),
        "amount_cents": properties.get("amount_cents"),
        "currency": properties.get("currency"),
        "failure_message": properties.get("failure_message"),
        "decline_code": properties.get("decline_code"),
        "next_payment_attempt": properties.get("next_payment_attempt"),
    }


def _properties(value: Any) -> dict[str, Any]:
    # DuckDB and SQLite return the JSON text; PostgreSQL's driver has decoded it already.
    if isinstance(value, str):
        value = json.loads(value)
    return value if isinstance(value, dict) else {}


def _plain_number(value: float) -> float | int:
    return int(value) if value.is_integer() else value


def _day(text: str) -> str:
    return text[:10]


def churned_signals(store: EventStore, as_of: datetime, within_days: int) -> list[Signal]:
    """Return a ``churned`` signal for each account canceled within the window."""
    query = churned_query(as_of, within_days)
    signals = []
    for account_id, canceled_at in store.query(query.sql, query.params):
        when = as_utc_datetime(canceled_at)
        evidence = {"canceled_at": when.isoformat(), "within_days": within_days}
        summary = f"subscription canceled on {_day(evidence['canceled_at'])}"
        signals.append(Signal(str(account_id), SignalKind.CHURNED, as_of, evidence, summary))
    return signals
