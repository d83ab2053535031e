"""``churnguard sentiment``, ``churnguard eval sentiment`` and ``churnguard import tickets|surveys``."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer

from churnguard.cli.app import app
from churnguard.cli.common import JsonOption, WorkspaceOption, emit, fail, open_workspace
from churnguard.cli.eval import eval_app
from churnguard.cli.imports import FileArgument, MappingOption, _run, import_app
from churnguard.errors import ChurnguardError

sentiment_app = typer.Typer(help="Score text, list unmatched tickets and surveys, score cold mail.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(sentiment_app, name="sentiment")


@sentiment_app.command("score", epilog="Example: churnguard sentiment score \"The export is still broken\" --json")
def score_command(text: Annotated[str, typer.Argument(help="the text to score")], as_json: JsonOption = False) -> None:
    """Score one text from -1 (angry) to +1 (delighted) and show the phrases that drove it."""
    from churnguard.sentiment import score_text

    result = score_text(text)
    emit(result.to_json(), as_json, f"{result.score:+.2f} {result.label}  phrases: {', '.join(result.phrases) or '-'}")


@sentiment_app.command("unmatched", epilog="Example: churnguard sentiment unmatched --json")
def unmatched_command(workspace: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """List tickets, survey responses and messages no account matched (ids and reasons, no text)."""
    from churnguard.sentiment.records import list_unmatched

    ws = open_workspace(workspace)
    try:
        with ws.db.session() as session:
            rows = list_unmatched(session)
    finally:
        ws.close()
    text = "\n".join(f"{r['record']}  {r['source']}/{r['kind']} {r['external_id']}  {r['occurred_at'][:10]}  {r['note']}" for r in rows)
    emit({"unmatched": rows}, as_json, text or "no unmatched records")


@sentiment_app.command("mail", epilog="Example: churnguard sentiment mail --json")
def mail_command(workspace: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """Score inbound human mail that answers no sequence (for example a reply to an invoice)."""
    from churnguard.sentiment.mail import score_cold_mail

    ws = open_workspace(workspace)
    try:
        report = score_cold_mail(ws)
    except ChurnguardError as exc:
        fail(str(exc))
    finally:
        ws.close()
    emit(report.to_json(), as_json, f"{report.scored} scored, {report.unmatched} unmatched, {report.events} events added")


@eval_app.command("sentiment", epilog="Example: churnguard eval sentiment corpus/sentiment/heldout.tsv --json")
def eval_sentiment(
    path: Annotated[Path, typer.Argument(help="a labeled .tsv file (language, label, text), or a folder of .txt files with --labels")],
    labels: Annotated[Path | None, typer.Option("--labels", help="CSV with columns file,label[,language] for a folder of .txt files")] = None,
    as_json: JsonOption = False,
) -> None:
    """Score each labeled text with the shipped model; print per-class precision, recall, F1, macro-F1 and per-language accuracy."""
    from churnguard.sentiment.corpus import evaluate, read_corpus
    from churnguard.sentiment.model import score_text

    try:
        records = _labeled_folder(path, labels) if labels is not None else read_corpus(path)
    except (ChurnguardError, OSError, UnicodeDecodeError) as exc:
        fail(str(exc))
    if not records:
        fail(f"{path} holds no labeled texts")

    def predict(text: str) -> tuple[str, float]:
        scored = score_text(text)
        return scored.label, scored.score

    result = evaluate(records, predict)
    emit(result.to_json(), as_json, _text(result))


def _labeled_folder(folder: Path, labels: Path) -> list:  # type: ignore[type-arg]
    from churnguard.errors import InputError
    from churnguard.sentiment.corpus import LabeledText
    from churnguard.sentiment.model import CLASSES

    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder; pass the folder that holds the .txt files")
    records = []
    with labels.open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            if row.get("label") not in CLASSES or not row.get("file"):
                raise InputError(f"{labels.name} line {number}: needs a file and a label ({', '.join(CLASSES)})")
            text = (folder / row["file"]).read_text(encoding="utf-8")
            records.append(LabeledText(row.get("language") or "", row["label"], text))
    return records


def _text(result) -> str:  # type: ignore[no-untyped-def]
    lines = [f"{'class':<10}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}"]
    for item in result.classes:
        lines.append(f"{item['label']:<10}{item['precision']:>10.3f}{item['recall']:>8.3f}{item['f1']:>8.3f}{item['support']:>9}")
    lines.append(f"macro-F1 {result.macro_f1:.3f}   accuracy {result.accuracy:.3f}   texts {result.total}   sign agreement {result.sign_agreement:.3f}")
    lines += [f"  {lang}: accuracy {values['accuracy']:.3f} of {values['total']}" for lang, values in result.languages.items()]
    return "\n".join(lines)


@import_app.command("tickets", epilog="Example: churnguard import tickets tickets.csv --mapping helpdesk-tickets.toml --json")
def tickets_command(file: FileArgument, mapping: MappingOption, workspace: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """Import helpdesk tickets; rows no account matches are kept and listed by 'churnguard sentiment unmatched'."""
    from churnguard.ingest.tickets import import_tickets

    _run(workspace, as_json, lambda ws: import_tickets(ws, file, mapping))


@import_app.command("surveys", epilog="Example: churnguard import surveys nps.jsonl --mapping nps.toml --json")
def surveys_command(file: FileArgument, mapping: MappingOption, workspace: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """Import NPS or CSAT responses; rows no account matches are kept and listed."""
    from churnguard.ingest.tickets import import_surveys

    _run(workspace, as_json, lambda ws: import_surveys(ws, file, mapping))
