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


@eval_app.command("drafts", epilog="Example: churnguard eval drafts --sample 50 --json --workspace demo")
def eval_drafts(
    sample: Annotated[int, typer.Option("--sample", help="number of accounts to draft for (taken in a stable order)")] = 20,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Compose a draft for each sampled account with the workspace's composer and report the grounding checker's findings. Sends nothing."""
    if sample < 1:
        fail(f"--sample {sample} must be at least 1")
    ws = open_workspace(workspace)
    try:
        report, composer = sample_drafts(ws, sample)
    except ChurnguardError as exc:
        fail(str(exc))
    finally:
        ws.close()

    data = report.to_json(composer)
    text = (f"composer {data['composer']}: {data['passed']} of {data['sampled']} drafts passed the grounding checker, "
            f"{data['distinct_openings']} distinct openings\n"
            + "\n".join(f"  {f['account_id']} {f['angle']}: {f['kind']} {f['span']!r} ({f['message']})" for f in data["findings"]))
    emit(data, as_json, text.rstrip())


def sample_drafts(ws, count: int):  # type: ignore[no-untyped-def]
    """Draft for ``count`` accounts, chosen in a stable hash order, and check each draft."""
    import hashlib

    from sqlalchemy import select

    from churnguard.compose import composer_from_settings
    from churnguard.compose.evaluate import DraftReport
    from churnguard.plays import load_playbook
    from churnguard.store.models import Account

    playbook = load_playbook(ws.root)
    composer = composer_from_settings(ws.settings)
    usage = _usage_lookup(ws)
    report = DraftReport()

    with ws.db.transaction() as session:
        owned = session.scalars(select(Account.id).where(Account.owner_identity_id.is_not(None)))
        chosen = sorted(owned, key=lambda account_id: hashlib.sha256(account_id.encode()).hexdigest())[:count]
        for account_id in chosen:
            _sample_one(session, ws, playbook, composer, usage, account_id, report)
    return report, composer.name


def _sample_one(session, ws, playbook, composer, usage, account_id, report) -> None:  # type: ignore[no-untyped-def]
    from churnguard.compose import DraftContext, OfferPolicy, check_grounding, context_limits
    from churnguard.compose.evaluate import DraftSample
    from churnguard.errors import StateError
    from churnguard.llm import ModelError
    from churnguard.store.models import Account, Human, Identity
    from churnguard.vault import vault_get

    identity = session.get(Identity, session.get(Account, account_id).owner_identity_id)
    try:
        facts = vault_get(session, identity, account_id)
    except StateError:
        facts = None
    contact = facts.main_contact if facts else None
    if facts is None or contact is None:
        report.skipped["no_facts_or_contact"] = report.skipped.get("no_facts_or_contact", 0) + 1
        return

    play, angle, evidence = _play_for(session, playbook, account_id)
    csm = session.get(Human, identity.csm_id)
    ctx = DraftContext(
        facts=facts, contact=contact, csm_name=csm.name if csm else identity.display_name,
        company_name=ws.settings["company_name"], play=play.name, angle=angle, today=ws.clock.now().date(),
        evidence=evidence, usage_before=usage(account_id, evidence),
        update_card_url=ws.settings["plays.failed_payment.update_card_url"],
        offer=OfferPolicy.from_mapping(play.offer.model_dump()), **context_limits(ws.settings),
    )
    try:
        draft = composer.draft(ctx)
    except (ModelError, ValueError) as exc:
        report.samples.append(DraftSample(account_id, play.name, angle, ctx.language, None, (), str(exc)))
        return
    report.samples.append(DraftSample(account_id, play.name, angle, ctx.language, draft, tuple(check_grounding(draft, ctx))))


def _play_for(session, playbook, account_id: str):  # type: ignore[no-untyped-def]
    """Return the play, first touch angle and evidence of the account's latest signal (silent_churn when none)."""
    from sqlalchemy import select

    from churnguard.domain import SignalKind
    from churnguard.store.models import SignalRow

    signal = session.scalar(select(SignalRow).where(SignalRow.account_id == account_id)
                            .order_by(SignalRow.as_of.desc(), SignalRow.id.desc()).limit(1))
    plays = playbook.for_signal(SignalKind(signal.kind)) if signal else []
    play = plays[0] if plays else playbook.get("silent_churn")
    angle = next(step.angle for step in play.steps if step.kind == "touch")
    return play, angle, dict(signal.evidence) if signal and plays else {}


def _usage_lookup(ws):  # type: ignore[no-untyped-def]
    """Return a function that reads what an account used before its drop; () when events are unreadable."""
    from datetime import datetime

    from churnguard.agent import USAGE_SQL
    from churnguard.detect import open_event_store

    try:
        store = open_event_store(ws)
    except Exception:  # noqa: BLE001 (a locked or missing event store only costs the usage sentence)
        return lambda account_id, evidence: ()

    def lookup(account_id: str, evidence: dict) -> tuple[tuple[str, int], ...]:
        window = evidence.get("before_window")
        if not window:
            return ()
        start, split = (datetime.fromisoformat(text) for text in window)
        rows = store.query(USAGE_SQL, {"account_id": account_id, "start": start, "split": split})
        return tuple((str(kind), int(count)) for kind, count in rows)

    return lookup
