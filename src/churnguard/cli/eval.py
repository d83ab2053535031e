"""``churnguard eval``: measure the reply classifier and the composer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from churnguard.cli.app import app
from churnguard.cli.common import JsonOption, WorkspaceOption, emit, fail, open_workspace
from churnguard.errors import ChurnguardError

eval_app = typer.Typer(help="Measure reply verdicts and drafts.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(eval_app, name="eval")


@eval_app.command("replies", epilog="Example: churnguard eval replies corpus/replies/heldout --labels corpus/replies/heldout/labels.csv --json")
def eval_replies(
    folder: Annotated[Path, typer.Argument(help="folder of replies: .eml files or plain-text files")],
    labels: Annotated[Path, typer.Option("--labels", help="CSV with columns file,label (label is a verdict name)")],
    min_confidence: Annotated[Optional[float], typer.Option("--min-confidence", help="confidence floor (0-1); default: the replies.min_confidence setting")] = None,
    workspace: WorkspaceOption = None,
    use_workspace: Annotated[bool, typer.Option("--use-workspace", help="classify with the workspace's settings (replies.classifier, llm.*)")] = False,
    as_json: JsonOption = False,
) -> None:
    """Classify each labeled reply and print per-class precision, recall, F1, macro-F1 and the confusion matrix."""
    from churnguard.config import Settings
    from churnguard.replies.evaluate import evaluate_folder
    from churnguard.replies.judge import judge_from_settings

    if not folder.is_dir():
        fail(f"{folder} is not a folder; pass the folder that holds the reply files")
    settings = open_workspace(workspace).settings if use_workspace else Settings()
    if min_confidence is not None:
        if not 0.0 <= min_confidence <= 1.0:
            fail(f"--min-confidence {min_confidence} is out of range; use a value from 0 to 1")
        settings.set("replies.min_confidence", min_confidence)

    try:
        judge = judge_from_settings(settings)
        result = evaluate_folder(folder, labels, judge.classify)
    except ChurnguardError as exc:
        fail(str(exc))
    emit(result.to_json(), as_json, _replies_text(result.report))


def _replies_text(report) -> str:  # type: ignore[no-untyped-def]
    lines = [f"{'class':<15}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}"]
    for score in report.scores:
        lines.append(f"{score.label:<15}{score.precision:>10.3f}{score.recall:>8.3f}{score.f1:>8.3f}{score.support:>9}")
    lines.append(f"macro-F1 {report.macro_f1:.3f}   accuracy {report.accuracy:.3f}   replies {report.total}")
    lines.append("confusion (rows: true label): " + ", ".join(report.classes))
    lines += ["  " + " ".join(f"{count:>4}" for count in row) for row in report.confusion]
    return "\n".join(lines)
