"""POST /webhooks/stripe: public fixtures signed with a test secret, the stripe package as oracle."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
import stripe

from churnguard.detect.eventstore import open_event_store
from churnguard.web.inbox import flush_inbox
from churnguard.web.state import WebhookSecrets
from tests.web.conftest import STRIPE_SECRET, WebEnv, stripe_header


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def fixture_events(shared_data_dir: Path) -> list[Path]:
    folder = shared_data_dir / "stripe"
    paths = sorted((folder / "zulip").glob("*.json")) + sorted((folder / "pay-rails").glob("*.json"))
    return [path for path in paths if load(path).get("object") == "event"]


def as_event(data_part: dict[str, Any], stripe_type: str, event_id: str, created: int) -> dict[str, Any]:
    return {"id": event_id, "object": "event", "type": stripe_type, "created": created, "livemode": False,
            "data": data_part}


def subscription_event(event_id: str, created: int, status: str, stripe_type: str = "customer.subscription.updated") -> dict[str, Any]:
    obj = {"id": "sub_test_1", "object": "subscription", "customer": "cus_UZ11RVzkmLf6Cf", "status": status}
    return as_event({"object": obj}, stripe_type, event_id, created)


def invoice_event(event_id: str, created: int, stripe_type: str) -> dict[str, Any]:
    obj = {"id": "in_test_1", "object": "invoice", "customer": "cus_UZ11RVzkmLf6Cf", "amount_due": 4900, "currency": "usd"}
    return as_event({"object": obj}, stripe_type, event_id, created)


def oracle_accepts(body: bytes, header: str, tolerance: int = 300) -> bool:
    try:
        stripe.WebhookSignature.verify_header(body.decode(), header, STRIPE_SECRET, tolerance)
    except stripe.SignatureVerificationError:
        return False
    return True


def test_every_fixture_event_is_accepted(env: WebEnv, shared_data_dir: Path) -> None:
    paths = fixture_events(shared_data_dir)
    assert len(paths) >= 5

    answers = {}
    for path in paths:
        body = path.read_bytes()
        header = stripe_header(body, env.now())
        assert oracle_accepts(body, header), path.name
        response = env.post_stripe(None, body=body, header=header)
        assert response.status_code == 200, (path.name, response.text)
        answers[path.name] = response.json()["status"]

    # Two fixtures from different projects reuse the placeholder id evt_00000000000000.
    unique_ids = {load(path)["id"] for path in paths}
    assert answers["account.updated.json"] == "duplicate"
    rows = env.inbound(source="stripe")
    assert len(rows) == len(unique_ids)
    statuses = {row.kind: row.status for row in rows}
    assert statuses["customer.subscription.updated"] == "pending"
    assert statuses["customer.subscription.deleted"] == "pending"
    assert statuses["invoice.payment_failed"] == "pending"
    assert statuses["charge.failed"] == "unmatched"
    assert env.audit_count() == len(unique_ids)


def test_raw_body_is_kept_byte_for_byte(env: WebEnv, shared_data_dir: Path) -> None:
    body = (shared_data_dir / "stripe" / "zulip" / "invoice_payment_failed.json").read_bytes()
    assert env.post_stripe(None, body=body).status_code == 200

    (row,) = env.inbound(source="stripe")
    assert row.raw == body
    assert (row.account_id, row.external_id) == ("acct-legacy", "evt_00000000000000")


def test_events_reach_the_event_store(env: WebEnv, shared_data_dir: Path) -> None:
    for path in sorted((shared_data_dir / "stripe" / "zulip").glob("*.json")):
        env.post_stripe(None, body=path.read_bytes())

    result = flush_inbox(env.workspace)

    assert (result.stored, result.error) == (3, None)
    store = open_event_store(env.workspace)
    types = sorted(row[0] for row in store.query("SELECT type FROM events", {}))
    assert types == ["payment_failed", "subscription_canceled", "subscription_updated"]
    assert {row.status for row in env.inbound(source="stripe") if row.account_id} == {"stored"}
    assert flush_inbox(env.workspace).stored == 0


def test_subscription_id_read_from_parent(env: WebEnv, shared_data_dir: Path) -> None:
    data = load(shared_data_dir / "stripe" / "pay-rails" / "invoice.payment_failed.json")
    assert data["object"].get("subscription") is None

    response = env.post_stripe(as_event(data, "invoice.payment_failed", "evt_parent_1", env.now() - 60))

    assert response.json()["status"] == "pending"
    (row,) = env.inbound(external_id="evt_parent_1")
    assert row.event["properties"]["subscription_id"] == "sub_1234"
    assert env.account("acct-parent").payment_status == "failed"


def test_duplicate_delivery_is_accepted_once(env: WebEnv) -> None:
    payload = invoice_event("evt_dup_1", env.now() - 10, "invoice.payment_failed")

    first = env.post_stripe(payload)
    second = env.post_stripe(payload)

    assert first.json()["status"] == "pending"
    assert second.status_code == 200
    assert second.json()["status"] == "duplicate"
    assert len(env.inbound(external_id="evt_dup_1")) == 1
    assert env.audit_count() == 1


@pytest.mark.parametrize("case", ["wrong_secret", "tampered", "missing", "no_v1", "reserialized"])
def test_bad_signature_is_rejected(env: WebEnv, case: str) -> None:
    payload = invoice_event("evt_bad_sig", env.now(), "invoice.payment_failed")
    body = json.dumps(payload, indent=2).encode()
    header = stripe_header(body, env.now())
    if case == "wrong_secret":
        header = stripe_header(body, env.now(), secret="whsec_some_other_secret")
    elif case == "tampered":
        body = body.replace(b"4900", b"4901")
    elif case == "missing":
        header = ""
    elif case == "no_v1":
        header = f"t={env.now()},v0=abc"
    elif case == "reserialized":
        body = json.dumps(json.loads(body), separators=(",", ":")).encode()

    assert not oracle_accepts(body, header)
    response = env.client.post("/webhooks/stripe", content=body, headers={"Stripe-Signature": header})
    assert response.status_code == 400
    assert "signature" in response.json()["error"]
    assert env.inbound() == []


def test_replayed_old_signature_is_rejected(env: WebEnv) -> None:
    payload = invoice_event("evt_replay", env.now() - 400, "invoice.payment_failed")
    body = json.dumps(payload).encode()
    header = stripe_header(body, env.now() - 301)

    assert not oracle_accepts(body, header)
    response = env.post_stripe(None, body=body, header=header)

    assert response.status_code == 400
    assert "tolerance" in response.json()["error"]
    assert env.inbound() == []


def test_rotated_secrets_both_verify(make_env: Any) -> None:
    env = make_env(WebhookSecrets(stripe=("whsec_old_secret", STRIPE_SECRET)))

    response = env.post_stripe(invoice_event("evt_rotated", env.now(), "invoice.payment_failed"), secret="whsec_old_secret")

    assert response.status_code == 200


def test_older_subscription_update_never_overwrites(env: WebEnv) -> None:
    base = env.now() - 1000
    newer = env.post_stripe(subscription_event("evt_sub_new", base + 100, "canceled"))
    older = env.post_stripe(subscription_event("evt_sub_old", base, "active"))

    assert newer.json()["state"] == "applied"
    assert older.json()["state"] == "stale"
    assert env.account("acct-zulip").status == "canceled"
    assert len(env.inbound(source="stripe")) == 2


def test_older_payment_event_still_sets_untouched_field(env: WebEnv) -> None:
    base = env.now() - 1000
    env.post_stripe(subscription_event("evt_sub_cancel", base + 100, "canceled", "customer.subscription.deleted"))
    late = env.post_stripe(invoice_event("evt_inv_old", base, "invoice.payment_failed"))

    account = env.account("acct-zulip")
    assert late.json()["state"] == "applied"
    assert (account.status, account.payment_status) == ("canceled", "failed")


def test_same_second_cancellation_wins(env: WebEnv) -> None:
    moment = env.now() - 50
    env.post_stripe(subscription_event("evt_tie_deleted", moment, "canceled", "customer.subscription.deleted"))
    tie = env.post_stripe(subscription_event("evt_tie_active", moment, "active"))

    assert tie.json()["state"] == "stale"
    assert env.account("acct-zulip").status == "canceled"


def test_payment_recovery_follows_event_order(env: WebEnv) -> None:
    base = env.now() - 500
    env.post_stripe(invoice_event("evt_pay_ok", base + 60, "invoice.payment_succeeded"))
    env.post_stripe(invoice_event("evt_pay_fail", base, "invoice.payment_failed"))

    assert env.account("acct-zulip").payment_status == "ok"


def test_unknown_type_is_kept_ignored_and_logged(env: WebEnv, caplog: pytest.LogCaptureFixture) -> None:
    payload = as_event({"object": {"id": "cus_UZ11RVzkmLf6Cf", "object": "customer"}}, "customer.tax_id.created",
                       "evt_unknown_1", env.now())

    with caplog.at_level(logging.INFO, logger="churnguard.web.stripe"):
        response = env.post_stripe(payload)

    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    (row,) = env.inbound(external_id="evt_unknown_1")
    assert (row.status, row.event) == ("ignored", None)
    assert any("evt_unknown_1" in message and "unhandled" in message for message in caplog.messages)
    assert env.account("acct-zulip").updated_at is None


def test_unknown_customer_is_kept_unmatched(env: WebEnv) -> None:
    payload = invoice_event("evt_stranger", env.now(), "invoice.payment_failed")
    payload["data"]["object"]["customer"] = "cus_nobody"

    response = env.post_stripe(payload)

    assert response.json()["status"] == "unmatched"
    assert env.inbound(external_id="evt_stranger")[0].note.startswith("no account")


@pytest.mark.parametrize("body,fragment", [
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "JSON object"),
    (b'{"object": {"id": "in_1"}}', "missing 'type'"),
    (b"", "empty request body"),
])
def test_malformed_signed_body_is_400(env: WebEnv, body: bytes, fragment: str) -> None:
    response = env.post_stripe(None, body=body)

    assert response.status_code == 400
    assert fragment in response.json()["error"]
    assert env.inbound() == []


def test_oversized_body_is_413(make_env: Any) -> None:
    env = make_env(**{"webhooks.max_body_bytes": 2048})
    payload = invoice_event("evt_big", env.now(), "invoice.payment_failed")
    payload["data"]["object"]["description"] = "x" * 4096

    response = env.post_stripe(payload)

    assert response.status_code == 413
    assert "2048-byte limit" in response.json()["error"]
    assert env.inbound() == []


def test_unconfigured_secret_is_503(make_env: Any) -> None:
    env = make_env(WebhookSecrets())

    response = env.post_stripe(invoice_event("evt_nosecret", env.now(), "invoice.payment_failed"))

    assert response.status_code == 503
    assert "CHURNGUARD_STRIPE_WEBHOOK_SECRET" in response.json()["error"]
