"""Play triggers as SQL in a portable subset, with their parameters computed in Python.

The subset keeps one text running unchanged on DuckDB, SQLite and PostgreSQL, and through
SQLGlot on Spark: time bounds arrive as parameters, windows are filtered aggregates
(``SUM(CASE WHEN ...)``), and no expression does date arithmetic on a column. ``detect.portable``
checks each text against a whitelist of constructs. Every window is half-open, ``[start, end)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from churnguard.clock import ensure_utc
from churnguard.config import Settings
from churnguard.errors import ConfigError

PAYMENT_FAILED = "payment_failed"
PAYMENT_SUCCEEDED = "payment_succeeded"

# Event types that describe billing, not product use; silent_churn ignores them by default.
# Stripe events without a churnguard type are stored as ``stripe.<type>``.
BILLING_EVENT_TYPES = (
    PAYMENT_FAILED,
    PAYMENT_SUCCEEDED,
    "payment_refunded",
    "payment_action_required",
    "subscription_created",
    "subscription_updated",
    "subscription_canceled",
    "subscription_trial_will_end",
)
BILLING_TYPE_PREFIX = "stripe."

MEASURES = {"events": "1", "quantity": "quantity"}


@dataclass(frozen=True)
class Query:
    """A trigger's SQL text and the parameters it binds."""

    sql: str
    params: dict[str, Any]


@dataclass(frozen=True)
class SilentChurnWindows:
    """The two compared windows: ``[before_start, split)`` and ``[split, end)``."""

    before_start: datetime
    split: datetime
    end: datetime


def silent_churn_windows(as_of: datetime, window_days: int) -> SilentChurnWindows:
    """Compute the compared windows that end at ``as_of``."""
    end = ensure_utc(as_of)
    width = timedelta(days=window_days)
    return SilentChurnWindows(before_start=end - 2 * width, split=end - width, end=end)


def silent_churn_query(settings: Settings, as_of: datetime) -> Query:
    """Build the query that lists accounts whose activity fell by at least the set percent.

    Each row is ``(account_id, before_value, after_value)``.
    """
    drop_pct = float(settings["detect.silent_churn.drop_pct"])
    if not 0 < drop_pct <= 100:
        raise ConfigError(
            f"invalid detect.silent_churn.drop_pct {drop_pct}; use a percent above 0 and at most 100"
        )

    sums = silent_churn_sums_query(settings, as_of)
    params = {**sums.params, "min_before": max(float(settings["detect.silent_churn.min_events_before"]), 0.0),
              "keep_pct": 100.0 - drop_pct}
    sql = f"""
SELECT account_id, before_value, after_value FROM ({sums.sql}
) AS windows
WHERE before_value > 0
  AND before_value >= :min_before
  AND after_value * 100 <= before_value * :keep_pct
ORDER BY account_id"""
    return Query(sql, params)


def silent_churn_sums_query(settings: Settings, as_of: datetime) -> Query:
    """Build the query that sums every active account's two windows, with no threshold.

    Each row is ``(account_id, before_value, after_value)``.
    """
    measure, type_filter, type_params = silent_churn_parts(settings)
    window_days = _positive_int(settings, "detect.silent_churn.window_days")
    windows = silent_churn_windows(as_of, window_days)
    params: dict[str, Any] = {
        "before_start": windows.before_start,
        "split": windows.split,
        "end": windows.end,
        **type_params,
    }

    sql = f"""
    SELECT account_id,
           SUM(CASE WHEN occurred_at < :split THEN {measure} ELSE 0 END) AS before_value,
           SUM(CASE WHEN occurred_at >= :split THEN {measure} ELSE 0 END) AS after_value
    FROM events
    WHERE occurred_at >= :before_start AND occurred_at < :end AND {type_filter}
    GROUP BY account_id"""
    return Query(sql, params)


def silent_churn_parts(settings: Settings) -> tuple[str, str, dict[str, Any]]:
    """Return the measured expression, the activity-type clause and that clause's parameters."""
    measure = _measure(settings["detect.silent_churn.measure"])
    type_filter, type_params = _activity_type_filter(settings["detect.silent_churn.event_types"])
    return measure, type_filter, type_params


def failed_payment_query(settings: Settings, as_of: datetime) -> Query:
    """Build the query that returns each account's latest payment events in the lookback.

    Each row is ``(account_id, event_id, type, occurred_at, properties)``. Several rows for one
    account share the same latest instant; ``scan`` decides what a tie means.
    """
    lookback = _positive_int(settings, "detect.failed_payment.lookback_days")
    end = ensure_utc(as_of)
    params = {
        "start": end - timedelta(days=lookback),
        "end": end,
        "failed": PAYMENT_FAILED,
        "succeeded": PAYMENT_SUCCEEDED,
    }

    sql = """
SELECT e.account_id, e.id, e.type, e.occurred_at, e.properties
FROM events e
JOIN (
    SELECT account_id, MAX(occurred_at) AS latest
    FROM events
    WHERE type IN (:failed, :succeeded) AND occurred_at >= :start AND occurred_at < :end
    GROUP BY account_id
) AS latest_payment
  ON e.account_id = latest_payment.account_id AND e.occurred_at = latest_payment.latest
WHERE e.type IN (:failed, :succeeded)
ORDER BY e.account_id, e.id"""
    return Query(sql, params)


def _measure(name: str) -> str:
    try:
        return MEASURES[name]
    except KeyError:
        raise ConfigError(
            f"invalid detect.silent_churn.measure {name!r}; use 'events' or 'quantity'"
        ) from None


def _positive_int(settings: Settings, name: str) -> int:
    value = int(settings[name])
    if value < 1:
        raise ConfigError(f"invalid {name} {value}; use a whole number of days, at least 1")
    return value


def _activity_type_filter(setting: str) -> tuple[str, dict[str, Any]]:
    """Return the WHERE clause that picks activity events, with its parameters."""
    chosen = [name.strip() for name in setting.split(",") if name.strip()]
    if chosen:
        names = {f"activity_type_{i}": name for i, name in enumerate(chosen)}
        return f"type IN ({', '.join(':' + key for key in names)})", names

    names = {f"billing_type_{i}": name for i, name in enumerate(BILLING_EVENT_TYPES)}
    clause = f"type NOT IN ({', '.join(':' + key for key in names)}) AND type NOT LIKE :billing_prefix"
    return clause, {**names, "billing_prefix": BILLING_TYPE_PREFIX + "%"}


SUBSCRIPTION_CANCELED = "subscription_canceled"


def churned_query(as_of: datetime, within_days: int) -> Query:
    """Build the query that lists accounts whose latest cancellation falls in the last ``within_days``.

    Each row is ``(account_id, canceled_at)``. Whether the account is still canceled is the
    caller's check against the state store, which knows about re-subscriptions.
    """
    if within_days < 1:
        raise ConfigError(f"invalid churned window {within_days}; use at least 1 day")
    end = ensure_utc(as_of)
    params = {"start": end - timedelta(days=within_days), "end": end, "canceled": SUBSCRIPTION_CANCELED}
    sql = """
SELECT account_id, MAX(occurred_at) AS canceled_at
FROM events
WHERE type = :canceled AND occurred_at >= :start AND occurred_at < :end
GROUP BY account_id
ORDER BY account_id"""
    return Query(sql, params)



# Tickets, survey answers and sentiment scores (written by churnguard.sentiment) describe how the
# customer feels, not how they use the product, so the silent-churn rule does not count them.
SENTIMENT_EVENT_TYPES = ("sentiment_scored", "ticket_opened", "ticket_reopened", "nps_response", "csat_response")
BILLING_EVENT_TYPES = BILLING_EVENT_TYPES + SENTIMENT_EVENT_TYPES
