"""DKIM key rotation: the new selector signs at once, the old one stays published for the grace period."""

from __future__ import annotations

import json
from datetime import timedelta

from typer.testing import CliRunner

from churnguard.cli import commands  # noqa: F401  registers the commands
from churnguard.cli.app import app
from churnguard.mail.dkim import verify_signatures
from tests.loop.conftest import AGENT, CUSTOMER, add_collapsing_account

runner = CliRunner()


def _cli(loop, *args):
    as_of = loop.clock.now().isoformat()
    result = runner.invoke(app, [*args, "--workspace", str(loop.workspace.root), "--as-of", as_of, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _records(loop) -> dict[str, str]:
    data = _cli(loop, "identity", "dkim-record", AGENT.id)
    rows = data if isinstance(data, list) else [data]
    return {row["name"]: row["value"] for row in rows}


def test_rotation_signs_with_new_keys(make_loop):
    loop = make_loop()
    add_collapsing_account(loop.workspace)
    old = _records(loop)

    rotated = _cli(loop, "identity", "dkim-rotate", AGENT.id, "--grace-days", "7")
    added = _cli(loop, "identity", "dkim-rotate", AGENT.id, "--ed25519")
    loop.run()

    raw = loop.messages_for(CUSTOMER)[0].split(b"\r\n", 1)[1]
    records = _records(loop)
    assert set(old) < set(records)  # the old selector is still published
    assert rotated["name"] in records and added["name"] in records
    assert "k=ed25519" in records[added["name"]]
    assert raw.count(b"DKIM-Signature:") == 2
    assert verify_signatures(raw, records) == [True, True]
    assert rotated["selector"].encode() in raw and added["selector"].encode() in raw


def test_old_selector_leaves_after_grace(make_loop):
    loop = make_loop()
    old = _records(loop)
    _cli(loop, "identity", "dkim-rotate", AGENT.id, "--grace-days", "7")

    loop.clock.advance(timedelta(days=8))

    assert not set(old) & set(_records(loop))
