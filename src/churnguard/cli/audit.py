"""``churnguard audit``: verify the chain, sign its head, export it, restrict the database role."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from churnguard.audit import export_lines, sign_head, verify
from churnguard.audit.checkpoint import load_public, public_hex, workspace_signer
from churnguard.audit.roles import grant_app_role
from churnguard.cli.app import app
from churnguard.cli.common import JsonOption, WorkspaceOption, emit, fail, open_workspace
from churnguard.clock import parse_as_of
from churnguard.errors import ChurnguardError

audit_app = typer.Typer(help="Check, sign and export the audit log.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(
    workspace: WorkspaceOption = None,
    public_key: Annotated[Optional[str], typer.Option(help="hex Ed25519 public key to trust (default: the workspace's)")] = None,
    as_json: JsonOption = False,
) -> None:
    """Check the hash chain and the signed checkpoints; name the first bad entry.

    Example: churnguard audit verify --workspace ./acme --json
    """
    ws = open_workspace(workspace)
    try:
        trusted = load_public(public_key) if public_key else None
    except ValueError:
        ws.close()
        fail("--public-key must be the 64 hex digits printed by 'churnguard audit public-key'")
    with ws.db.transaction() as session:
        result = verify(session, trusted)
    ws.close()

    data = {"ok": result.ok, "entries": result.entries, "first_bad_id": result.first_bad_id, "reason": result.reason}
    text = (
        f"audit log ok: {result.entries} entries, {result.checkpoints} signed checkpoints"
        if result.ok
        else f"audit log BROKEN at entry {result.first_bad_id}: {result.reason}"
    )
    emit(data, as_json, text)
    if not result.ok:
        raise typer.Exit(1)


@audit_app.command("checkpoint")
def audit_checkpoint(workspace: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """Sign the newest entry now (the log also signs itself every 50 entries).

    Example: churnguard audit checkpoint --workspace ./acme
    """
    ws = open_workspace(workspace)
    with ws.db.transaction() as session:
        checkpoint = sign_head(session)
        data = {"upto_id": checkpoint.upto_id, "entries": checkpoint.entries} if checkpoint else {"upto_id": None}
    ws.close()
    emit(data, as_json, f"signed the chain up to entry {data['upto_id']}" if checkpoint else "nothing to sign")


@audit_app.command("public-key")
def audit_public_key(workspace: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """Print the public key that verifies this workspace's checkpoints; give it to auditors.

    Example: churnguard audit public-key --workspace ./acme
    """
    ws = open_workspace(workspace)
    with ws.db.session() as session:
        signer = workspace_signer(session)
    ws.close()
    if signer is None:
        fail("this workspace has no audit signing key (keys/audit-signing.key)")
    key = public_hex(signer.public_key())
    emit({"public_key": key}, as_json, key)


@audit_app.command("export")
def audit_export(
    since: Annotated[Optional[str], typer.Option(help="first date or instant to include, e.g. 2026-01-01")] = None,
    format: Annotated[str, typer.Option("--format", help="output format; jsonl is the only one")] = "jsonl",
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="file to write (default: stdout)")] = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write audit entries (ids, never customer content) and their checkpoints as JSON lines.

    Example: churnguard audit export --since 2026-01-01 --format jsonl -o audit.jsonl

    The output is JSON lines whether or not --json is given.
    """
    if format != "jsonl":
        fail(f"unknown format {format!r}; use --format jsonl")
    try:
        start = parse_as_of(since) if since else None
    except ValueError as exc:
        fail(str(exc))
    ws = open_workspace(workspace)
    handle = output.open("w", encoding="utf-8") if output else sys.stdout
    try:
        with ws.db.session() as session:
            for line in export_lines(session, start):
                handle.write(line + "\n")
    finally:
        if output:
            handle.close()
        ws.close()


@audit_app.command("grant-role")
def audit_grant_role(
    role: Annotated[str, typer.Argument(help="the PostgreSQL role the main job connects as")],
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Give an application role what it needs, except changing or deleting audit entries.

    Run it as the database owner.

    Example: churnguard audit grant-role churnguard_app
    """
    ws = open_workspace(workspace)
    try:
        grant_app_role(ws.db.engine, role)
    except ChurnguardError as exc:
        fail(str(exc))
    finally:
        ws.close()
    emit({"role": role, "audit": "insert only"}, as_json, f"role {role} may read and write the state store and append to the audit log, never change it")
