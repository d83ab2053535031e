"""The signed ticket and survey webhooks: realistic deliveries, forgeries, replays and bad bodies."""

from __future__ import annotations

import json
import logging

from sqlalchemy import select

from churnguard.detect.eventstore import open_event_store
from churnguard.sentiment.records import list_unmatched, open_text
from churnguard.store.inbound_models import InboundEvent
from tests.sentiment.conftest import CUSTOMER, TICKETS_SECRET

ANGRY = "The CSV export has failed every night since Monday and nobody answers. This is unacceptable."


def ticket(ticket_id="48213", *, body=ANGRY, email=CUSTOMER, status="open", updated="2026-03-02T10:00:00Z", **extra):
    """A Zendesk-like ticket event with the requester nested, as helpdesks send it."""
    data = {"ticket": {"id": int(ticket_id), "subject": "Export fails every night", "description": body, "status": status,
                       "priority": "high", "requester": {"email": email, "name": "Pat Lee"},
                       "created_at": "2026-03-02T09:12:00Z", "updated_at": updated, **extra}}
    return data


def test_ticket_is_matched_scored_sealed_and_stored(env, caplog):
    caplog.set_level(logging.DEBUG)
    response = env.post("/webhooks/tickets", ticket())
    assert response.status_code == 200, response.text
    assert response.json()["match"] == "address"
    assert response.json()["account_id"] == "acct-freight"

    [record] = env.records()
    assert record.sentiment is not None and record.sentiment < -0.3
    assert record.sentiment_label == "negative"
    with env.workspace.db.session() as session:
        values = open_text(session, session.merge(record))
    assert values["subject"] == "Export fails every night"
    assert "nobody" in " ".join(values["phrases"]) or "unacceptable" in " ".join(values["phrases"])

    assert env.flush() == 2  # ticket_opened and sentiment_scored
    types = {row[0] for row in open_event_store(env.workspace).query("SELECT type FROM events", {})}
    assert types == {"ticket_opened", "sentiment_scored"}
    assert "Export fails" not in caplog.text
    assert "nobody answers" not in caplog.text


def test_ticket_text_is_not_in_the_database_file_in_plaintext(env):
    assert env.post("/webhooks/tickets", ticket(body="Canary-ticket-7Q2 the sync is broken")).status_code == 200
    env.flush()
    for path in env.workspace.root.rglob("*"):
        if path.is_file() and path.suffix in (".sqlite3", ".duckdb", ".sqlite3-wal", ".wal", ".jsonl"):
            assert b"Canary-ticket-7Q2" not in path.read_bytes(), path.name
    with env.workspace.db.session() as session:
        assert all(b"Canary" not in row.raw for row in session.scalars(select(InboundEvent)))


def test_replayed_delivery_changes_nothing(env):
    first = env.post("/webhooks/tickets", ticket())
    again = env.post("/webhooks/tickets", ticket())
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert again.json()["inbound_id"] == first.json()["inbound_id"]
    assert len(env.records()) == 1


def test_reopened_ticket_adds_a_reopen_and_older_updates_are_ignored(env):
    env.post("/webhooks/tickets", ticket(status="solved", updated="2026-03-02T11:00:00Z"))
    reopened = env.post("/webhooks/tickets", ticket(status="open", updated="2026-03-02T12:00:00Z"))
    stale = env.post("/webhooks/tickets", ticket(status="solved", updated="2026-03-02T10:30:00Z"))
    assert reopened.status_code == stale.status_code == 200
    [record] = env.records()
    assert (record.status, record.reopen_count) == ("open", 1)
    env.flush()
    reopens = open_event_store(env.workspace).query("SELECT id FROM events WHERE type = :t", {"t": "ticket_reopened"})
    assert len(reopens) == 1


def test_bad_signature_is_rejected_and_nothing_is_kept(env):
    response = env.post("/webhooks/tickets", ticket(), secret="not-the-secret")
    assert response.status_code == 400
    assert "signature does not match" in response.json()["error"]
    assert env.records() == []


def test_old_signature_is_a_replay(env):
    stamp = int(env.clock.now().timestamp()) - 3600
    response = env.post("/webhooks/tickets", ticket(), timestamp=stamp)
    assert response.status_code == 400
    assert "replayed" in response.json()["error"]


def test_unknown_account_is_kept_and_listed(env):
    response = env.post("/webhooks/tickets", ticket("777", email="someone@elsewhere.example.com"))
    assert response.status_code == 200
    assert response.json()["match"] == "unmatched"
    with env.workspace.db.session() as session:
        [listed] = list_unmatched(session)
    assert listed["external_id"] == "777"
    assert "no contact" in listed["note"]
    assert env.flush() == 0


def test_colleague_at_the_same_domain_matches_by_domain(env):
    response = env.post("/webhooks/tickets", ticket("778", email="sam.doe@freight.example.org"))
    assert response.json()["match"] == "domain"
    assert response.json()["account_id"] == "acct-freight"


def test_non_utf8_body_gets_400(env):
    body = json.dumps(ticket()).encode().replace(b"nobody", b"nob\xf6dy")
    response = env.post("/webhooks/tickets", body=body)
    assert response.status_code == 400
    assert "UTF-8" in response.json()["error"]


def test_latin1_text_sent_as_utf8_escapes_is_kept(env):
    response = env.post("/webhooks/tickets", ticket(body="Der Export ist schon wieder kaputt, \u00e4rgerlich."))
    assert response.status_code == 200
    assert env.records()[0].sentiment_label == "negative"


def test_huge_body_gets_413_before_reading_it_all(env):
    body = json.dumps(ticket(body="x" * 600_000)).encode()
    response = env.post("/webhooks/tickets", body=body)
    assert response.status_code == 413
    assert "limit" in response.json()["error"]


def test_long_text_under_the_body_limit_gets_422(env):
    response = env.post("/webhooks/tickets", ticket(body="slow " * 5000))
    assert response.status_code == 422
    assert "'body'" in response.json()["error"] or "'description'" in response.json()["error"]


def test_missing_id_and_wrong_type_get_422_naming_the_field(env):
    bad = ticket()
    del bad["ticket"]["id"]
    assert "'id'" in env.post("/webhooks/tickets", bad).json()["error"]
    response = env.post("/webhooks/surveys", {"id": "r1", "type": "nps", "score": 14, "email": CUSTOMER})
    assert response.status_code == 422
    assert "'score'" in response.json()["error"]


def test_unconfigured_secret_gets_503(env, monkeypatch):
    monkeypatch.delenv("CHURNGUARD_TICKETS_SECRET")
    response = env.post("/webhooks/tickets", ticket(), secret=TICKETS_SECRET)
    assert response.status_code == 503
    assert "CHURNGUARD_TICKETS_SECRET" in response.json()["error"]


def test_form_encoded_body_gets_415(env):
    response = env.post("/webhooks/tickets", ticket(), headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415


def test_nps_detractor_with_comment(env):
    payload = {"id": "resp-9001", "survey_id": "nps-q1", "type": "nps", "score": 3, "respondent_email": CUSTOMER,
               "comment": "Support never gets back to us and the reports are wrong.", "responded_at": "2026-03-01T08:00:00Z"}
    response = env.post("/webhooks/surveys", payload)
    assert response.status_code == 200, response.text
    assert env.post("/webhooks/surveys", payload).json()["status"] == "duplicate"
    [record] = env.records()
    assert (record.survey_type, record.survey_score, record.sentiment_label) == ("nps", 3.0, "negative")
    assert env.flush() == 2
    rows = open_event_store(env.workspace).query("SELECT type, quantity FROM events ORDER BY type", {})
    assert rows[0][0] == "nps_response" and float(rows[0][1]) == 3.0
