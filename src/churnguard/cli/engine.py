"""Commands for plays, sequences and the approval queue."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from sqlalchemy import select

from churnguard.cli.app import app
from churnguard.cli.common import JsonOption, WorkspaceOption, emit, fail, open_workspace
from churnguard.domain import StopReason
from churnguard.errors import ChurnguardError
from churnguard.plays import load_play_file, load_playbook
from churnguard.sequences import state
from churnguard.store.models import Sequence, Step, Touch

plays_app = typer.Typer(help="List, show and check plays.", no_args_is_help=True, rich_markup_mode=None)
sequences_app = typer.Typer(help="Inspect and stop sequences.", no_args_is_help=True, rich_markup_mode=None)
approvals_app = typer.Typer(help="Review drafts that wait for a human.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(plays_app, name="plays")
app.add_typer(sequences_app, name="sequences")
app.add_typer(approvals_app, name="approvals")


@plays_app.command("list")
def plays_list(workspace: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """List the plays of a workspace: the shipped ones and any in its plays/ folder.

    Example: churnguard plays list --json
    """
    ws = open_workspace(workspace)
    try:
        book = load_playbook(ws.root)
    except ChurnguardError as exc:
        fail(str(exc))
    rows = [
        {"name": p.name, "kind": p.kind, "enabled": p.enabled, "trigger": p.trigger.signal.value if p.trigger else None, "steps": [s.name for s in p.steps]}
        for p in book.plays.values()
    ]
    emit(rows, as_json, "\n".join(f"{r['name']:<22} {r['kind']:<9} {'on' if r['enabled'] else 'off':<4} {r['trigger'] or '-'}" for r in rows))


@plays_app.command("show")
def plays_show(name: Annotated[str, typer.Argument(help="play name")], workspace: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """Show one play with every field, defaults filled in.

    Example: churnguard plays show silent_churn --json
    """
    ws = open_workspace(workspace)
    play = load_playbook(ws.root).get(name)
    if play is None:
        fail(f"play {name!r} not found; run 'churnguard plays list'")
    data = play.model_dump(mode="json")
    emit(data, as_json, "\n".join(f"{key}: {value}" for key, value in data.items()))


@plays_app.command("check")
def plays_check(path: Annotated[Path, typer.Argument(help="a play file (TOML)")], as_json: JsonOption = False) -> None:
    """Validate a play file against the schema and name every problem.

    Example: churnguard plays check plays/renewal_risk.toml
    """
    try:
        play = load_play_file(path)
    except ChurnguardError as exc:
        emit({"ok": False, "error": str(exc)}, as_json, f"error: {exc}")
        raise typer.Exit(2)
    emit({"ok": True, "name": play.name}, as_json, f"{path}: play {play.name!r} is valid")


def _sequence_row(sequence: Sequence) -> dict:
    return {
        "id": sequence.id,
        "account_id": sequence.account_id,
        "play": sequence.play,
        "state": sequence.state,
        "step_index": sequence.step_index,
        "due_at": sequence.due_at.isoformat() if sequence.due_at else None,
        "identity_id": sequence.identity_id,
        "stop_reason": sequence.stop_reason,
    }


@sequences_app.command("list")
def sequences_list(
    workspace: WorkspaceOption = None,
    open_only: Annotated[bool, typer.Option("--open", help="only sequences that are still open")] = False,
    play: Annotated[Optional[str], typer.Option(help="only this play")] = None,
    as_json: JsonOption = False,
) -> None:
    """List sequences with their state and next due time.

    Example: churnguard sequences list --open --play silent_churn
    """
    ws = open_workspace(workspace)
    with ws.db.transaction() as session:
        query = select(Sequence).order_by(Sequence.id)
        if open_only:
            query = query.where(Sequence.open_key.is_not(None))
        if play:
            query = query.where(Sequence.play == play)
        rows = [_sequence_row(s) for s in session.scalars(query)]
    emit(rows, as_json, "\n".join(f"{r['id']:>6} {r['account_id']:<20} {r['play']:<18} {r['state']:<18} {r['due_at'] or '-'}" for r in rows))


@sequences_app.command("show")
def sequences_show(sequence_id: Annotated[int, typer.Argument(help="sequence id")], workspace: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """Show a sequence with its steps and touches (subjects and bodies stay in the vault).

    Example: churnguard sequences show 12 --json
    """
    ws = open_workspace(workspace)
    with ws.db.transaction() as session:
        sequence = session.get(Sequence, sequence_id)
        if sequence is None:
            fail(f"sequence {sequence_id} not found; run 'churnguard sequences list'")
        data = _sequence_row(sequence)
        data["steps"] = [
            {"index": s.index, "name": s.name, "kind": s.kind, "state": s.state, "due_at": s.due_at.isoformat() if s.due_at else None}
            for s in session.scalars(select(Step).where(Step.sequence_id == sequence_id).order_by(Step.index))
        ]
        data["touches"] = [
            {"id": t.id, "kind": t.kind, "state": t.state, "message_id": t.message_id, "sent_at": t.sent_at.isoformat() if t.sent_at else None}
            for t in session.scalars(select(Touch).where(Touch.sequence_id == sequence_id).order_by(Touch.id))
        ]
    emit(data, as_json, "\n".join(f"{key}: {value}" for key, value in data.items()))


@sequences_app.command("stop")
def sequences_stop(sequence_id: Annotated[int, typer.Argument(help="sequence id")], workspace: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """Stop a sequence by hand; nothing more is sent for it, and the stop is audited.

    Example: churnguard sequences stop 12
    """
    ws = open_workspace(workspace)
    with ws.db.transaction() as session:
        sequence = session.get(Sequence, sequence_id)
        if sequence is None:
            fail(f"sequence {sequence_id} not found; run 'churnguard sequences list'")
        if sequence.open_key is None:
            fail(f"sequence {sequence_id} has already ended ({sequence.state})")
        state.stop(session, sequence, StopReason.MANUAL, ws.clock.now())
        data = _sequence_row(sequence)
    emit(data, as_json, f"sequence {sequence_id} stopped")
