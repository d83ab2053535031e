"""Each shipped play run through time: signal, touches, replies or silence, outcome."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from churnguard.detect.eventstore import EventRecord, event_id, open_event_store
from churnguard.domain import Signal, SignalKind
from churnguard.sequences.approvals import pending_drafts
from churnguard.sequences.start import start_sequences
from churnguard.store.models import Account, AuditEvent, Contact, Sequence, Touch
from tests.loop.conftest import AGENT, CUSTOMER, START, add_collapsing_account
from tests.loop.test_loop_save import customer_reply, parse


def _account(workspace, account_id="acct-9", *, status="active", mrr_cents=19900, plan="Team"):
    with workspace.db.transaction() as session:
        session.add(Account(id=account_id, name="Example Freight", plan=plan, mrr_cents=mrr_cents, status=status, owner_identity_id=AGENT.id))
        session.flush()
        session.add(Contact(account_id=account_id, email=CUSTOMER, name="Pat Lee", is_main=True, timezone="America/New_York"))


def _event(workspace, account_id, kind, when, **properties):
    record = EventRecord(event_id("test", f"{account_id}:{kind}:{when.isoformat()}"), account_id, kind, when, 1.0, "test", properties)
    open_event_store(workspace).add([record])


def _body(raw: bytes) -> str:
    return parse(raw).get_body(("plain",)).get_content()


def _sequence(loop):
    with loop.workspace.db.transaction() as session:
        return session.scalar(select(Sequence))


def test_failed_payment_stops_when_paid(make_loop):
    loop = make_loop(**{"plays.failed_payment.update_card_url": "https://billing.example.com/card/acct-9"})
    _account(loop.workspace)
    _event(loop.workspace, "acct-9", "payment_failed", START - timedelta(days=1), amount_cents=19900, currency="usd",
           failure_message="Your card was declined.")

    loop.run()
    note = _body(loop.messages_for(CUSTOMER)[0])
    assert "https://billing.example.com/card/acct-9" in note
    assert "Your card was declined" in note
    with loop.workspace.db.transaction() as session:
        account = session.get(Account, "acct-9")
        assert (account.payment_status, account.attributes.get("dunning_step")) == ("failed", 1)

    _event(loop.workspace, "acct-9", "payment_succeeded", START + timedelta(days=1))
    loop.run(days=2)
    loop.run(days=5)

    assert len(loop.messages_for(CUSTOMER)) == 1
    assert loop.messages_for(AGENT.csm_email) == []  # nobody is paged for a recovered payment
    sequence = _sequence(loop)
    assert (sequence.state, sequence.stop_reason) == ("stopped", "payment_recovered")
    with loop.workspace.db.transaction() as session:
        account = session.get(Account, "acct-9")
        assert account.payment_status == "ok"
        assert "dunning_step" not in account.attributes


def test_failed_payment_reminds_before_retry(make_loop):
    loop = make_loop()
    _account(loop.workspace)
    retry = START + timedelta(days=2)
    _event(loop.workspace, "acct-9", "payment_failed", START - timedelta(hours=2), next_payment_attempt=int(retry.timestamp()))
    loop.run()

    # The play waits 3 days, but the card is retried in 2: the reminder goes the day before.
    assert _sequence(loop).due_at == datetime(2026, 3, 3, 15, 0, tzinfo=timezone.utc)


def test_cancel_intercept_answers_price_reason(make_loop):
    loop = make_loop()
    _account(loop.workspace)
    signal = Signal("acct-9", SignalKind.CANCEL_REQUEST, START, {"reason": "price"}, "cancel form (price)")
    report = start_sequences(loop.workspace.db, loop.workspace.settings, loop.agent.playbook, [signal], START)
    assert report.started == 1

    loop.clock.set(datetime(2026, 3, 8, 3, 0, tzinfo=timezone.utc))  # Saturday night: the intercept does not wait
    loop.run()

    body = _body(loop.messages_for(CUSTOMER)[0])
    assert "cost" in body
    assert "20% off on your Team plan" in body


def test_cancel_intercept_missing_feature_offers_no_discount(make_loop):
    loop = make_loop()
    _account(loop.workspace)
    signal = Signal("acct-9", SignalKind.CANCEL_REQUEST, START, {"reason": "missing_feature"}, "cancel form")
    start_sequences(loop.workspace.db, loop.workspace.settings, loop.agent.playbook, [signal], START)
    loop.run()

    body = _body(loop.messages_for(CUSTOMER)[0])
    assert "which feature" in body
    assert "%" not in body


def test_win_back_stops_on_reply(make_loop):
    loop = make_loop()
    _account(loop.workspace, status="canceled")
    _event(loop.workspace, "acct-9", "subscription_canceled", START - timedelta(days=20))

    loop.run()
    first = parse(loop.messages_for(CUSTOMER)[0])
    assert "left Example Analytics" in _body(loop.messages_for(CUSTOMER)[0])

    loop.deliver_to_agent(customer_reply(first, "Thanks, we are happy where we are now. Not interested."))
    loop.run(days=1)
    loop.run(days=20)

    assert len(loop.messages_for(CUSTOMER)) == 1
    assert _sequence(loop).stop_reason == "reply_lost"


def test_win_back_offer_then_resubscribe(make_loop):
    loop = make_loop()
    _account(loop.workspace, status="canceled")
    _event(loop.workspace, "acct-9", "subscription_canceled", START - timedelta(days=20))

    loop.run()
    loop.run(days=14)
    assert "1 month free" in _body(loop.messages_for(CUSTOMER)[1])

    with loop.workspace.db.transaction() as session:
        session.get(Account, "acct-9").status = "active"
    loop.run(days=1)
    assert _sequence(loop).stop_reason == "resubscribed"


def test_executive_account_waits_for_approval(make_loop):
    loop = make_loop()
    add_collapsing_account(loop.workspace, mrr_cents=900000)

    loop.run()
    assert loop.messages_for(CUSTOMER) == []
    assert _sequence(loop).state == "awaiting_approval"

    with loop.workspace.db.transaction() as session:
        draft = pending_drafts(session)[0]
        sender = loop.agent.sender_for(session, draft.identity_id)
        from churnguard.sequences.approvals import approve

        approve(session, draft.id, "lead", sender.dkim_key, loop.clock.now(), body="Hi Pat,\n\nA short note from me.\n\nDana\n")
    loop.run(days=0.01)

    delivered = loop.messages_for(CUSTOMER)
    assert len(delivered) == 1
    assert "A short note from me." in _body(delivered[0])
    with loop.workspace.db.transaction() as session:
        approved = session.scalar(select(AuditEvent).where(AuditEvent.type == "draft.approved"))
        assert approved.detail["approver"] == "lead"
        assert approved.detail["edited"] is True
        assert session.scalar(select(Touch.approved_by)) == "lead"


def test_rejected_draft_skips_its_step(make_loop):
    loop = make_loop()
    add_collapsing_account(loop.workspace, mrr_cents=900000)
    loop.run()

    with loop.workspace.db.transaction() as session:
        from churnguard.sequences.approvals import reject

        reject(session, pending_drafts(session)[0].id, "lead", loop.clock.now(), reason="tone")
    loop.run(days=0.01)

    assert loop.messages_for(CUSTOMER) == []
    with loop.workspace.db.transaction() as session:
        drafts = pending_drafts(session)
        assert len(drafts) == 1  # the next step's draft, not the rejected one
        assert session.scalar(select(Sequence.step_index)) == 1


def test_usage_recovery_stops_silent_churn(make_loop):
    loop = make_loop()
    add_collapsing_account(loop.workspace)
    loop.run()
    for day in range(1, 4):
        for index in range(8):
            _event(loop.workspace, "acct-1", "dashboard_view", START + timedelta(days=day, minutes=index))

    loop.run(days=4)

    assert len(loop.messages_for(CUSTOMER)) == 1
    assert _sequence(loop).stop_reason == "usage_recovered"


def test_out_of_office_pauses_until_return(make_loop):
    loop = make_loop()
    add_collapsing_account(loop.workspace)
    loop.run()
    check_in = parse(loop.messages_for(CUSTOMER)[0])

    notice = parse(customer_reply(check_in, "I am out of the office and will be back on March 16, 2026.", quote=False))
    notice.replace_header("Subject", "Automatic reply: " + str(check_in["Subject"]))
    notice["Auto-Submitted"] = "auto-replied"
    loop.deliver_to_agent(notice.as_bytes())
    loop.run(days=0.1)

    sequence = _sequence(loop)
    assert sequence.state == "paused"
    assert sequence.due_at == datetime(2026, 3, 16, 9, 0, tzinfo=timezone.utc)

    loop.run(days=5)  # the follow-up would be due now; the pause holds it
    assert len(loop.messages_for(CUSTOMER)) == 1

    loop.clock.set(datetime(2026, 3, 16, 15, 0, tzinfo=timezone.utc))
    loop.run()
    assert len(loop.messages_for(CUSTOMER)) == 2
    with loop.workspace.db.transaction() as session:
        types = [row.type for row in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert "sequence.paused" in types and "sequence.resumed" in types
