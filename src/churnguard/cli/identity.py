"""``churnguard identity``: create, list, show, suspend, resume and revoke agent identities."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Optional

import typer
from sqlalchemy import func, select

from churnguard.cli.app import app
from churnguard.cli.common import AsOfOption, JsonOption, WorkspaceOption, emit, fail, open_workspace
from churnguard.errors import ChurnguardError
from churnguard.identity import DEFAULT_SCOPES, NewIdentity, create_identity, resume, revoke, suspend
from churnguard.keys import create_dkim_key, dkim_key_path, load_dkim_key
from churnguard.mail.dkim import dns_txt_record
from churnguard.store.models import Account, Identity, Sequence

identity_app = typer.Typer(help="Agent identities and their delegation.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(identity_app, name="identity")

ByOption = Annotated[str, typer.Option("--by", help="id of the human who authorizes this change")]


def _row(identity: Identity) -> dict:
    return {
        "id": identity.id, "address": identity.address, "state": identity.state, "csm": identity.csm_id,
        "authorized_by": identity.authorized_by, "authorized_at": identity.authorized_at.isoformat(),
        "expires_at": identity.expires_at.isoformat() if identity.expires_at else None,
        "scopes": identity.scopes, "dkim_selector": identity.dkim_selector,
    }


@identity_app.command("create")
def identity_create(
    identity_id: Annotated[str, typer.Argument(help="id of the new agent identity")],
    address: Annotated[str, typer.Option(help="the agent's mailbox address")],
    csm_id: Annotated[str, typer.Option(help="id of the CSM it acts for")],
    csm_name: Annotated[str, typer.Option(help="the CSM's name")],
    csm_email: Annotated[str, typer.Option(help="the CSM's own address (hand-offs go here)")],
    by: ByOption,
    scopes: Annotated[str, typer.Option(help="comma-separated scopes")] = ",".join(DEFAULT_SCOPES),
    expires: Annotated[Optional[str], typer.Option(help="end of the delegation, ISO date or instant")] = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create an agent identity for a CSM, with its DKIM key, data key and delegation record.

    Example: churnguard identity create kim-agent --address kim.agent@example.com --csm-id kim --csm-name "Kim Ito" --csm-email kim@example.com --by admin
    """
    ws = open_workspace(workspace)
    try:
        until = datetime.fromisoformat(expires).astimezone() if expires else None
        spec = NewIdentity(identity_id, csm_id, csm_name, csm_email, address, by, by, "", tuple(_split(scopes)), until)
        selector = f"cg-{identity_id}"
        with ws.db.transaction() as session:
            identity = create_identity(session, spec, now=ws.clock.now(), selector=selector)
            row = _row(identity)
        key = create_dkim_key(ws.keys_dir, identity_id, address.rsplit("@", 1)[1], selector)
    except (ChurnguardError, ValueError) as exc:
        fail(str(exc))
    finally:
        ws.close()
    row["dkim_txt"] = dns_txt_record(key)
    emit(row, as_json, f"identity {identity_id} created; publish this DKIM TXT record: {row['dkim_txt']}")


def _split(scopes: str) -> list[str]:
    return [part.strip() for part in scopes.split(",") if part.strip()]


@identity_app.command("list")
def identity_list(workspace: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """List agent identities with their state and who authorized them.

    Example: churnguard identity list --json
    """
    ws = open_workspace(workspace)
    with ws.db.transaction() as session:
        rows = [_row(i) for i in session.scalars(select(Identity).order_by(Identity.id))]
    ws.close()
    emit(rows, as_json, "\n".join(f"{r['id']} {r['address']} {r['state']} (authorized by {r['authorized_by']})" for r in rows))


@identity_app.command("show")
def identity_show(
    identity_id: Annotated[str, typer.Argument(help="agent identity id")],
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one identity: delegation, scopes, how many accounts it owns and sequences it runs.

    Example: churnguard identity show alex-agent --json
    """
    ws = open_workspace(workspace)
    with ws.db.transaction() as session:
        identity = session.get(Identity, identity_id)
        if identity is None:
            ws.close()
            fail(f"identity {identity_id!r} not found; run 'churnguard identity list'")
        row = _row(identity)
        row["accounts"] = session.scalar(select(func.count()).where(Account.owner_identity_id == identity_id))
        row["open_sequences"] = session.scalar(
            select(func.count()).where(Sequence.identity_id == identity_id, Sequence.open_key.is_not(None))
        )
    ws.close()
    emit(row, as_json, "\n".join(f"{key}: {value}" for key, value in row.items()))


def _change(identity_id: str, by: str, workspace, as_json: bool, action) -> None:  # type: ignore[no-untyped-def]
    ws = open_workspace(workspace)
    try:
        with ws.db.transaction() as session:
            identity = action(session, identity_id, by=by, now=ws.clock.now())
            row = _row(identity)
    except ChurnguardError as exc:
        fail(str(exc))
    finally:
        ws.close()
    emit(row, as_json, f"identity {identity_id} is {row['state']}")


@identity_app.command("suspend")
def identity_suspend(
    identity_id: Annotated[str, typer.Argument(help="agent identity id")], by: ByOption,
    workspace: WorkspaceOption = None, as_json: JsonOption = False,
) -> None:
    """Stop an identity from acting until resumed; its sequences wait.

    Example: churnguard identity suspend alex-agent --by admin
    """
    _change(identity_id, by, workspace, as_json, suspend)


@identity_app.command("resume")
def identity_resume(
    identity_id: Annotated[str, typer.Argument(help="agent identity id")], by: ByOption,
    workspace: WorkspaceOption = None, as_json: JsonOption = False,
) -> None:
    """Let a suspended identity act again.

    Example: churnguard identity resume alex-agent --by admin
    """
    _change(identity_id, by, workspace, as_json, resume)


@identity_app.command("revoke")
def identity_revoke(
    identity_id: Annotated[str, typer.Argument(help="agent identity id")],
    by: ByOption,
    reassign_to: Annotated[Optional[str], typer.Option("--reassign-to", help="move its accounts and open sequences here")] = None,
    shred: Annotated[bool, typer.Option("--shred", help="destroy its data key: its vault data becomes unreadable")] = False,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Revoke an identity for good: nothing is sent as it once this commits.

    Example: churnguard identity revoke alex-agent --by admin --reassign-to kim-agent --shred
    """
    ws = open_workspace(workspace)
    try:
        with ws.db.transaction() as session:
            report = revoke(session, identity_id, by=by, now=ws.clock.now(), reassign_to=reassign_to, shred=shred)
            selector = session.get(Identity, identity_id).dkim_selector
        if shred:
            dkim_key_path(ws.keys_dir, identity_id, selector).unlink(missing_ok=True)
    except ChurnguardError as exc:
        fail(str(exc))
    finally:
        ws.close()
    data = report.__dict__
    emit(data, as_json, "\n".join(f"{key}: {value}" for key, value in data.items()))


@identity_app.command("dkim-record")
def dkim_record(
    identity_id: Annotated[str, typer.Argument(help="agent identity id")],
    workspace: WorkspaceOption = None,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print the DNS TXT records of every DKIM selector an identity has published now.

    During a rotation's grace period the old selector is listed beside the new one; keep both in DNS.

    Example: churnguard identity dkim-record alex-agent --workspace ./acme
    """
    from churnguard.mail.dkim_rotation import load_ring

    ws = open_workspace(workspace, as_of)
    with ws.db.transaction() as session:
        identity = session.get(Identity, identity_id)
        if identity is None:
            fail(f"identity {identity_id!r} not found; run 'churnguard identity list'")
        domain = identity.address.rsplit("@", 1)[1]
        ring = load_ring(ws.keys_dir, identity_id, identity.dkim_selector, identity.authorized_at)
    records = []
    try:
        for entry in ring.published(ws.clock.now()):
            key = load_dkim_key(ws.keys_dir, identity_id, domain, entry.selector)
            records.append({
                "name": f"{entry.selector}._domainkey.{domain}", "type": "TXT", "value": dns_txt_record(key),
                "algorithm": entry.algorithm, "retire_at": entry.retire_at.isoformat() if entry.retire_at else None,
            })
    except ChurnguardError as exc:
        fail(str(exc))
    ws.close()
    text = "\n".join(f"{r['name']} IN TXT \"{r['value']}\"" for r in records)
    emit(records if len(records) != 1 else records[0], as_json, text)


@identity_app.command("dkim-rotate")
def dkim_rotate(
    identity_id: Annotated[str, typer.Argument(help="agent identity id")],
    workspace: WorkspaceOption = None,
    ed25519: Annotated[bool, typer.Option("--ed25519", help="add or rotate the Ed25519 key that signs beside RSA")] = False,
    grace_days: Annotated[int, typer.Option(help="days the replaced selector stays published")] = 7,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a new DKIM key and selector; it signs from now on, the old one stays in DNS for the grace period.

    Example: churnguard identity dkim-rotate alex-agent --grace-days 7
    """
    from datetime import timedelta

    from churnguard.audit import AuditEntry, record
    from churnguard.domain import AuditType
    from churnguard.keys import create_ed25519_key
    from churnguard.mail.dkim_rotation import load_ring, rotate, save_ring

    if grace_days < 0:
        fail(f"invalid --grace-days {grace_days}: use 0 or more days")
    ws = open_workspace(workspace, as_of)
    now = ws.clock.now()
    algorithm = "ed25519" if ed25519 else "rsa"
    with ws.db.transaction() as session:
        identity = session.get(Identity, identity_id)
        if identity is None or identity.state == "revoked":
            fail(f"identity {identity_id!r} not found or revoked; run 'churnguard identity list'")
        domain = identity.address.rsplit("@", 1)[1]
        selector = f"cg-{identity_id}-{'ed' if ed25519 else 'rsa'}-{now.strftime('%Y%m%d%H%M%S')}"[:63]
        ring = load_ring(ws.keys_dir, identity_id, identity.dkim_selector, identity.authorized_at)
        try:
            ring = rotate(ring, selector, algorithm, now, timedelta(days=grace_days))
            key = (create_ed25519_key if ed25519 else create_dkim_key)(ws.keys_dir, identity_id, domain, selector)
        except ChurnguardError as exc:
            fail(str(exc))
        save_ring(ws.keys_dir, ring)
        if not ed25519:
            identity.dkim_selector = selector
        record(session, AuditEntry(AuditType.KEY_ROTATED, now, identity_id=identity_id, authorized_by=identity.authorized_by,
                                   detail={"key": "dkim", "algorithm": algorithm, "selector": selector, "grace_days": grace_days}))
    ws.close()
    data = {"selector": selector, "algorithm": algorithm, "name": f"{selector}._domainkey.{domain}", "value": dns_txt_record(key)}
    emit(data, as_json, f"new {algorithm} selector {selector}; publish {data['name']} IN TXT \"{data['value']}\" before the next send")
