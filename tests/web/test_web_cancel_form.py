"""POST /webhooks/cancel-form: signed submissions start cancel_intercept with the reason as evidence."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from sqlalchemy import select

from churnguard.domain import PlayName, SignalKind
from churnguard.mail.maildir import maildir_path
from churnguard.store.inbound_models import cancel_reason_text, load_inbound
from churnguard.store.models import Sequence, SignalRow
from churnguard.web.cancel_reasons import REASONS, classify_reason
from tests.web.conftest import CONTACT, WebEnv

REASON_TEXT = "Honestly the price went up too much for our team this year."


def form(form_id: str = "form-1", **overrides: Any) -> dict[str, Any]:
    data = {"id": form_id, "account_id": "acct-zulip", "contact_email": CONTACT, "reason_text": REASON_TEXT}
    data.update(overrides)
    return data


def signals(env: WebEnv) -> list[SignalRow]:
    with env.workspace.db.session() as session:
        return list(session.scalars(select(SignalRow).order_by(SignalRow.id)))


def test_submission_records_signal_with_reason(env: WebEnv) -> None:
    response = env.post_form(form())

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "pending"
    assert body["sequence"] == "started"
    (signal,) = signals(env)
    assert signal.kind == SignalKind.CANCEL_REQUEST.value
    assert signal.evidence["reason"] == "price"
    assert signal.evidence["reason_source"] == "text"
    assert signal.evidence["reason_ref"] == f"inbound:{body['inbound_id']}"
    assert signal.evidence["contact_id"] is not None


def test_reason_text_stays_out_of_signal(env: WebEnv) -> None:
    body = env.post_form(form()).json()

    (signal,) = signals(env)
    assert "price went up" not in json.dumps(signal.evidence) + signal.summary
    with env.workspace.db.session() as session:
        row = load_inbound(session, signal.evidence["reason_ref"])
        assert row is not None and row.id == body["inbound_id"]
        assert cancel_reason_text(row) == REASON_TEXT


def test_submission_starts_sequence_within_seconds(env: WebEnv) -> None:
    began = time.monotonic()
    response = env.post_form(form())
    elapsed = time.monotonic() - began

    assert response.json()["sequence"] == "started"
    assert elapsed < 2.0
    with env.workspace.db.session() as session:
        sequence = session.scalar(select(Sequence).where(Sequence.account_id == "acct-zulip"))
    assert sequence is not None
    assert sequence.play == PlayName.CANCEL_INTERCEPT.value
    # The server sent the save offer right after answering, without waiting for a worker.
    assert sequence.state == "waiting"
    delivered = list((maildir_path(env.workspace.mail_root, CONTACT) / "new").iterdir())
    assert len(delivered) == 1


def test_form_category_overrides_text(env: WebEnv) -> None:
    env.post_form(form(reason="switching"))

    (signal,) = signals(env)
    assert (signal.evidence["reason"], signal.evidence["reason_source"]) == ("switching", "form")


def test_duplicate_submission_records_once(env: WebEnv) -> None:
    first = env.post_form(form())
    second = env.post_form(form())

    assert first.json()["status"] == "pending"
    assert second.json()["status"] == "duplicate"
    assert len(env.inbound(source="cancel_form")) == 1
    assert len(signals(env)) == 1
    assert env.audit_count() == 1


def test_unknown_account_is_kept_unmatched(env: WebEnv) -> None:
    response = env.post_form(form(account_id="acct-missing"))

    assert response.status_code == 200
    assert response.json()["status"] == "unmatched"
    assert "sequence" not in response.json()
    assert signals(env) == []


def test_bad_signature_is_rejected(env: WebEnv) -> None:
    response = env.post_form(form(), secret="not-the-form-secret")

    assert response.status_code == 400
    assert env.inbound() == []


def test_old_signature_is_rejected(env: WebEnv) -> None:
    response = env.post_form(form(), timestamp=env.now() - 3600)

    assert response.status_code == 400
    assert "tolerance" in response.json()["error"]


@pytest.mark.parametrize("overrides,status,fragment", [
    ({"account_id": None}, 422, "missing field 'account_id'"),
    ({"id": 17}, 422, "invalid field 'id'"),
    ({"reason": "bored"}, 422, "invalid field 'reason'"),
    ({"reason_text": "x" * 5001}, 422, "longer than 5000"),
    ({"submitted_at": "yesterday"}, 422, "submitted_at"),
])
def test_invalid_fields_are_422(env: WebEnv, overrides: dict[str, Any], status: int, fragment: str) -> None:
    response = env.post_form(form(**overrides))

    assert response.status_code == status
    assert fragment in response.json()["error"]
    assert env.inbound() == []


def test_non_json_content_type_is_415(env: WebEnv) -> None:
    response = env.client.post("/webhooks/cancel-form", content=b"id=1", headers={"Content-Type": "application/x-www-form-urlencoded"})

    assert response.status_code == 415


@pytest.mark.parametrize("text,reason", [
    ("It's too expensive for us now", "price"),
    ("We need an integration with our CRM and it is missing", "missing_feature"),
    ("We are not using it anymore", "not_using"),
    ("We are switching to a competitor", "switching"),
    ("Your support never answered our ticket", "support"),
    ("Our company is closing down next month", "moving"),
    ("", "other"),
    ("no particular reason", "other"),
])
def test_classify_reason(text: str, reason: str) -> None:
    assert classify_reason(text) == reason
    assert reason in REASONS
