"""The approval queue on the command line: list, show, approve (optionally edited), reject."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from churnguard.cli.common import JsonOption, WorkspaceOption, emit, fail, open_workspace
from churnguard.cli.engine import approvals_app
from churnguard.errors import ChurnguardError
from churnguard.sequences.approvals import approve, pending_drafts, reject
from churnguard.store.models import Sequence, Touch

ApproverOption = Annotated[str, typer.Option("--as", help="id of the human who decides (recorded in the audit log)")]


def _draft_row(touch: Touch, sequence: Sequence | None, body: bool = False) -> dict:
    draft = touch.draft or {}
    row = {
        "id": touch.id,
        "sequence_id": touch.sequence_id,
        "account_id": sequence.account_id if sequence else None,
        "play": sequence.play if sequence else None,
        "kind": touch.kind,
        "policy": draft.get("policy"),
        "to": touch.to_addr,
        "subject": touch.subject,
    }
    if body:
        row["body"] = draft.get("text_body", "")
    return row


@approvals_app.command("list")
def approvals_list(workspace: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """List drafts waiting for approval.

    Example: churnguard approvals list --json
    """
    ws = open_workspace(workspace)
    with ws.db.transaction() as session:
        rows = [_draft_row(t, session.get(Sequence, t.sequence_id)) for t in pending_drafts(session)]
    emit(rows, as_json, "\n".join(f"{r['id']:>6} {r['account_id']:<20} {r['play']:<18} {r['subject']}" for r in rows) or "no drafts waiting")


@approvals_app.command("show")
def approvals_show(draft_id: Annotated[int, typer.Argument(help="draft id from 'approvals list'")], workspace: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """Show one draft with its full text.

    Example: churnguard approvals show 7
    """
    ws = open_workspace(workspace)
    with ws.db.transaction() as session:
        touch = session.get(Touch, draft_id)
        if touch is None or touch.state != "draft":
            fail(f"no draft waits with id {draft_id}; run 'churnguard approvals list'")
        row = _draft_row(touch, session.get(Sequence, touch.sequence_id), body=True)
    emit(row, as_json, f"To: {row['to']}\nSubject: {row['subject']}\n\n{row['body']}")


@approvals_app.command("approve")
def approvals_approve(
    draft_id: Annotated[int, typer.Argument(help="draft id")],
    approver: ApproverOption,
    workspace: WorkspaceOption = None,
    body_file: Annotated[Optional[Path], typer.Option("--body-file", help="send this edited text instead of the draft's body")] = None,
    as_json: JsonOption = False,
) -> None:
    """Approve a draft (optionally with an edited body); the next run sends it.

    Example: churnguard approvals approve 7 --as robin --body-file edited.txt
    """
    from churnguard.agent import Agent

    body = body_file.read_text(encoding="utf-8") if body_file else None
    ws = open_workspace(workspace)
    agent = Agent(ws)
    try:
        with ws.db.transaction() as session:
            touch = session.get(Touch, draft_id)
            if touch is None:
                fail(f"no draft waits with id {draft_id}; run 'churnguard approvals list'")
            sender = agent.sender_for(session, touch.identity_id)
            approve(session, draft_id, approver, sender.dkim_key, ws.clock.now(), body=body, extra_keys=sender.extra_keys)
    except ChurnguardError as exc:
        fail(str(exc))
    emit({"id": draft_id, "approved_by": approver, "edited": body is not None}, as_json, f"draft {draft_id} approved by {approver}")


@approvals_app.command("reject")
def approvals_reject(
    draft_id: Annotated[int, typer.Argument(help="draft id")],
    approver: ApproverOption,
    workspace: WorkspaceOption = None,
    reason: Annotated[str, typer.Option(help="why (kept in the audit log; no customer data)")] = "",
    as_json: JsonOption = False,
) -> None:
    """Reject a draft: it is never sent and its step is skipped.

    Example: churnguard approvals reject 7 --as robin --reason "wrong tone"
    """
    ws = open_workspace(workspace)
    try:
        with ws.db.transaction() as session:
            reject(session, draft_id, approver, ws.clock.now(), reason=reason)
    except ChurnguardError as exc:
        fail(str(exc))
    emit({"id": draft_id, "rejected_by": approver}, as_json, f"draft {draft_id} rejected by {approver}")
