"""Run each play's trigger: the detection rule with the play's own parameters."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from churnguard.config import Settings
from churnguard.detect.eventstore import EventStore, batch
from churnguard.detect.scan import churned_signals, failed_payment_signals, silent_churn_signals
from churnguard.domain import Signal, SignalKind
from churnguard.plays import Play, PlayBook
from churnguard.sentiment.signals import detractor_signals, negative_sentiment_signals, ticket_spike_signals

# Trigger fields that override a detection setting for one play.
_SILENT_CHURN_FIELDS = {
    "drop_pct": "detect.silent_churn.drop_pct",
    "window_days": "detect.silent_churn.window_days",
    "min_before": "detect.silent_churn.min_events_before",
    "metric": "detect.silent_churn.measure",
}


def play_settings(settings: Settings, play: Play) -> Settings:
    """Return settings with the play's trigger parameters in place of the workspace defaults."""
    values = settings.as_dict()
    trigger = play.trigger
    assert trigger is not None
    for field, setting in _SILENT_CHURN_FIELDS.items():
        value = getattr(trigger, field)
        if value is not None:
            values[setting] = float(value) if isinstance(settings[setting], float) else value
    if trigger.event_types:
        values["detect.silent_churn.event_types"] = ",".join(trigger.event_types)
    return Settings(values)


def scan_play(store: EventStore, settings: Settings, play: Play, as_of: datetime) -> list[Signal]:
    """Return the signals that start ``play`` as of ``as_of``; each names the play.

    Activity windows end at the start of ``as_of``'s UTC day, so every pass on one day sees
    the same accounts; payment and cancellation triggers look up to ``as_of`` itself.
    """
    trigger = play.trigger
    if trigger is None:
        return []

    if trigger.signal == SignalKind.SILENT_CHURN:
        day = as_of.replace(hour=0, minute=0, second=0, microsecond=0)
        found = silent_churn_signals(store, play_settings(settings, play), day)
    elif trigger.signal == SignalKind.FAILED_PAYMENT:
        found = failed_payment_signals(store, settings, as_of)
    elif trigger.signal == SignalKind.CHURNED:
        found = churned_signals(store, as_of, trigger.churned_within_days or 90)
    elif trigger.signal in _SENTIMENT_SCANS:
        found = _SENTIMENT_SCANS[trigger.signal](store, settings, as_of)
    else:
        return []  # pushed in by webhooks (cancel form), not scanned
    for condition in trigger.also:
        found = _also(found, _scan_kind(store, settings, condition.signal, as_of, condition.within_days))
    return [replace(signal, play=play.name) for signal in found]


_SENTIMENT_SCANS = {
    SignalKind.NEGATIVE_SENTIMENT: negative_sentiment_signals,
    SignalKind.TICKET_SPIKE: ticket_spike_signals,
    SignalKind.DETRACTOR: detractor_signals,
}


def _scan_kind(store: EventStore, settings: Settings, kind: SignalKind, as_of: datetime, within_days: int) -> list[Signal]:
    """Return the signals of ``kind`` an ``also`` condition asks for, looking back ``within_days``."""
    if kind == SignalKind.DETRACTOR:
        return detractor_signals(store, settings, as_of, within_days)
    if kind in _SENTIMENT_SCANS:
        values = settings.as_dict()
        prefix = "detect.sentiment" if kind == SignalKind.NEGATIVE_SENTIMENT else "detect.ticket_spike"
        values[f"{prefix}.window_days"] = within_days
        return _SENTIMENT_SCANS[kind](store, Settings(values), as_of)
    if kind == SignalKind.SILENT_CHURN:
        return silent_churn_signals(store, settings, as_of.replace(hour=0, minute=0, second=0, microsecond=0))
    if kind == SignalKind.FAILED_PAYMENT:
        return failed_payment_signals(store, settings, as_of)
    if kind == SignalKind.CHURNED:
        return churned_signals(store, as_of, within_days)
    return []


def _also(found: list[Signal], required: list[Signal]) -> list[Signal]:
    """Keep the signals whose account also shows ``required``; its evidence joins under ``also``."""
    by_account = {signal.account_id: signal for signal in required}
    kept = []
    for signal in found:
        other = by_account.get(signal.account_id)
        if other is None:
            continue
        also = list(signal.evidence.get("also", [])) + [{"kind": other.kind.value, "summary": other.summary, "evidence": other.evidence}]
        summary = f"{signal.summary}; also {other.summary}"
        kept.append(replace(signal, evidence={**signal.evidence, "also": also}, summary=summary))
    return kept


def scan_playbook(store: EventStore, settings: Settings, playbook: PlayBook, as_of: datetime) -> list[Signal]:
    signals: list[Signal] = []
    with batch(store):  # one DuckDB connection, so each trigger finds the columns in memory
        for play in playbook.sequence_plays():
            signals += scan_play(store, settings, play, as_of)
    return signals
