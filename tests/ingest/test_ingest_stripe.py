"""Stripe: the normalizer on every public fixture, and imports that apply state in event order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from churnguard.detect.eventstore import open_event_store
from churnguard.ingest.stripe import StripePayloadError, import_stripe, normalize_stripe_event
from churnguard.store.models import Account
from churnguard.workspace import Workspace


def fixtures(shared_data: Path, folder: str) -> list[Path]:
    return sorted((shared_data / "stripe" / folder).glob("*.json"))


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def as_event(data_part: dict[str, Any], stripe_type: str, created: int = 1_700_000_000) -> dict[str, Any]:
    """Wrap a fixture that holds only an event's ``data`` into a whole event."""
    return {"id": f"evt_test_{stripe_type}", "object": "event", "type": stripe_type, "created": created, "data": data_part}


def test_zulip_events_normalize(shared_data: Path) -> None:
    by_name = {p.name: normalize_stripe_event(load(p)) for p in fixtures(shared_data, "zulip")}

    charge = by_name["charge_failed_with_pi.json"]
    assert (charge.type, charge.amount_cents, charge.currency) == ("payment_failed", 2200, "usd")
    assert (charge.failure_message, charge.failure_code, charge.decline_code) == ("Your card was declined.", "card_declined", "generic_decline")
    invoice = by_name["invoice_payment_failed.json"]
    assert (invoice.type, invoice.customer_id, invoice.currency) == ("payment_failed", "cus_00000000000000", "aud")
    deleted = by_name["customer_subscription_deleted_with_collection_method.json"]
    assert (deleted.type, deleted.status, deleted.state_change()) == ("subscription_canceled", "canceled", {"status": "canceled"})
    assert deleted.subscription_id == deleted.object_id
    updated = by_name["customer_subscription_updated_with_collection_method.json"]
    assert (updated.type, updated.created.isoformat()) == ("subscription_updated", "2026-05-26T08:54:08+00:00")


def test_pay_rails_data_parts_normalize(shared_data: Path) -> None:
    for path in fixtures(shared_data, "pay-rails"):
        payload = load(path)
        if payload.get("object") == "event":
            normalized = normalize_stripe_event(payload)
        elif isinstance(payload.get("object"), dict):
            with pytest.raises(StripePayloadError, match="missing 'type'"):
                normalize_stripe_event(payload)
            stripe_type = path.stem if path.stem.startswith(("charge", "invoice", "checkout", "payment_method")) else None
            stripe_type = stripe_type or ("customer." + path.stem if path.stem.startswith("subscription") else path.stem)
            normalized = normalize_stripe_event(as_event(payload, stripe_type))
        else:
            with pytest.raises(StripePayloadError, match="not a Stripe event"):
                normalize_stripe_event(payload)
            continue
        assert normalized.event_id, path.name


def test_invoice_subscription_from_parent(shared_data: Path) -> None:
    data = load(shared_data / "stripe" / "pay-rails" / "invoice.payment_failed.json")
    assert data["object"].get("subscription") is None

    normalized = normalize_stripe_event(as_event(data, "invoice.payment_failed"))

    assert normalized.subscription_id == "sub_1234"
    assert (normalized.type, normalized.amount_cents, normalized.customer_id) == ("payment_failed", 24900, "cus_1234")


def test_subscription_events_map_to_types(shared_data: Path) -> None:
    folder = shared_data / "stripe" / "pay-rails"
    deleted = normalize_stripe_event(as_event(load(folder / "subscription.deleted.json"), "customer.subscription.deleted"))
    unknown = normalize_stripe_event(as_event(load(folder / "customer.updated.json"), "customer.updated"))

    assert deleted.type == "subscription_canceled"
    assert unknown.type == "stripe.customer.updated"
    assert unknown.state_change() == {}


def test_openapi_objects_are_not_events(shared_data: Path) -> None:
    with pytest.raises(StripePayloadError, match="not a Stripe event: missing 'type'"):
        normalize_stripe_event(load(shared_data / "stripe" / "openapi" / "fixtures3.json"))


def add_account(workspace: Workspace, account_id: str, customer: str | None = None) -> None:
    with workspace.db.transaction() as session:
        session.add(Account(id=account_id, billing_customer_id=customer, attributes={}))


def account(workspace: Workspace, account_id: str) -> Account:
    with workspace.db.session() as session:
        return session.scalars(select(Account).where(Account.id == account_id)).one()


def payment(event_id: str, stripe_type: str, created: int, customer: str = "cus_A") -> dict[str, Any]:
    return {"id": event_id, "object": "event", "type": stripe_type, "created": created,
            "data": {"object": {"object": "invoice", "id": "in_1", "customer": customer, "amount_due": 900, "currency": "usd"}}}


def test_import_applies_newest_state_only(workspace: Workspace, tmp_path: Path) -> None:
    add_account(workspace, "acct-a", "cus_A")
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps(payment("evt_2", "invoice.payment_failed", 2000)), encoding="utf-8")
    older = tmp_path / "older.json"
    older.write_text(json.dumps(payment("evt_1", "invoice.paid", 1000)), encoding="utf-8")

    report = import_stripe(workspace, [newer, older])

    assert account(workspace, "acct-a").payment_status == "failed"
    assert (report.inserted, report.updated, report.extra["state_applied"]) == (2, 1, 2)

    late = import_stripe(workspace, [older])
    assert account(workspace, "acct-a").payment_status == "failed"
    assert (late.inserted, late.unchanged, late.extra["state_stale"]) == (0, 1, 1)


def test_import_is_idempotent(workspace: Workspace, tmp_path: Path) -> None:
    add_account(workspace, "acct-a", "cus_A")
    path = tmp_path / "events.json"
    path.write_text(json.dumps([payment("evt_1", "invoice.payment_failed", 1000)]), encoding="utf-8")
    import_stripe(workspace, [path])

    again = import_stripe(workspace, [path])

    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 1)
    assert open_event_store(workspace).count() == 1


def test_bad_files_rejected_rest_imported(workspace: Workspace, tmp_path: Path, shared_data: Path) -> None:
    add_account(workspace, "acct-a")
    good = tmp_path / "good.json"
    good.write_text(json.dumps(payment("evt_1", "invoice.payment_failed", 1000, "cus_MAPPED")), encoding="utf-8")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    account_map = tmp_path / "map.csv"
    account_map.write_text("customer_id,account_id\ncus_MAPPED,acct-a\n", encoding="utf-8")
    objects = shared_data / "stripe" / "openapi" / "fixtures3.json"
    unmatched = tmp_path / "unmatched.json"
    unmatched.write_text(json.dumps(payment("evt_9", "invoice.payment_failed", 1000, "cus_OTHER")), encoding="utf-8")

    report = import_stripe(workspace, [good, broken, objects, unmatched], account_map)

    assert (report.inserted, report.rejected) == (1, 3)
    assert account(workspace, "acct-a").billing_customer_id == "cus_MAPPED"
    reasons = [json.loads(line)["reason"] for line in Path(report.rejects_path or "").read_text().splitlines()]
    assert "broken.json: not JSON; export Stripe events as JSON" in reasons
    assert any(r.startswith("fixtures3.json, event 1: not a Stripe event: missing 'type'") for r in reasons)
    assert any("no account for the customer of event evt_9" in r for r in reasons)
    assert not any("cus_OTHER" in r for r in reasons)


def test_all_public_fixtures_import(workspace: Workspace, shared_data: Path) -> None:
    paths = fixtures(shared_data, "zulip") + fixtures(shared_data, "pay-rails")
    add_account(workspace, "acct-zulip", "cus_UZ11RVzkmLf6Cf")
    add_account(workspace, "acct-invoice", "cus_00000000000000")

    report = import_stripe(workspace, paths)

    assert report.rows == len(paths)
    assert report.inserted == 3
    assert account(workspace, "acct-invoice").payment_status == "failed"
    # The newer update (another subscription, still trialing) wins over the older cancel.
    assert account(workspace, "acct-zulip").status == "active"
