"""Every command documents itself with an example, prints JSON on request, and fails cleanly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from churnguard.cli.app import app, main  # noqa: F401
from churnguard.cli import commands  # noqa: F401  registers the commands
from churnguard.config import SETTINGS
from tests.servers import REPO

runner = CliRunner()


def _commands(group, prefix: tuple[str, ...] = ()):
    # Typer ships its own copy of click, so look for sub-commands instead of checking types.
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, prefix + (name,))
        else:
            yield prefix + (name,), command


def all_commands():
    import typer.main

    return list(_commands(typer.main.get_command(app)))


@pytest.mark.parametrize("path,command", all_commands(), ids=lambda value: " ".join(value) if isinstance(value, tuple) else "")
def test_help_has_example(path, command):
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0
    assert "Example: churnguard" in result.output


def test_result_commands_offer_json():
    without_json = [path for path, command in all_commands() if not any(p.name == "as_json" for p in command.params)]
    assert without_json == []


def test_every_setting_is_documented():
    text = (REPO / "docs" / "settings.md").read_text(encoding="utf-8")
    missing = [setting.name for setting in SETTINGS if f"`{setting.name}`" not in text]
    assert missing == []


def test_init_run_and_verify_with_json(tmp_path: Path):
    folder = tmp_path / "ws"
    created = runner.invoke(app, ["init", str(folder), "--json"])
    assert created.exit_code == 0, created.output
    assert json.loads(created.output)["identity"] == "alex-agent"

    ran = runner.invoke(app, ["run", "--once", "--json", "--workspace", str(folder)])
    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.output[ran.output.index("{"):])["sent"] == 0

    verified = runner.invoke(app, ["audit", "verify", "--json", "--workspace", str(folder)])
    assert json.loads(verified.output) == {"ok": True, "entries": 1, "first_bad_id": None, "reason": ""}


def test_missing_workspace_is_a_clear_error(tmp_path: Path):
    result = runner.invoke(app, ["run", "--once", "--workspace", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "not a churnguard workspace" in result.output
    assert "churnguard init" in result.output


def test_bad_as_of_names_the_value(tmp_path: Path):
    runner.invoke(app, ["init", str(tmp_path / "ws")])
    result = runner.invoke(app, ["run", "--once", "--as-of", "April 1st", "--workspace", str(tmp_path / "ws")])
    assert result.exit_code == 2
    assert "'April 1st'" in result.output and "1998-04-01" in result.output


def test_init_refuses_existing_workspace(tmp_path: Path):
    runner.invoke(app, ["init", str(tmp_path / "ws")])
    again = runner.invoke(app, ["init", str(tmp_path / "ws")])
    assert again.exit_code == 2
    assert "already holds a workspace" in again.output


def test_bad_setting_type_names_setting(tmp_path: Path):
    runner.invoke(app, ["init", str(tmp_path / "ws")])
    with open(tmp_path / "ws" / "churnguard.toml", "a", encoding="utf-8") as handle:
        handle.write('\n"detect.silent_churn.window_days" = "thirty"\n')
    result = runner.invoke(app, ["run", "--once", "--workspace", str(tmp_path / "ws")])
    assert result.exit_code == 2
    assert "detect.silent_churn.window_days" in result.output and "int" in result.output


def test_classify_reports_kind_and_verdict(tmp_path: Path):
    eml = tmp_path / "reply.eml"
    eml.write_bytes(
        b"From: Pat <pat@customer.example.org>\r\nTo: agent@agent.example.com\r\nSubject: Re: hi\r\n"
        b"Message-ID: <r1@customer.example.org>\r\n\r\nSure, Thursday 3pm works for a call.\r\n"
    )
    result = runner.invoke(app, ["replies", "classify", str(eml), "--json"])
    data = json.loads(result.output)
    assert (data["kind"], data["verdict"]) == ("human", "save")
    assert data["reply_text"].startswith("Sure, Thursday")


def test_classify_unparseable_file_names_it(tmp_path: Path):
    junk = tmp_path / "junk.eml"
    junk.write_bytes(b"")
    result = runner.invoke(app, ["replies", "classify", str(junk)])
    assert result.exit_code == 2
    assert "junk.eml" in result.output
