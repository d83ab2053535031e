"""A crash around the transport call neither duplicates nor loses a touch."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from churnguard.errors import TransportError
from churnguard.store.models import Identity, Touch
from tests.loop.conftest import CUSTOMER, add_collapsing_account


class CrashAfterSend(Exception):
    """Stands in for the process dying after the server accepted the message."""


def _crash_after(transport):
    real_send = transport.send

    def send(*args, **kwargs):
        real_send(*args, **kwargs)
        raise CrashAfterSend

    return send


def _crash_before(transport):
    def send(*args, **kwargs):
        raise CrashAfterSend

    return send


@pytest.mark.parametrize("crash", [_crash_before, _crash_after], ids=["before-submit", "after-accept"])
def test_crash_is_reconciled_once(make_loop, crash):
    # A lease of zero lets the next pass treat the crashed send as abandoned at once.
    loop = make_loop(**{"run.send_lease_seconds": 0.0})
    add_collapsing_account(loop.workspace)
    transport = loop.agent.transport_for("dana-agent")
    honest_send = transport.send
    transport.send = crash(transport)

    with pytest.raises(CrashAfterSend):
        loop.run()
    with loop.workspace.db.transaction() as session:
        assert session.scalar(select(Touch.state)) == "sending"

    transport.send = honest_send
    loop.run()
    loop.run()

    assert len(loop.messages_for(CUSTOMER)) == 1
    with loop.workspace.db.transaction() as session:
        assert session.scalar(select(Touch.state)) == "sent"


def test_temporary_failure_retries_same_bytes(make_loop):
    loop = make_loop()
    add_collapsing_account(loop.workspace)
    transport = loop.agent.transport_for("dana-agent")
    honest_send = transport.send
    seen: list[bytes] = []

    def flaky(raw, **kwargs):
        seen.append(raw)
        if len(seen) == 1:
            raise TransportError("451 try again later", retryable=True)
        return honest_send(raw, **kwargs)

    transport.send = flaky
    loop.run()
    loop.run(days=0.1)

    assert len(seen) == 2 and seen[0] == seen[1]
    assert len(loop.messages_for(CUSTOMER)) == 1


def test_revoked_identity_sends_nothing(make_loop):
    loop = make_loop()
    add_collapsing_account(loop.workspace)
    loop.run()
    with loop.workspace.db.transaction() as session:
        session.get(Identity, "dana-agent").state = "revoked"

    loop.run(days=30)

    assert len(loop.messages_for(CUSTOMER)) == 1
    with loop.workspace.db.transaction() as session:
        from churnguard.store.models import Sequence

        sequence = session.scalar(select(Sequence))
        assert (sequence.state, sequence.stop_reason) == ("stopped", "identity_revoked")


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)  # SQLite runs a single worker
def test_live_lease_blocks_reconciling(make_loop):
    loop = make_loop()
    add_collapsing_account(loop.workspace)
    transport = loop.agent.transport_for("dana-agent")
    honest_send = transport.send
    transport.send = _crash_after(transport)
    with pytest.raises(CrashAfterSend):
        loop.run()

    transport.send = honest_send
    loop.run()

    # Another worker may still be inside its transport call: nothing is resent while the lease runs.
    assert len(loop.messages_for(CUSTOMER)) == 1
    with loop.workspace.db.transaction() as session:
        assert session.scalar(select(Touch.state)) == "sending"


def test_fresh_worker_reconciles_crashed_send(make_loop):
    # A new process has no cached transport: reconciling must not wait on its own transaction.
    loop = make_loop(**{"run.send_lease_seconds": 0.0})
    add_collapsing_account(loop.workspace)
    transport = loop.agent.transport_for("dana-agent")
    transport.send = _crash_after(transport)
    with pytest.raises(CrashAfterSend):
        loop.run()

    from churnguard.agent import Agent

    loop.agent = Agent(loop.workspace)
    loop.run()

    assert len(loop.messages_for(CUSTOMER)) == 1
    with loop.workspace.db.transaction() as session:
        assert session.scalar(select(Touch.state)) == "sent"
