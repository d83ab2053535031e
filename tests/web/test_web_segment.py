"""The Segment-compatible source: write-key auth, group links, batches with quarantined items."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from churnguard.store.inbound_models import SegmentUser
from churnguard.store.models import Contact
from churnguard.web.inbox import flush_inbox
from churnguard.web.segment_messages import event_type
from churnguard.detect.eventstore import open_event_store
from tests.web.conftest import WebEnv


def track(message_id: str, event: str = "Report Exported", **extra: Any) -> dict[str, Any]:
    return {"type": "track", "messageId": message_id, "userId": "user-7", "event": event,
            "timestamp": "2026-03-01T10:00:00Z", **extra}


def group(message_id: str = "g-1", group_id: str = "acct-zulip", **traits: Any) -> dict[str, Any]:
    return {"type": "group", "messageId": message_id, "userId": "user-7", "groupId": group_id, "traits": traits}


def stored_events(env: WebEnv) -> list[tuple[Any, ...]]:
    flush_inbox(env.workspace)
    return open_event_store(env.workspace).query("SELECT account_id, type, quantity FROM events ORDER BY id", {})


@pytest.mark.parametrize("key,status", [("wrong-key", 401), ("", 401)])
def test_write_key_is_required(env: WebEnv, key: str, status: int) -> None:
    response = env.post_segment("/v1/track", track("t-auth"), key=key)

    assert response.status_code == status
    assert "write key" in response.json()["error"]
    assert env.inbound() == []


def test_missing_authorization_is_401(env: WebEnv) -> None:
    response = env.client.post("/v1/track", content=json.dumps(track("t-none")).encode())

    assert response.status_code == 401


def test_group_links_user_and_updates_account(env: WebEnv) -> None:
    response = env.post_segment("/v1/group", group(name="Example Freight GmbH", plan="Scale"))

    assert response.status_code == 200
    assert response.json()["success"] is True
    account = env.account("acct-zulip")
    assert (account.name, account.plan) == ("Example Freight GmbH", "Scale")
    with env.workspace.db.session() as session:
        link = session.get(SegmentUser, "user-7")
    assert link is not None and link.account_id == "acct-zulip"
    assert env.inbound(source="segment")[0].status == "applied"


def test_track_after_group_lands_on_account(env: WebEnv) -> None:
    env.post_segment("/v1/group", group())
    env.post_segment("/v1/track", track("t-1", properties={"quantity": 3}))

    assert stored_events(env) == [("acct-zulip", "report_exported", 3.0)]


def test_context_group_id_ties_track(env: WebEnv) -> None:
    message = track("t-ctx", event="Signed In", context={"groupId": "acct-parent"})

    response = env.post_segment("/v1/track", message)

    assert response.json()["by_status"] == {"pending": 1}
    assert stored_events(env) == [("acct-parent", "signed_in", 1.0)]


def test_track_without_account_is_unmatched(env: WebEnv) -> None:
    response = env.post_segment("/v1/track", track("t-lost"))

    assert response.status_code == 200
    (row,) = env.inbound(source="segment")
    assert (row.status, row.account_id) == ("unmatched", None)
    assert "groupId" in row.note


def test_identify_adds_contact(env: WebEnv) -> None:
    env.post_segment("/v1/group", group())
    message = {"type": "identify", "messageId": "i-1", "userId": "user-7",
               "traits": {"email": "kim.ito@customer.example.org", "firstName": "Kim", "lastName": "Ito", "title": "COO"},
               "context": {"timezone": "Europe/Berlin", "locale": "de-DE"}}

    response = env.post_segment("/v1/identify", message)

    assert response.status_code == 200
    with env.workspace.db.session() as session:
        contact = session.scalar(select(Contact).where(Contact.email == "kim.ito@customer.example.org"))
        link = session.get(SegmentUser, "user-7")
        assert contact is not None
        assert (contact.account_id, contact.name, contact.title) == ("acct-zulip", "Kim Ito", "COO")
        assert (contact.timezone, contact.language) == ("Europe/Berlin", "de")
        assert link is not None and link.contact_id == contact.id


def test_duplicate_message_id_is_accepted_once(env: WebEnv) -> None:
    env.post_segment("/v1/group", group())
    first = env.post_segment("/v1/track", track("t-dup"))
    second = env.post_segment("/v1/track", track("t-dup"))

    assert first.json()["accepted"] == 1
    assert (second.json()["accepted"], second.json()["duplicates"]) == (0, 1)
    assert len(stored_events(env)) == 1


def test_message_without_id_dedupes_by_content(env: WebEnv) -> None:
    message = track("unused", context={"groupId": "acct-zulip"})
    del message["messageId"]

    env.post_segment("/v1/track", message)
    again = env.post_segment("/v1/track", message)

    assert again.json()["duplicates"] == 1


def test_batch_quarantines_bad_items(env: WebEnv) -> None:
    batch = {"batch": [
        group("b-0"),
        track("b-1"),
        {"type": "track", "messageId": "b-2", "userId": "user-7"},
        "not a message",
        track("b-4", event="Dashboard Viewed"),
        {"type": "alias", "messageId": "b-5", "userId": "user-7", "previousId": "anon-1"},
    ]}

    response = env.post_segment("/v1/batch", batch)

    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 4
    assert [item["index"] for item in body["rejected"]] == [2, 3]
    assert "event" in body["rejected"][0]["error"]
    rejected = env.inbound(status="rejected")
    assert len(rejected) == 2
    assert all(row.note.startswith("batch index") for row in rejected)
    assert [row[1] for row in stored_events(env)] == ["report_exported", "dashboard_viewed"]
    assert env.audit_count() == 4


def test_batch_context_applies_to_each_message(env: WebEnv) -> None:
    batch = {"context": {"groupId": "acct-legacy"}, "batch": [track("c-1"), track("c-2", context={"groupId": "acct-parent"})]}

    env.post_segment("/v1/batch", batch)

    assert sorted(row[0] for row in stored_events(env)) == ["acct-legacy", "acct-parent"]


@pytest.mark.parametrize("path,body,status,fragment", [
    ("/v1/track", b"{oops", 400, "not valid JSON"),
    ("/v1/track", b"[]", 400, "JSON object"),
    ("/v1/track", json.dumps({"type": "track", "userId": "u"}).encode(), 400, "missing field 'event'"),
    ("/v1/track", json.dumps({"type": "group", "userId": "u", "groupId": "g"}).encode(), 400, "this endpoint takes 'track'"),
    ("/v1/group", json.dumps({"type": "group", "userId": "u"}).encode(), 400, "missing field 'groupId'"),
    ("/v1/identify", json.dumps({"type": "identify"}).encode(), 400, "'userId' or 'anonymousId'"),
    ("/v1/track", json.dumps({"type": "track", "userId": "u", "event": "E", "timestamp": "soon"}).encode(), 400, "ISO 8601"),
    ("/v1/batch", json.dumps({"batch": {}}).encode(), 400, "missing field 'batch'"),
])
def test_malformed_calls_are_400(env: WebEnv, path: str, body: bytes, status: int, fragment: str) -> None:
    response = env.post_segment(path, None, body=body)

    assert response.status_code == status
    assert fragment in response.json()["error"]
    assert env.inbound() == []


def test_oversized_single_call_is_413(make_env: Any) -> None:
    env = make_env(**{"webhooks.segment_max_message_bytes": 1024})
    message = track("big", context={"groupId": "acct-zulip"}, properties={"note": "x" * 2000})

    response = env.post_segment("/v1/track", message)

    assert response.status_code == 413
    assert env.inbound() == []


def test_oversized_batch_item_is_quarantined(make_env: Any) -> None:
    env = make_env(**{"webhooks.segment_max_message_bytes": 1024})
    batch = {"batch": [track("ok", context={"groupId": "acct-zulip"}),
                       track("big", context={"groupId": "acct-zulip"}, properties={"note": "x" * 2000})]}

    body = env.post_segment("/v1/batch", batch).json()

    assert body["accepted"] == 1
    assert body["rejected"] == [{"index": 1, "error": "message is over the 1024-byte limit"}]


def test_oversized_batch_is_413(make_env: Any) -> None:
    env = make_env(**{"webhooks.max_body_bytes": 4096})
    batch = {"batch": [track(f"m-{index}", context={"groupId": "acct-zulip"}) for index in range(100)]}

    response = env.post_segment("/v1/batch", batch)

    assert response.status_code == 413
    assert env.inbound() == []


def test_sent_at_corrects_client_clock(env: WebEnv) -> None:
    message = {"type": "track", "messageId": "skew", "userId": "user-7", "event": "Signed In",
               "context": {"groupId": "acct-zulip"},
               "originalTimestamp": "2026-03-01T10:00:00Z", "sentAt": "2026-03-01T10:05:00Z"}

    env.post_segment("/v1/track", message)

    (row,) = env.inbound(external_id="skew")
    assert row.occurred_at == env.clock.now() - timedelta(minutes=5)


@pytest.mark.parametrize("name,slug", [
    ("Signed In", "signed_in"),
    ("Report Exported!", "report_exported"),
    ("  ", "track"),
    ("x" * 100, "x" * 64),
])
def test_event_type_slug(name: str, slug: str) -> None:
    assert event_type(name) == slug
