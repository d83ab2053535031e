"""The worker keeps customer data out of its logs and survives mail it cannot read."""

from __future__ import annotations

import logging

from sqlalchemy import select

from churnguard.store.models import Reply
from tests.loop.conftest import CUSTOMER, add_collapsing_account
from tests.loop.test_loop_save import customer_reply, parse


def test_logs_carry_ids_not_customer_data(make_loop, caplog):
    caplog.set_level(logging.DEBUG, logger="churnguard")
    loop = make_loop()
    add_collapsing_account(loop.workspace)
    loop.run()
    check_in = parse(loop.messages_for(CUSTOMER)[0])
    loop.deliver_to_agent(customer_reply(check_in, "Can someone call me about the invoice dispute?"))
    loop.run(days=1)

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "sequence 1" in logged
    for canary in (CUSTOMER, "Pat Lee", "Example Freight", "invoice dispute"):
        assert canary not in logged


def test_unreadable_mail_is_kept_and_work_goes_on(make_loop):
    loop = make_loop()
    add_collapsing_account(loop.workspace)
    loop.deliver_to_agent(b"")
    loop.deliver_to_agent(b"\x00\x01\x02 not an email at all \xff\xfe")

    loop.run()

    assert len(loop.messages_for(CUSTOMER)) == 1
    with loop.workspace.db.transaction() as session:
        kept = list(session.scalars(select(Reply)))
    assert len(kept) >= 1
    assert all(reply.verdict == "unknown" for reply in kept)
    assert {bytes(reply.raw) for reply in kept} <= {b"", b"\x00\x01\x02 not an email at all \xff\xfe"}
