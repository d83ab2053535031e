"""negative_sentiment, ticket_spike and detractor over an event store, alone and combined with usage."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from churnguard.config import Settings
from churnguard.detect.eventstore import EventRecord, event_id
from churnguard.detect.scan import silent_churn_signals
from churnguard.detect.triggers import SENTIMENT_EVENT_TYPES
from churnguard.sentiment.records import EVENT_TYPES
from churnguard.sentiment.signals import detractor_signals, negative_sentiment_signals, ticket_spike_signals
from churnguard.plays.schema import Play
from churnguard.sequences.detection import scan_play
from tests.detect.stores import open_store

AS_OF = datetime(2026, 3, 2, tzinfo=timezone.utc)


class Buffered:
    """Collect the test's events and write them in one batch before the first query."""

    def __init__(self, inner):
        self.inner, self.pending = inner, []

    def add(self, events):
        self.pending += list(events)

    def query(self, sql, params):
        if self.pending:
            self.inner.add(self.pending)
            self.pending = []
        return self.inner.query(sql, params)


@pytest.fixture(params=["duckdb", "sqlite"])
def store(request, tmp_path):
    """The same trigger SQL runs on DuckDB and on the state database."""
    return Buffered(open_store(request.param, tmp_path))


def add(store, account, type_, days_ago, quantity=1.0, **properties):
    when = AS_OF - timedelta(days=days_ago, hours=1)
    key = f"{account}:{type_}:{days_ago}:{quantity}:{len(properties)}"
    store.add([EventRecord(event_id("test", key), account, type_, when, quantity, "test", properties)])


def test_negative_sentiment_below_threshold_names_the_worst_items(store):
    add(store, "acct-a", "sentiment_scored", 3, -0.9, record="sentiment:7", kind="ticket")
    add(store, "acct-a", "sentiment_scored", 5, -0.4, record="sentiment:8", kind="ticket")
    add(store, "acct-b", "sentiment_scored", 3, 0.6, record="sentiment:9", kind="ticket")
    add(store, "acct-b", "sentiment_scored", 4, 0.2, record="sentiment:10", kind="ticket")

    [signal] = negative_sentiment_signals(store, Settings(), AS_OF)
    assert signal.account_id == "acct-a"
    assert signal.evidence["reason"] == "below_threshold"
    assert signal.evidence["recent_avg"] == pytest.approx(-0.65)
    assert [item["record"] for item in signal.evidence["items"]] == ["sentiment:7", "sentiment:8"]
    assert "-0.65" in signal.summary


def test_negative_sentiment_drop_against_own_baseline(store):
    for days in (40, 50, 60):
        add(store, "acct-a", "sentiment_scored", days, 0.8)
    add(store, "acct-a", "sentiment_scored", 2, 0.0)
    add(store, "acct-a", "sentiment_scored", 3, 0.1)

    [signal] = negative_sentiment_signals(store, Settings(), AS_OF)
    assert signal.evidence["reason"] == "drop_against_baseline"
    assert signal.evidence["baseline_avg"] == pytest.approx(0.8)


def test_one_angry_item_is_not_enough(store):
    add(store, "acct-a", "sentiment_scored", 2, -1.0)
    assert negative_sentiment_signals(store, Settings(), AS_OF) == []


def test_ticket_spike_by_volume_and_by_reopens(store):
    add(store, "acct-a", "ticket_opened", 60)
    for days in (1, 2, 3, 4):
        add(store, "acct-a", "ticket_opened", days, record=f"sentiment:{days}")
    for days in range(20, 90, 6):  # about two tickets a fortnight is this account's norm
        add(store, "acct-b", "ticket_opened", days)
    add(store, "acct-b", "ticket_opened", 5)
    add(store, "acct-b", "ticket_opened", 6)
    add(store, "acct-b", "ticket_reopened", 2)
    add(store, "acct-c", "ticket_opened", 2)  # one ticket is not a spike

    found = {s.account_id: s for s in ticket_spike_signals(store, Settings(), AS_OF)}
    assert set(found) == {"acct-a", "acct-b"}
    assert found["acct-a"].evidence["reason"] == "volume"
    assert found["acct-a"].evidence["recent_tickets"] == 4
    assert found["acct-a"].evidence["items"][0]["record"] == "sentiment:1"  # newest first
    assert found["acct-b"].evidence["reason"] == "reopen_rate"


def test_detractor_nps_and_csat(store):
    add(store, "acct-a", "nps_response", 10, 4.0, record="sentiment:3", scale_max=10.0)
    add(store, "acct-b", "nps_response", 10, 9.0, scale_max=10.0)
    add(store, "acct-c", "csat_response", 5, 2.0, scale_max=5.0)
    add(store, "acct-d", "csat_response", 5, 4.0, scale_max=5.0)
    add(store, "acct-e", "nps_response", 90, 1.0, scale_max=10.0)  # too old

    found = {s.account_id: s for s in detractor_signals(store, Settings(), AS_OF)}
    assert set(found) == {"acct-a", "acct-c"}
    assert found["acct-a"].evidence["record"] == "sentiment:3"
    assert found["acct-a"].summary.startswith("NPS answer of 4")


def test_detection_and_intake_agree_on_the_event_types():
    assert set(SENTIMENT_EVENT_TYPES) == set(EVENT_TYPES)


def test_tickets_do_not_count_as_usage(store):
    for days in range(31, 60):
        add(store, "acct-a", "login", days)
    for days in range(1, 29):
        add(store, "acct-a", "ticket_opened", days)
    assert [s.account_id for s in silent_churn_signals(store, Settings(), AS_OF)] == ["acct-a"]


def _play(**trigger):
    return Play(name="usage_and_detractor", trigger=trigger, steps=[{"name": "check_in", "kind": "touch", "angle": "check_in"}])


def test_play_combines_usage_drop_with_a_detractor(store):
    for account in ("acct-a", "acct-b"):
        for days in range(31, 60):
            add(store, account, "login", days)
        add(store, account, "login", 5)
    add(store, "acct-a", "nps_response", 20, 2.0, record="sentiment:5", scale_max=10.0)

    play = _play(signal="silent_churn", drop_pct=40, also=[{"signal": "detractor", "within_days": 60}])
    [signal] = scan_play(store, Settings(), play, AS_OF)
    assert signal.account_id == "acct-a"
    assert signal.evidence["also"][0]["kind"] == "detractor"
    assert "NPS answer of 2" in signal.summary

    recent_only = _play(signal="silent_churn", drop_pct=40, also=[{"signal": "detractor", "within_days": 10}])
    assert scan_play(store, Settings(), recent_only, AS_OF) == []


def test_play_file_rejects_a_bad_also_condition():
    with pytest.raises(ValidationError):
        _play(signal="silent_churn", also=[{"signal": "detractor", "within_days": 0}])
    with pytest.raises(ValidationError):
        _play(signal="silent_churn", also=[{"signal": "detractor", "days": 30}])
