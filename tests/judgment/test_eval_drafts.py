"""``churnguard eval drafts`` on a workspace with real accounts, signals and events."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from typer.testing import CliRunner

from churnguard.cli import commands  # noqa: F401  registers the commands
from churnguard.cli.app import app
from churnguard.clock import FixedClock
from churnguard.domain import SignalKind
from churnguard.setup_workspace import init_workspace
from churnguard.store.models import Account, Contact, SignalRow
from churnguard.workspace import Workspace
from tests.loop.conftest import AGENT, START, add_collapsing_account

runner = CliRunner()


def build_workspace(tmp_path):
    root = tmp_path / "ws"
    clock = FixedClock(START)
    init_workspace(root, AGENT, clock=clock)
    workspace = Workspace.open(root, clock=clock)
    add_collapsing_account(workspace, "acct-1")
    with workspace.db.transaction() as session:
        session.add(Account(id="acct-2", name="Example Bakery", plan="Pro", mrr_cents=4900, owner_identity_id=AGENT.id))
        session.flush()
        session.add(Contact(account_id="acct-2", email="ana@example.com", name="Ana Ruiz", is_main=True,
                            timezone="Europe/Madrid", language="es"))
        session.add(SignalRow(key="failed_payment:acct-2:2026-03-02", account_id="acct-2",
                              kind=SignalKind.FAILED_PAYMENT.value, as_of=START, created_at=START,
                              summary="latest payment failed",
                              evidence={"amount_cents": 4900, "currency": "eur",
                                        "failed_at": datetime(2026, 3, 1, tzinfo=timezone.utc).isoformat(),
                                        "failure_message": "insufficient funds"}))
    workspace.close()
    return root


def test_eval_drafts_reports_checker(tmp_path):
    root = build_workspace(tmp_path)
    result = runner.invoke(app, ["eval", "drafts", "--sample", "5", "--json", "--workspace", str(root)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)

    assert data["composer"] == "offline"
    assert data["sampled"] == 2
    assert data["passed"] == 2
    assert data["findings"] == []
    assert data["distinct_openings"] == 2
    assert data["by_angle"] == {"check_in": 1, "payment_note": 1}
    assert data["by_language"]["es"] == 1


def test_eval_drafts_rejects_bad_sample(tmp_path):
    root = build_workspace(tmp_path)
    result = runner.invoke(app, ["eval", "drafts", "--sample", "0", "--workspace", str(root)])

    assert result.exit_code == 2
    assert "--sample 0" in result.output
