"""The sentiment triggers: ``negative_sentiment``, ``ticket_spike`` and ``detractor``.

The SQL keeps to the portable subset of ``churnguard.detect.triggers`` (time bounds as
parameters, filtered aggregates, no date arithmetic on columns), so it runs unchanged on
DuckDB, SQLite and PostgreSQL. Evidence names records (``sentiment:<id>``), dates and scores,
never ticket or comment text: the text stays sealed in the state store, and the composer
reads it through the record. Like ``detect.scan``, these functions read and return; they
store nothing and start nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from churnguard.clock import ensure_utc
from churnguard.config import Settings
from churnguard.detect.eventstore import EventStore, as_utc_datetime
from churnguard.detect.triggers import Query
from churnguard.domain import Signal, SignalKind
from churnguard.errors import ConfigError
from churnguard.sentiment.records import CSAT_RESPONSE, NPS_RESPONSE, SENTIMENT_SCORED, TICKET_OPENED, TICKET_REOPENED


@dataclass(frozen=True)
class BaselineWindows:
    """A recent window ``[split, end)`` compared with the account's own baseline ``[start, split)``."""

    start: datetime
    split: datetime
    end: datetime


def baseline_windows(as_of: datetime, recent_days: int, baseline_days: int) -> BaselineWindows:
    if recent_days < 1 or baseline_days < 1:
        raise ConfigError(f"invalid windows {recent_days}/{baseline_days} days; use at least 1 day each")
    end = ensure_utc(as_of)
    split = end - timedelta(days=recent_days)
    return BaselineWindows(split - timedelta(days=baseline_days), split, end)


def sentiment_totals_query(windows: BaselineWindows) -> Query:
    """Build the query that sums and counts each account's sentiment scores in the baseline and the recent window.

    Each row is ``(account_id, base_sum, base_count, recent_sum, recent_count)``.
    """
    sql = """
SELECT account_id,
       SUM(CASE WHEN occurred_at < :split THEN quantity ELSE 0 END) AS base_sum,
       SUM(CASE WHEN occurred_at < :split THEN 1 ELSE 0 END) AS base_count,
       SUM(CASE WHEN occurred_at >= :split THEN quantity ELSE 0 END) AS recent_sum,
       SUM(CASE WHEN occurred_at >= :split THEN 1 ELSE 0 END) AS recent_count
FROM events
WHERE type = :scored AND occurred_at >= :start AND occurred_at < :end
GROUP BY account_id
ORDER BY account_id"""
    return Query(sql, {"start": windows.start, "split": windows.split, "end": windows.end, "scored": SENTIMENT_SCORED})


def ticket_counts_query(windows: BaselineWindows) -> Query:
    """Build the query that counts each account's opened and reopened tickets in the baseline and the recent window.

    Each row is ``(account_id, base_opened, recent_opened, base_reopened, recent_reopened)``.
    """
    sql = """
SELECT account_id,
       SUM(CASE WHEN type = :opened AND occurred_at < :split THEN 1 ELSE 0 END) AS base_opened,
       SUM(CASE WHEN type = :opened AND occurred_at >= :split THEN 1 ELSE 0 END) AS recent_opened,
       SUM(CASE WHEN type = :reopened AND occurred_at < :split THEN 1 ELSE 0 END) AS base_reopened,
       SUM(CASE WHEN type = :reopened AND occurred_at >= :split THEN 1 ELSE 0 END) AS recent_reopened
FROM events
WHERE type IN (:opened, :reopened) AND occurred_at >= :start AND occurred_at < :end
GROUP BY account_id
ORDER BY account_id"""
    params = {"start": windows.start, "split": windows.split, "end": windows.end, "opened": TICKET_OPENED, "reopened": TICKET_REOPENED}
    return Query(sql, params)


def recent_items_query(types: tuple[str, ...], start: datetime, end: datetime) -> Query:
    """Build the query that lists every event of ``types`` in ``[start, end)``.

    Each row is ``(account_id, id, type, occurred_at, quantity, properties)``.
    """
    names = {f"item_type_{i}": name for i, name in enumerate(types)}
    sql = f"""
SELECT account_id, id, type, occurred_at, quantity, properties
FROM events
WHERE type IN ({', '.join(':' + key for key in names)}) AND occurred_at >= :start AND occurred_at < :end
ORDER BY account_id, occurred_at, id"""
    return Query(sql, {**names, "start": ensure_utc(start), "end": ensure_utc(end)})


_EVIDENCE_ITEMS = 5


def negative_sentiment_signals(store: EventStore, settings: Settings, as_of: datetime) -> list[Signal]:
    """Raise ``negative_sentiment`` where the recent average score is low, or fell against the account's baseline."""
    windows = baseline_windows(as_of, int(settings["detect.sentiment.window_days"]), int(settings["detect.sentiment.baseline_days"]))
    threshold, drop = float(settings["detect.sentiment.threshold"]), float(settings["detect.sentiment.drop"])
    min_items = int(settings["detect.sentiment.min_items"])
    query = sentiment_totals_query(windows)

    hits: dict[str, dict[str, Any]] = {}
    for account_id, base_sum, base_count, recent_sum, recent_count in store.query(query.sql, query.params):
        if int(recent_count or 0) < min_items:
            continue
        recent = float(recent_sum) / int(recent_count)
        baseline = float(base_sum) / int(base_count) if int(base_count or 0) else None
        reason = "below_threshold" if recent <= threshold else ""
        if not reason and baseline is not None and baseline - recent >= drop:
            reason = "drop_against_baseline"
        if reason:
            hits[str(account_id)] = {"reason": reason, "recent_avg": round(recent, 3), "recent_items": int(recent_count),
                                     "baseline_avg": round(baseline, 3) if baseline is not None else None,
                                     "baseline_items": int(base_count or 0), "threshold": threshold, "drop": drop,
                                     "recent_window": [windows.split.isoformat(), windows.end.isoformat()]}

    items = _items(store, (SENTIMENT_SCORED,), windows.split, windows.end, set(hits))
    signals = []
    for account_id, evidence in hits.items():
        worst = sorted(items.get(account_id, []), key=lambda item: (item["score"], item["at"]))[:_EVIDENCE_ITEMS]
        evidence["items"] = worst
        summary = (f"recent sentiment averaged {evidence['recent_avg']:+.2f} over {evidence['recent_items']} items "
                   f"({_day(windows.split.isoformat())}..{_day(windows.end.isoformat())})")
        if evidence["reason"] == "drop_against_baseline":
            summary += f", down from {evidence['baseline_avg']:+.2f}"
        signals.append(Signal(account_id, SignalKind.NEGATIVE_SENTIMENT, as_of, evidence, summary))
    return signals


def ticket_spike_signals(store: EventStore, settings: Settings, as_of: datetime) -> list[Signal]:
    """Raise ``ticket_spike`` where recent tickets or reopens run well above the account's norm."""
    recent_days, baseline_days = int(settings["detect.ticket_spike.window_days"]), int(settings["detect.ticket_spike.baseline_days"])
    windows = baseline_windows(as_of, recent_days, baseline_days)
    ratio, min_tickets = float(settings["detect.ticket_spike.ratio"]), int(settings["detect.ticket_spike.min_tickets"])
    reopen_rate = float(settings["detect.ticket_spike.reopen_rate"])
    query = ticket_counts_query(windows)

    hits: dict[str, dict[str, Any]] = {}
    for account_id, base_opened, recent_opened, base_reopened, recent_reopened in store.query(query.sql, query.params):
        recent = int(recent_opened or 0) + int(recent_reopened or 0)
        if recent < min_tickets:
            continue
        expected = (int(base_opened or 0) + int(base_reopened or 0)) * recent_days / baseline_days
        rate = int(recent_reopened or 0) / max(int(recent_opened or 0), 1)
        reason = ""
        if recent >= ratio * max(expected, 1.0):  # a quiet account needs the ratio over one ticket, not over zero
            reason = "volume"
        elif rate >= reopen_rate:
            reason = "reopen_rate"
        if reason:
            hits[str(account_id)] = {"reason": reason, "recent_tickets": recent, "recent_opened": int(recent_opened or 0),
                                     "recent_reopened": int(recent_reopened or 0), "expected": round(expected, 2),
                                     "reopen_rate": round(rate, 2), "ratio": ratio,
                                     "recent_window": [windows.split.isoformat(), windows.end.isoformat()]}

    items = _items(store, (TICKET_OPENED, TICKET_REOPENED), windows.split, windows.end, set(hits))
    signals = []
    for account_id, evidence in hits.items():
        evidence["items"] = items.get(account_id, [])[::-1][:_EVIDENCE_ITEMS]  # newest first: a draft names the latest
        summary = (f"{evidence['recent_tickets']} tickets in {recent_days} days against about "
                   f"{evidence['expected']:g} usually ({evidence['recent_reopened']} reopened)")
        signals.append(Signal(account_id, SignalKind.TICKET_SPIKE, as_of, evidence, summary))
    return signals


def detractor_signals(store: EventStore, settings: Settings, as_of: datetime, lookback_days: int | None = None) -> list[Signal]:
    """Raise ``detractor`` for the latest detractor answer (NPS 0-6, or a low CSAT) in the lookback."""
    days = lookback_days or int(settings["detect.detractor.lookback_days"])
    end = ensure_utc(as_of)
    nps_max, csat_pct = int(settings["detect.detractor.nps_max"]), float(settings["detect.detractor.csat_max_pct"])
    items = _items(store, (NPS_RESPONSE, CSAT_RESPONSE), end - timedelta(days=days), end, None)

    signals = []
    for account_id, answers in items.items():
        bad = [item for item in answers if _is_detractor(item, nps_max, csat_pct)]
        if not bad:
            continue
        latest = bad[-1]
        evidence = {"survey": latest["type"], "score": latest["score"], "scale_max": latest.get("scale_max"),
                    "answered_at": latest["at"], "record": latest.get("record"), "lookback_days": days,
                    "items": bad[-_EVIDENCE_ITEMS:]}
        label = "NPS" if latest["type"] == NPS_RESPONSE else "CSAT"
        summary = f"{label} answer of {latest['score']:g} on {_day(latest['at'])}"
        signals.append(Signal(account_id, SignalKind.DETRACTOR, as_of, evidence, summary))
    return signals


def _is_detractor(item: dict[str, Any], nps_max: int, csat_pct: float) -> bool:
    if item["type"] == NPS_RESPONSE:
        return item["score"] <= nps_max
    scale = float(item.get("scale_max") or 5.0)
    return scale > 0 and 100.0 * item["score"] / scale <= csat_pct


def _items(store: EventStore, types: tuple[str, ...], start: datetime, end: datetime, accounts: set[str] | None) -> dict[str, list[dict[str, Any]]]:
    """Return each account's events of ``types`` in ``[start, end)`` as evidence items, oldest first."""
    if accounts is not None and not accounts:
        return {}
    query = recent_items_query(types, start, end)
    found: dict[str, list[dict[str, Any]]] = {}
    for account_id, event_id, kind, occurred_at, quantity, properties in store.query(query.sql, query.params):
        if accounts is not None and str(account_id) not in accounts:
            continue
        values = _properties(properties)
        item = {"event_id": str(event_id), "type": str(kind), "at": as_utc_datetime(occurred_at).isoformat(),
                "score": _plain_number(float(quantity)), "record": values.get("record"), "kind": values.get("kind")}
        if "scale_max" in values:
            item["scale_max"] = values["scale_max"]
        found.setdefault(str(account_id), []).append(item)
    return found


def _properties(value: Any) -> dict[str, Any]:
    # DuckDB and SQLite return the JSON text; PostgreSQL's driver has decoded it already.
    if isinstance(value, str):
        value = json.loads(value)
    return value if isinstance(value, dict) else {}


def _plain_number(value: float) -> float | int:
    return int(value) if value.is_integer() else value


def _day(text: str) -> str:
    return text[:10]
