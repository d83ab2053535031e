"""``churnguard plays compile`` on a workspace: dry run, sample draft, --out, --activate, and the model path."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta, timezone

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from churnguard.cli import commands  # noqa: F401  registers the commands
from churnguard.cli.app import app
from churnguard.clock import FixedClock
from churnguard.detect.eventstore import EventRecord, event_id, open_event_store
from churnguard.llm import allow_model_requests
from churnguard.setup_workspace import init_workspace
from churnguard.store.models import Account, Contact, Sequence, SignalRow
from churnguard.workspace import Workspace
from tests.judgment.llm_server import ChatServer, Scripted
from tests.loop.conftest import AGENT, START
from tests.plays_language.test_phrasings import ACCEPTANCE

runner = CliRunner()
AS_OF = ["--as-of", START.isoformat()]


@pytest.fixture(autouse=True)
def no_real_model_requests():
    with allow_model_requests(False):
        yield


@pytest.fixture
def chat_server():
    server = ChatServer().start()
    yield server
    server.stop()


def add_account(ws: Workspace, account_id: str, before: int, after: int, *, status: str = "active", kind: str = "login") -> None:
    """An account with ``before`` events a day 31-60 days ago and ``after`` a day in the last 30."""
    with ws.db.transaction() as session:
        session.add(Account(id=account_id, name=f"Example {account_id}", plan="Team", mrr_cents=19900,
                            status=status, owner_identity_id=AGENT.id))
        session.flush()
        session.add(Contact(account_id=account_id, email=f"{account_id}@customer.example.org", name="Pat Lee",
                            is_main=True, timezone="America/New_York"))
    events = []
    for day in range(1, 61):
        moment = datetime.combine((START - timedelta(days=day)).date(), time(10), timezone.utc)
        for index in range(before if day > 30 else after):
            events.append(EventRecord(event_id("test", f"{account_id}:{day}:{index}"), account_id, kind,
                                      moment + timedelta(minutes=index)))
    open_event_store(ws).add(events)


def build(tmp_path, **settings):
    root = tmp_path / "ws"
    clock = FixedClock(START)
    init_workspace(root, AGENT, overrides=settings, clock=clock)
    ws = Workspace.open(root, clock=clock)
    add_account(ws, "acct-drop", 4, 0)
    add_account(ws, "acct-steady", 4, 4)
    add_account(ws, "acct-gone", 4, 0, status="canceled")
    add_account(ws, "acct-exports", 4, 0, kind="report_export")
    ws.close()
    return root


def compile_cli(root, *args: str):
    return runner.invoke(app, ["plays", "compile", *args, "--json", "--workspace", str(root), *AS_OF])


def test_acceptance_prompt_dry_run_counts_and_drafts(tmp_path):
    root = build(tmp_path)
    result = compile_cli(root, ACCEPTANCE)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)

    run = data["dry_run"]
    assert data["source"] == "grammar" and data["activated"] is None
    assert run["matching_accounts"] == 1 and run["accounts"] == ["acct-drop"]
    assert run["skipped"] == {"account_status": 1}
    assert run["sample_draft"]["account_id"] == "acct-drop"
    assert run["sample_draft"]["angle"] == "check_in" and run["sample_draft"]["grounding_findings"] == []
    assert "login" in run["sample_draft"]["body"]
    assert not (root / "plays").exists()
    ws = Workspace.open(root)
    with ws.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(SignalRow)) == 0
        assert session.scalar(select(func.count()).select_from(Sequence)) == 0
    ws.close()


def test_other_event_type_matches_other_account(tmp_path):
    root = build(tmp_path)
    result = compile_cli(root, "report exports dropped 50% in the last 30 days, send a check-in")
    assert json.loads(result.output)["dry_run"]["accounts"] == ["acct-exports"]


def test_activate_writes_the_play_once(tmp_path):
    root = build(tmp_path)
    first = compile_cli(root, ACCEPTANCE, "--activate")
    assert first.exit_code == 0, first.output
    path = root / "plays" / "silent_churn_login_70_30d.toml"
    assert json.loads(first.output)["activated"] == str(path)

    listed = runner.invoke(app, ["plays", "list", "--json", "--workspace", str(root)])
    assert "silent_churn_login_70_30d" in [row["name"] for row in json.loads(listed.output)]
    again = compile_cli(root, ACCEPTANCE, "--activate")
    assert again.exit_code == 2
    assert "already exists" in again.output


def test_out_writes_a_valid_file_and_activates_nothing(tmp_path):
    root = build(tmp_path)
    out = tmp_path / "draft_play.toml"
    result = compile_cli(root, ACCEPTANCE, "--out", str(out))
    assert result.exit_code == 0, result.output

    checked = runner.invoke(app, ["plays", "check", str(out), "--json"])
    assert json.loads(checked.output) == {"ok": True, "name": "silent_churn_login_70_30d"}
    assert not (root / "plays").exists()


def test_unknown_words_write_nothing(tmp_path):
    root = build(tmp_path)
    out = tmp_path / "never.toml"
    result = compile_cli(root, "usage dropped 70% unless they are on trial", "--out", str(out), "--activate")

    assert result.exit_code == 2
    data = json.loads(result.output)
    assert data["ok"] is False
    assert data["problems"][0]["text"] == "unless they are on trial"
    assert data["problems"][0]["span"] == [18, 42]
    assert not out.exists()
    assert not (root / "plays").exists()


def test_text_output_without_workspace(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CHURNGUARD_WORKSPACE", raising=False)
    result = runner.invoke(app, ["plays", "compile", ACCEPTANCE])

    assert result.exit_code == 0, result.output
    assert "drop_pct = 70.0" in result.output
    assert "dry run skipped" in result.output


def llm_settings(server: ChatServer) -> dict:
    return {"llm.provider": "ollama", "llm.base_url": server.base_url, "llm.model": "loopback-model", "llm.max_retries": 0}


MODEL_PLAY = {"name": "detractor_check_in", "trigger": {"signal": "detractor"},
              "steps": [{"name": "check_in", "kind": "touch", "angle": "check_in", "wait_days": 0},
                        {"name": "handoff", "kind": "handoff", "wait_days": 3}],
              "on_reply": {"save": "book_call"}}


def test_model_translates_what_the_grammar_cannot(tmp_path, chat_server):
    root = build(tmp_path, **llm_settings(chat_server))
    chat_server.script.append(Scripted(content=json.dumps(MODEL_PLAY)))
    result = compile_cli(root, "Whenever someone gives us a bad NPS score, check in and book a call if they're keen")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)

    assert data["source"] == "ollama:loopback-model"
    assert data["play"]["trigger"]["signal"] == "detractor"
    assert data["play"]["name"] == "detractor_check_in"
    assert data["notes"] and data["dry_run"]["matching_accounts"] == 0
    sent = chat_server.requests[0]
    assert sent.path == "/v1/chat/completions"
    assert "<description>\nWhenever someone" in sent.body["messages"][-1]["content"]


def test_model_answer_outside_the_schema_is_refused(tmp_path, chat_server):
    root = build(tmp_path, **llm_settings(chat_server))
    bad = {**MODEL_PLAY, "steps": [{"name": "x", "kind": "touch", "angle": "threaten", "wait_days": 0}]}
    chat_server.script.append(Scripted(content=json.dumps(bad)))
    result = compile_cli(root, "Whenever someone gives us a bad NPS score, be firm with them")

    assert result.exit_code == 2
    assert "angle" in json.loads(result.output)["problems"][0]["message"]


def test_offline_paths_skip_the_model(tmp_path, chat_server):
    root = build(tmp_path, **llm_settings(chat_server))
    assert compile_cli(root, ACCEPTANCE).exit_code == 0
    assert compile_cli(root, "gives us a bad NPS score", "--offline").exit_code == 2
    assert chat_server.requests == []
