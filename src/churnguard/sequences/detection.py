"""Run each play's trigger: the detection rule with the play's own parameters."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from churnguard.config import Settings
from churnguard.detect.eventstore import EventStore
from churnguard.detect.scan import churned_signals, failed_payment_signals, silent_churn_signals
from churnguard.domain import Signal, SignalKind
from churnguard.plays import Play, PlayBook

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
    else:
        return []  # pushed in by webhooks (cancel form), not scanned
    return [replace(signal, play=play.name) for signal in found]


def scan_playbook(store: EventStore, settings: Settings, playbook: PlayBook, as_of: datetime) -> list[Signal]:
    signals: list[Signal] = []
    for play in playbook.sequence_plays():
        signals += scan_play(store, settings, play, as_of)
    return signals
