"""``churnguard accounts``: move account ownership between identities."""

from __future__ import annotations

from typing import Annotated

import typer

from churnguard.cli.app import app
from churnguard.cli.common import JsonOption, WorkspaceOption, emit, fail, open_workspace
from churnguard.errors import ChurnguardError, StateError
from churnguard.identity import refusal
from churnguard.store.models import Identity
from churnguard.vault.admin import reassign_account

accounts_app = typer.Typer(help="Account ownership.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(accounts_app, name="accounts")


@accounts_app.command("reassign")
def accounts_reassign(
    account_ids: Annotated[list[str], typer.Argument(help="one or more account ids")],
    to: Annotated[str, typer.Option("--to", help="the identity that takes the accounts over")],
    by: Annotated[str, typer.Option("--by", help="id of the human who authorizes the move")],
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Move accounts, with their open sequences, to another identity; their data is re-sealed under its key.

    Example: churnguard accounts reassign acct-1 acct-2 --to kim-agent --by admin
    """
    ws = open_workspace(workspace)
    rows = []
    try:
        with ws.db.transaction() as session:
            target = session.get(Identity, to)
            reason = refusal(target, to, "vault:read")
            if reason is not None:
                raise StateError(f"cannot reassign to {to!r}: {reason}")
            for account_id in account_ids:
                moved = reassign_account(session, account_id, target, ws.clock.now(), by=by)
                rows.append({"account": account_id, "to": to, "sequences": moved.sequences, "canceled_touches": moved.canceled_touches})
    except ChurnguardError as exc:
        fail(str(exc))
    finally:
        ws.close()
    emit(rows, as_json, "\n".join(f"{r['account']} -> {to} ({len(r['sequences'])} open sequences moved)" for r in rows))
