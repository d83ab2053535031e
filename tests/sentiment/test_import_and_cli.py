"""Ticket and survey files with a mapping, cold mail, and the sentiment commands."""

from __future__ import annotations

import json

from sqlalchemy import select
from typer.testing import CliRunner

from churnguard.cli import commands  # noqa: F401  registers the commands
from churnguard.cli.app import app
from churnguard.detect.eventstore import open_event_store
from churnguard.ingest.tickets import import_surveys, import_tickets
from churnguard.sentiment.mail import score_cold_mail
from churnguard.store.models import Reply
from churnguard.store.sentiment_models import SentimentRecord
from tests.loop.conftest import AGENT
from tests.sentiment.conftest import CUSTOMER
from tests.servers import REPO

runner = CliRunner()

TICKETS_CSV = (
    "Ticket ID,Requester,Subject,Description,Status,Created\n"
    f"H-1,{CUSTOMER},Export fails,\"The export fails again.\nNobody answers, this is unacceptable.\",open,2026-02-27 09:00\n"
    "H-2,nobody@unknown.example.com,Question,How do I add an admin?,open,2026-02-27 10:00\n"
    f"H-3,{CUSTOMER},Bad date,Hello,open,yesterday\n"
    ",kim@bakery.example.net,No id,Hello,open,2026-02-27 11:00\n"
)
TICKETS_MAPPING = """
kind = "tickets"
source = "helpdesk"
[format]
type = "csv"
[fields]
id = { column = "Ticket ID" }
requester_email = { column = "Requester" }
subject = { column = "Subject" }
body = { column = "Description" }
status = { column = "Status" }
created_at = { column = "Created", date_format = "%Y-%m-%d %H:%M" }
"""
SURVEYS_MAPPING = """
kind = "surveys"
source = "nps-tool"
[format]
type = "jsonl"
[fields]
id = { column = "response_id" }
type = { value = "nps" }
score = { column = "score" }
respondent_email = { column = "email" }
comment = { column = "comment" }
responded_at = { column = "at" }
"""


def test_ticket_file_imports_matches_and_rejects_per_row(env, tmp_path):
    (tmp_path / "t.csv").write_text(TICKETS_CSV, encoding="utf-8")
    (tmp_path / "t.toml").write_text(TICKETS_MAPPING, encoding="utf-8")
    report = import_tickets(env.workspace, tmp_path / "t.csv", tmp_path / "t.toml")
    assert (report.rows, report.inserted, report.rejected) == (4, 2, 2)
    assert report.extra["unmatched"] == 1

    again = import_tickets(env.workspace, tmp_path / "t.csv", tmp_path / "t.toml")
    assert (again.inserted, again.unchanged) == (0, 2)
    records = {r.external_id: r for r in env.records()}
    assert records["H-1"].sentiment_label == "negative"
    assert records["H-2"].match == "unmatched"
    stored = open_event_store(env.workspace).query("SELECT type FROM events ORDER BY type", {})
    assert [row[0] for row in stored] == ["sentiment_scored", "ticket_opened"]


def test_survey_file_and_the_unmatched_listing(env, tmp_path):
    lines = [{"response_id": "r-1", "score": 2, "email": CUSTOMER, "comment": "Nicht zufrieden, zu langsam.", "at": "2026-02-20T10:00:00Z"},
             {"response_id": "r-2", "score": 10, "email": "x@elsewhere.example.com", "comment": "", "at": "2026-02-20T11:00:00Z"}]
    (tmp_path / "s.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    (tmp_path / "s.toml").write_text(SURVEYS_MAPPING, encoding="utf-8")
    report = import_surveys(env.workspace, tmp_path / "s.jsonl", tmp_path / "s.toml")
    assert (report.inserted, report.extra["unmatched"]) == (2, 1)

    listed = runner.invoke(app, ["sentiment", "unmatched", "--json", "--workspace", str(env.workspace.root)])
    assert listed.exit_code == 0, listed.output
    [item] = json.loads(listed.output)["unmatched"]
    assert (item["kind"], item["external_id"]) == ("survey", "r-2")
    assert "elsewhere" not in listed.output  # addresses stay sealed


def test_cold_reply_to_an_invoice_is_scored_once(env):
    raw = (f"From: Pat Lee <{CUSTOMER}>\r\nTo: billing@agent.example.com\r\nSubject: Re: Invoice 2026-02\r\n\r\n"
           "Just send the invoice. We will not be renewing, the product keeps failing.\r\n").encode()
    with env.workspace.db.transaction() as session:
        session.add(Reply(dedupe_key="cold-1", message_id="<cold-1@example.org>", identity_id=AGENT.id, kind="human",
                          verdict="lost", confidence=0.9, reply_text="Just send the invoice. We will not be renewing, the product keeps failing.",
                          raw=raw, received_at=env.clock.now()))
    first = score_cold_mail(env.workspace)
    again = score_cold_mail(env.workspace)
    assert (first.scored, first.events, again.scored, again.skipped) == (1, 1, 0, 1)
    with env.workspace.db.session() as session:
        record = session.scalar(select(SentimentRecord))
        assert (record.kind, record.account_id, record.sentiment_label) == ("mail", "acct-freight", "negative")


def test_eval_command_prints_json_numbers():
    result = runner.invoke(app, ["eval", "sentiment", str(REPO / "corpus" / "sentiment" / "heldout.tsv"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total"] >= 80
    assert set(data["languages"]) == {"en", "de", "fr", "es"}
    assert 0 <= data["macro_f1"] <= 1


def test_eval_command_fails_clearly_on_a_bad_file(tmp_path):
    (tmp_path / "bad.tsv").write_text("en\tfurious\tWhat a day\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", "sentiment", str(tmp_path / "bad.tsv"), "--json"])
    assert result.exit_code == 2
    assert "line 1" in result.output


def test_score_command():
    result = runner.invoke(app, ["sentiment", "score", "Todo funciona, muchas gracias", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.output)["label"] == "positive"
