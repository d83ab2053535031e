"""Workspace commands: init, run, settings, demo."""

from __future__ import annotations

import logging
import re
import signal
import threading
from pathlib import Path
from typing import Annotated, Optional

import typer

from churnguard.cli.app import app
from churnguard.cli.common import AsOfOption, JsonOption, WorkspaceOption, emit, fail, open_workspace
from churnguard.config import SETTINGS
from churnguard.errors import ChurnguardError
from churnguard.identity import NewIdentity
from churnguard.runlock import single_worker



def _slug(address: str) -> str:
    """Make an id from an address's local part: dana.agent@acme.example -> dana-agent."""
    local = address.rpartition("@")[0] or address
    return re.sub(r"[^a-z0-9]+", "-", local.lower()).strip("-")[:60] or "agent"


PLACEHOLDER_SETTINGS = ("company_name", "mail.unsubscribe_url", "plays.failed_payment.update_card_url")


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="folder to create the workspace in")],
    csm_name: Annotated[str, typer.Option(help="the CSM the agent writes for")] = "Alex Morgan",
    csm_email: Annotated[str, typer.Option(help="the CSM's own address (hand-offs go here)")] = "alex@example.com",
    agent_address: Annotated[str, typer.Option(help="the agent identity's mailbox address")] = "alex.agent@example.com",
    identity_id: Annotated[Optional[str], typer.Option(help="id of the agent identity (default: from the agent address)")] = None,
    authorized_by: Annotated[str, typer.Option(help="name of the admin who authorizes the identity")] = "Sam Lee",
    authorizer_email: Annotated[str, typer.Option(help="address of that admin")] = "sam@example.com",
    company: Annotated[Optional[str], typer.Option(help="your product's name as customers know it (setting company_name)")] = None,
    as_json: JsonOption = False,
) -> None:
    """Create a workspace with its first agent identity and DKIM key.

    Example: churnguard init ./acme --company "Acme Cloud" --csm-name "Dana Reyes" --csm-email dana@acme.example --agent-address dana.agent@acme.example
    """
    from churnguard.setup_workspace import init_workspace

    spec = NewIdentity(
        id=identity_id or _slug(agent_address),
        csm_id=_slug(csm_email),
        csm_name=csm_name,
        csm_email=csm_email,
        address=agent_address,
        authorized_by=_slug(authorizer_email),
        authorizer_name=authorized_by,
        authorizer_email=authorizer_email,
    )
    overrides = {"company_name": company} if company else {}
    try:
        result = init_workspace(folder, spec, overrides=overrides)
    except ChurnguardError as exc:
        fail(str(exc))

    review = [name for name in PLACEHOLDER_SETTINGS if name not in overrides]
    data = {
        "workspace": str(result.root), "identity": result.identity_id, "keys": str(result.keys_dir),
        "master_key": result.master_key, "dkim_txt": result.dkim_record, "settings_to_review": review,
    }
    emit(
        data,
        as_json,
        f"workspace created at {result.root}\n"
        f"agent identity {result.identity_id}; private keys in {result.keys_dir} (keep them secret, back them up)\n"
        f"vault master key: {result.master_key} (without it the vault cannot be read)\n"
        f"publish this DKIM TXT record: {result.dkim_record}\n"
        f"before writing to real customers, set in churnguard.toml: {', '.join(review) or 'nothing'} "
        "(their defaults are placeholders on example.com)",
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
        with single_worker(ws.root, ws.db.dialect):
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
