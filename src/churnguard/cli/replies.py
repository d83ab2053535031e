"""Commands that read replies."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from churnguard.cli.app import app
from churnguard.cli.common import JsonOption, emit, fail, open_workspace
from churnguard.errors import MessageParseError

replies_app = typer.Typer(help="Read and classify replies.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(replies_app, name="replies")


@replies_app.command("classify")
def classify(
    path: Annotated[Path, typer.Argument(help="an .eml file")],
    workspace: Annotated[Path | None, typer.Option("--workspace", "-w", help="match the reply to a touch in this workspace")] = None,
    as_json: JsonOption = False,
) -> None:
    """Classify one email: its kind, verdict, visible reply text and (with a workspace) the touch it answers.

    Example: churnguard replies classify reply.eml --json
    """
    from churnguard.replies.pipeline import read_reply

    try:
        raw = path.read_bytes()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}; check the path")
    try:
        reading = read_reply(raw)
    except MessageParseError as exc:
        fail(f"{path} is not a readable email: {exc}")

    data = reading.to_json()
    data["matched_touch"] = _matched_touch(workspace, reading) if workspace else None
    text = f"kind: {data['kind']}\nverdict: {data['verdict']} ({data['confidence']:.2f})\nreply: {data['reply_text']}"
    emit(data, as_json, text)


def _matched_touch(workspace: Path, reading) -> dict | None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from churnguard.sequences.inbox import match_touch
    from churnguard.store.models import Identity

    ws = open_workspace(workspace)
    with ws.db.transaction() as session:
        for identity in session.scalars(select(Identity)):
            touch = match_touch(session, identity.id, reading)
            if touch is not None:
                return {"touch_id": touch.id, "sequence_id": touch.sequence_id, "identity_id": identity.id}
    return None
