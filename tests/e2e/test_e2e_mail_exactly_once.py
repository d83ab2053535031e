"""Exactly once under kill -9: the product's send path killed at each point around the send.

``churnguard run --once`` runs in a subprocess against a PostgreSQL state store and submits
through a loopback proxy (tests/mail/smtp_proxy.py) in front of the real Postfix. The proxy
SIGKILLs the run at one point of the SMTP transaction. A second run then reconciles and
sends what is missing, and the customer's real mailbox, read over IMAP, must contain the touch
exactly once.
"""

from __future__ import annotations

import imaplib
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from churnguard.clock import FixedClock
from churnguard.identity import NewIdentity
from churnguard.ingest import import_events
from churnguard.keys import load_dkim_key
from churnguard.setup_workspace import init_workspace
from churnguard.store.models import Account, Contact, Touch
from churnguard.workspace import Workspace
from tests.mail.smtp_proxy import SmtpProxy
from tests.servers import REPO

pytestmark = pytest.mark.mailstack

AS_OF = "1998-04-01T09:00:00+00:00"
AGENT = NewIdentity(
    id="agent", csm_id="csm", csm_name="Alex Morgan", csm_email="csm@agent.test", address="agent@agent.test",
    authorized_by="lead", authorizer_name="Robin Park", authorizer_email="lead@agent.test",
)
CUSTOMER = "customer@customer.test"
CDNOW_MASTER_ID = "22775"
CHURNGUARD = Path(sys.executable).with_name("churnguard")


def count_in_mailbox(stack, user: str, message_id: str) -> int:  # noqa: ANN001
    """How many messages in ``user``'s INBOX carry ``message_id``, read over IMAP."""
    client = imaplib.IMAP4(stack.host, stack.imap_port)
    try:
        client.login(user, stack.password(user))
        client.select("INBOX", readonly=True)
        _, data = client.uid("SEARCH", None, "HEADER", "Message-ID", message_id)
        return len(data[0].split())
    finally:
        client.logout()


def make_workspace(root: Path, stack, pg_url: str, smtp_port: int, account: str, shared: Path) -> Path:  # noqa: ANN001
    settings = {
        "database_url": pg_url,
        "mail.transport": "smtp",
        "mail.mailbox": "imap",
        "mail.smtp_host": stack.host,
        "mail.smtp_port": smtp_port,
        "mail.smtp_security": "none",
        "mail.smtp_username": AGENT.address,
        "mail.smtp_password_env": "CG_TEST_SMTP_PASSWORD",
        "mail.imap_host": stack.host,
        "mail.imap_port": stack.imap_port,
        "mail.imap_ssl": False,
        "mail.imap_password_env": "CG_TEST_IMAP_PASSWORD",
        "mail.smtp_copy_wait_seconds": 3.0,
        "run.send_lease_seconds": 1.0,
        "detect.silent_churn.window_days": 90,
        "detect.silent_churn.measure": "quantity",
    }
    clock = FixedClock(datetime(1998, 4, 1, 9, 0, tzinfo=timezone.utc))
    init_workspace(root, AGENT, overrides=settings, clock=clock, selector="kill9")
    ws = Workspace.open(root, clock=clock)
    try:
        stack.add_dkim_key(load_dkim_key(ws.keys_dir, AGENT.id, "agent.test", "kill9"))
        rows = [line for line in (shared / "cdnow" / "CDNOW_sample.txt").read_text().splitlines() if line.split()[0] == CDNOW_MASTER_ID]
        rows = [line.replace(CDNOW_MASTER_ID, account.removeprefix("cdnow-"), 1) for line in rows]
        events = root.parent / f"{account}.txt"
        events.write_text("\n".join(rows) + "\n")
        with ws.db.transaction() as session:
            session.add(Account(id=account, name="CDNOW customer", owner_identity_id=AGENT.id))
            session.flush()
            session.add(Contact(account_id=account, email=CUSTOMER, name="Pat Lee", is_main=True))
        assert import_events(ws, events, REPO / "examples" / "public-data" / "cdnow-events.toml").inserted == len(rows)
    finally:
        ws.close()
    return root


def start_run(root: Path, stack) -> subprocess.Popen:  # noqa: ANN001
    env = dict(os.environ, CG_TEST_SMTP_PASSWORD=stack.password(AGENT.address), CG_TEST_IMAP_PASSWORD=stack.password(AGENT.address))
    return subprocess.Popen(
        [str(CHURNGUARD), "run", "--workspace", str(root), "--once", "--as-of", AS_OF, "--json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
    )


def touches(root: Path) -> list[tuple[str, str]]:
    ws = Workspace.open(root)
    try:
        with ws.db.transaction() as session:
            return [(t.message_id, t.state) for t in session.scalars(select(Touch).order_by(Touch.id))]
    finally:
        ws.close()


def settle(stack, message_id: str, expected: int) -> int:  # noqa: ANN001
    """Wait until the mailbox contains ``expected`` copies, then a moment longer for any extra one."""
    deadline = time.monotonic() + 10
    while count_in_mailbox(stack, CUSTOMER, message_id) < expected and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)
    return count_in_mailbox(stack, CUSTOMER, message_id)


@pytest.mark.parametrize("point", ["mail", "data_end", "accepted", "relayed"])
def test_kill9_around_the_send_leaves_one_copy(point, tmp_path, mailstack, postgres_url, shared_data_dir) -> None:  # noqa: ANN001
    account = f"cdnow-9{CDNOW_MASTER_ID}{['mail', 'data_end', 'accepted', 'relayed'].index(point)}{os.getpid()}"
    victim: dict[str, subprocess.Popen] = {}
    armed = {"on": True}

    def kill_at(phase: str) -> bool:
        if armed["on"] and phase == point:
            armed["on"] = False
            os.kill(victim["run"].pid, signal.SIGKILL)
            victim["run"].wait(timeout=10)
            return True
        return False

    with SmtpProxy((mailstack.host, mailstack.submission_port), on_phase=kill_at) as proxy:
        root = make_workspace(tmp_path / "ws", mailstack, postgres_url, proxy.port, account, shared_data_dir)
        victim["run"] = start_run(root, mailstack)
        victim["run"].wait(timeout=60)
        assert victim["run"].returncode == -signal.SIGKILL, (point, proxy.phases, victim["run"].stderr.read()[-2000:])
        [(message_id, state)] = touches(root)
        assert state == "sending"

        time.sleep(1.2)  # past run.send_lease_seconds, so the next run may reconcile
        again = start_run(root, mailstack)
        out, err = again.communicate(timeout=60)
        assert again.returncode == 0, err[-2000:]
        assert touches(root) == [(message_id, "sent")]
        assert settle(mailstack, message_id, 1) == 1

        third = start_run(root, mailstack)
        third.communicate(timeout=60)
        assert touches(root) == [(message_id, "sent")]
        assert settle(mailstack, message_id, 1) == 1
