"""Commands for plays, sequences and the approval queue."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from sqlalchemy import select

from churnguard.cli.app import app
from churnguard.cli.common import AsOfOption, JsonOption, WorkspaceOption, emit, fail, open_workspace
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


@plays_app.command("compile")
def plays_compile(
    text: Annotated[str, typer.Argument(help="the play in plain language (docs/plays-language.md lists the phrases)")],
    out: Annotated[Optional[Path], typer.Option("--out", help="also write the play file here (activates nothing)")] = None,
    activate: Annotated[bool, typer.Option("--activate", help="write the play to the workspace's plays/ folder, where it starts sequences")] = False,
    name: Annotated[Optional[str], typer.Option("--name", help="play name (default: derived from the trigger)")] = None,
    offline: Annotated[bool, typer.Option("--offline", help="never ask the configured model, even when the grammar fails")] = False,
    as_of: AsOfOption = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Compile plain language into a play, show a dry run, and write nothing until --activate.

    Words the compiler does not understand are reported with their position; nothing is guessed.

    Example: churnguard plays compile "For any customer whose login activity dropped 70% in the last 30 days, draft a personalized check-in and book a call on any positive reply" --json
    """
    from churnguard.plays.toml_out import play_to_toml
    from churnguard.plays.workflow import activate as write_play, compile_for, preview

    ws = _compile_workspace(workspace, as_of, needed=activate or workspace is not None)
    try:
        result = compile_for(text, ws, name=name, offline=offline)
        data = result.to_json()
        if not result.ok or result.play is None:
            emit(data, as_json, _problems_text(result.problems))
            raise typer.Exit(2)
        data["toml"] = play_to_toml(result.play)
        data["dry_run"] = preview(ws, result.play).to_json() if ws else None
        if out is not None:
            out.write_text(data["toml"], encoding="utf-8")
        data["activated"] = str(write_play(ws, result.play)) if activate and ws else None
    except ChurnguardError as exc:
        fail(str(exc))
    finally:
        if ws is not None:
            ws.close()
    emit(data, as_json, _compiled_text(data, out))


def _compile_workspace(root: Optional[Path], as_of: Optional[str], *, needed: bool):  # type: ignore[no-untyped-def]
    """Open the workspace for the dry run; without one, compile anyway unless it was asked for."""
    from churnguard.workspace import Workspace

    if needed:
        return open_workspace(root, as_of)
    try:
        Workspace.open(root).close()
    except ChurnguardError:
        return None
    return open_workspace(root, as_of)


def _problems_text(problems) -> str:  # type: ignore[no-untyped-def]
    lines = [f"error: characters {p.start}-{p.end} {p.text!r}: {p.message}" for p in problems]
    return "\n".join(lines + ["nothing was written"])


def _compiled_text(data: dict, out: Optional[Path]) -> str:
    lines = [f"# compiled by {data['source']}"] + [f"# model translated {n['text']!r} ({n['message']})" for n in data["notes"]]
    lines.append(data["toml"].rstrip())
    run = data["dry_run"]
    if run is None:
        lines.append("\ndry run skipped: no workspace here (pass --workspace)")
    else:
        summary = f"\ndry run as of {run['as_of']}: {run['matching_accounts']} accounts match now"
        if run["skipped"]:
            summary += f" (skipped: {run['skipped']})"
        if run["note"]:
            summary += f"; {run['note']}"
        lines.append(summary)
        sample = run["sample_draft"]
        if sample and "body" in sample:
            lines += [f"sample draft for {sample['account_id']} ({sample['step']}):", f"Subject: {sample['subject']}", "", sample["body"].rstrip()]
    if out is not None:
        lines.append(f"\nwrote {out}")
    lines.append(f"\nactivated: {data['activated']}" if data["activated"] else "\nnot activated; run again with --activate to use it")
    return "\n".join(lines)


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
