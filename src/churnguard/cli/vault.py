"""``churnguard vault``: rotate the master key or an identity's data key."""

from __future__ import annotations

from typing import Annotated

import typer

from churnguard.cli.app import app
from churnguard.cli.common import JsonOption, WorkspaceOption, emit, fail, open_workspace
from churnguard.errors import ChurnguardError
from churnguard.vault.admin import rotate_data_key, rotate_master

vault_app = typer.Typer(help="Vault keys.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(vault_app, name="vault")


@vault_app.command("rotate-master")
def vault_rotate_master(
    by: Annotated[str, typer.Option("--by", help="id of the human who authorizes the rotation")],
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a new master key and re-wrap every data key under it while workers keep running.

    Keep the old key file until this reports every data key re-wrapped.

    Example: churnguard vault rotate-master --by admin
    """
    ws = open_workspace(workspace)
    try:
        key_id, moved = rotate_master(ws.db, ws.keys_dir, by=by)
    except ChurnguardError as exc:
        fail(str(exc))
    finally:
        ws.close()
    emit({"master_key_id": key_id, "rewrapped": moved}, as_json, f"master key {key_id} is current; {moved} data keys re-wrapped")


@vault_app.command("rotate-key")
def vault_rotate_key(
    owner: Annotated[str, typer.Argument(help="identity id whose data key gets a new version")],
    by: Annotated[str, typer.Option("--by", help="id of the human who authorizes the rotation")],
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Start a new version of an identity's data key; new data is sealed with it.

    Example: churnguard vault rotate-key alex-agent --by admin
    """
    ws = open_workspace(workspace)
    try:
        with ws.db.transaction() as session:
            version = rotate_data_key(session, owner, ws.clock.now(), by=by)
    except ChurnguardError as exc:
        fail(str(exc))
    finally:
        ws.close()
    emit({"owner": owner, "version": version}, as_json, f"data key of {owner} is now version {version}")
