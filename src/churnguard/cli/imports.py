"""``churnguard import``: load accounts, contacts, events and Stripe events into a workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Callable, Optional

import duckdb
import typer

from churnguard.cli.app import app
from churnguard.cli.common import JsonOption, WorkspaceOption, emit, fail, open_workspace
from churnguard.errors import ChurnguardError
from churnguard.ingest import ImportReport, import_accounts, import_contacts, import_events, import_stripe
from churnguard.workspace import Workspace

import_app = typer.Typer(
    name="import",
    help="Import accounts, contacts and events from files, and Stripe event exports.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(import_app, name="import")

FileArgument = Annotated[Path, typer.Argument(help="CSV, whitespace-separated or JSON Lines file to import")]
MappingOption = Annotated[Path, typer.Option("--mapping", "-m", help="TOML column-mapping file for this file")]


def _run(root: Optional[Path], as_json: bool, action: Callable[[Workspace], ImportReport]) -> None:
    workspace = open_workspace(root)
    try:
        report = action(workspace)
    except ChurnguardError as exc:
        fail(str(exc))
    except duckdb.IOException as exc:
        fail(f"the event store could not be opened ({exc}); stop the other churnguard process and retry")
    finally:
        workspace.close()

    emit(report.as_dict(), as_json, report.summary())


@import_app.command(
    "accounts",
    epilog="Example: churnguard import accounts telco.csv --mapping telco-accounts.toml --json",
)
def accounts_command(file: FileArgument, mapping: MappingOption, workspace: WorkspaceOption = None,
                     as_json: JsonOption = False) -> None:
    """Upsert accounts by id. Rows that fail validation go to the workspace's rejects folder."""
    _run(workspace, as_json, lambda ws: import_accounts(ws, file, mapping))


@import_app.command(
    "contacts",
    epilog="Example: churnguard import contacts contacts.csv --mapping contacts.toml",
)
def contacts_command(file: FileArgument, mapping: MappingOption, workspace: WorkspaceOption = None,
                     as_json: JsonOption = False) -> None:
    """Upsert contacts by (account, email). Import the accounts first."""
    _run(workspace, as_json, lambda ws: import_contacts(ws, file, mapping))


@import_app.command(
    "events",
    epilog="Example: churnguard import events CDNOW_sample.txt --mapping cdnow-events.toml",
)
def events_command(file: FileArgument, mapping: MappingOption, workspace: WorkspaceOption = None,
                   as_json: JsonOption = False) -> None:
    """Add events to the event store; events imported before are skipped."""
    _run(workspace, as_json, lambda ws: import_events(ws, file, mapping))


@import_app.command(
    "stripe",
    epilog="Example: churnguard import stripe exports/*.json --account-map stripe-accounts.csv",
)
def stripe_command(
    files: Annotated[list[Path], typer.Argument(help="Stripe event files (one event, a JSON array, or a list object)")],
    account_map: Annotated[
        Optional[Path],
        typer.Option("--account-map", help="CSV with columns customer_id,account_id; without it, accounts.billing_customer_id is used"),
    ] = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import Stripe events and update each account's payment status and status."""
    _run(workspace, as_json, lambda ws: import_stripe(ws, list(files), account_map))
