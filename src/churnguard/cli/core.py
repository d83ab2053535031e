"""Workspace commands: init, run, settings, audit, identity."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from typing import Annotated, Optional

import typer

from churnguard.audit import verify
from churnguard.cli.app import app
from churnguard.cli.common import AsOfOption, JsonOption, WorkspaceOption, emit, fail, open_workspace
from churnguard.config import SETTINGS
from churnguard.errors import ChurnguardError
from churnguard.identity import NewIdentity
from churnguard.keys import load_dkim_key
from churnguard.mail.dkim import dns_txt_record
from churnguard.store.models import Identity

audit_app = typer.Typer(help="Check the audit log.", no_args_is_help=True, rich_markup_mode=None)
identity_app = typer.Typer(help="Agent identities.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(audit_app, name="audit")
app.add_typer(identity_app, name="identity")


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="folder to create the workspace in")],
    csm_name: Annotated[str, typer.Option(help="the CSM the agent writes for")] = "Alex Morgan",
    csm_email: Annotated[str, typer.Option(help="the CSM's own address (hand-offs go here)")] = "alex@example.com",
    agent_address: Annotated[str, typer.Option(help="the agent identity's mailbox address")] = "alex.agent@example.com",
    identity_id: Annotated[str, typer.Option(help="id of the agent identity")] = "alex-agent",
    authorized_by: Annotated[str, typer.Option(help="name of the admin who authorizes the identity")] = "Sam Lee",
    authorizer_email: Annotated[str, typer.Option(help="address of that admin")] = "sam@example.com",
    as_json: JsonOption = False,
) -> None:
    """Create a workspace with its first agent identity and DKIM key.

    Example: churnguard init ./acme --csm-name "Dana Reyes" --agent-address dana.agent@acme.example
    """
    from churnguard.setup_workspace import init_workspace

    spec = NewIdentity(
        id=identity_id,
        csm_id=identity_id.removesuffix("-agent") + "-csm",
        csm_name=csm_name,
        csm_email=csm_email,
        address=agent_address,
        authorized_by="admin",
        authorizer_name=authorized_by,
        authorizer_email=authorizer_email,
    )
    try:
        result = init_workspace(folder, spec)
    except ChurnguardError as exc:
        fail(str(exc))

    data = {"workspace": str(result.root), "identity": result.identity_id, "keys": str(result.keys_dir), "dkim_txt": result.dkim_record}
    emit(
        data,
        as_json,
        f"workspace created at {result.root}\n"
        f"agent identity {result.identity_id}; private keys in {result.keys_dir} (keep them secret, back them up)\n"
        f"publish this DKIM TXT record: {result.dkim_record}",
    )


@app.command()
def run(
    workspace: WorkspaceOption = None,
    once: Annotated[bool, typer.Option("--once", help="make one pass and exit")] = False,
    as_of: AsOfOption = None,
    interval: Annotated[Optional[float], typer.Option(help="seconds between passes (default: run.interval_seconds)")] = None,
    as_json: JsonOption = False,
) -> None:
    """Run the main job: scan, start sequences, send due steps, read replies and act.

    Example: churnguard run --workspace ./acme --once --as-of 1998-04-01
    """
    from churnguard.agent import Agent

    _configure_logging()
    ws = open_workspace(workspace, as_of)
    try:
        agent = Agent(ws)
        if once:
            report = agent.run_once()
            emit(report.to_json(), as_json, _pass_text(report))
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        agent.run_forever(interval or float(ws.settings["run.interval_seconds"]), stop)
    except ChurnguardError as exc:
        fail(str(exc))
    finally:
        ws.close()


def _pass_text(report) -> str:  # type: ignore[no-untyped-def]
    replies = ", ".join(f"{verdict} {count}" for verdict, count in sorted(report.replies.items())) or "none"
    return (
        f"pass at {report.at.isoformat()}: {report.signals} signals, {report.started} sequences started, "
        f"{report.steps_advanced} steps advanced, {report.sent} messages sent, {report.mail_read} messages read "
        f"(replies: {replies})"
    )


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@app.command("settings")
def settings_command(as_json: JsonOption = False) -> None:
    """List every setting with its type, default, unit and meaning.

    Example: churnguard settings --json
    """
    rows = [
        {"name": s.name, "type": s.type.__name__, "default": s.default, "unit": s.unit, "help": s.help} for s in SETTINGS
    ]
    text = "\n".join(f"{r['name']} ({r['type']}, default {r['default']!r}{', ' + r['unit'] if r['unit'] else ''}): {r['help']}" for r in rows)
    emit(rows, as_json, text)


@audit_app.command("verify")
def audit_verify(workspace: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """Check that the audit log's hash chain is intact.

    Example: churnguard audit verify --workspace ./acme --json
    """
    ws = open_workspace(workspace)
    with ws.db.transaction() as session:
        result = verify(session)
    ws.close()

    data = {"ok": result.ok, "entries": result.entries, "first_bad_id": result.first_bad_id, "reason": result.reason}
    text = f"audit log ok: {result.entries} entries" if result.ok else f"audit log BROKEN at entry {result.first_bad_id}: {result.reason}"
    emit(data, as_json, text)
    if not result.ok:
        raise typer.Exit(1)


@identity_app.command("dkim-record")
def dkim_record(
    identity_id: Annotated[str, typer.Argument(help="agent identity id")],
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print the DNS TXT record that publishes an identity's DKIM public key.

    Example: churnguard identity dkim-record alex-agent --workspace ./acme
    """
    ws = open_workspace(workspace)
    with ws.db.transaction() as session:
        identity = session.get(Identity, identity_id)
        if identity is None:
            fail(f"identity {identity_id!r} not found; run 'churnguard identity list'")
        domain = identity.address.rsplit("@", 1)[1]
        selector = identity.dkim_selector
    try:
        key = load_dkim_key(ws.keys_dir, identity_id, domain, selector)
    except ChurnguardError as exc:
        fail(str(exc))
    ws.close()

    name, value = f"{selector}._domainkey.{domain}", dns_txt_record(key)
    emit({"name": name, "type": "TXT", "value": value}, as_json, f"{name} IN TXT \"{value}\"")


@identity_app.command("list")
def identity_list(workspace: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """List agent identities with their state and who authorized them.

    Example: churnguard identity list --json
    """
    from sqlalchemy import select

    ws = open_workspace(workspace)
    with ws.db.transaction() as session:
        rows = [
            {"id": i.id, "address": i.address, "state": i.state, "csm": i.csm_id, "authorized_by": i.authorized_by, "scopes": i.scopes}
            for i in session.scalars(select(Identity).order_by(Identity.id))
        ]
    ws.close()
    emit(rows, as_json, "\n".join(f"{r['id']} {r['address']} {r['state']} (authorized by {r['authorized_by']})" for r in rows))


@app.command()
def demo(
    folder: Annotated[Path, typer.Option(help="where to build the demo workspace (replaced if present)")] = Path("demo-workspace"),
    accounts: Annotated[int, typer.Option(help="number of generated accounts")] = 60,
    days: Annotated[int, typer.Option(help="simulated days to run")] = 14,
    seed: Annotated[int, typer.Option(help="random seed; the same seed gives the same run")] = 7,
    as_json: JsonOption = False,
) -> None:
    """Build a demo workspace with generated accounts and simulated customers, run it, and summarise.

    Example: churnguard demo --folder /tmp/cg-demo --accounts 40 --days 10
    """
    from churnguard.demo import run_demo

    if accounts < 1 or days < 1:
        fail("--accounts and --days must be at least 1")
    summary = run_demo(folder, accounts=accounts, days=days, seed=seed)
    emit(summary.__dict__, as_json, summary.to_text())
    if not summary.audit_ok:
        raise typer.Exit(1)
