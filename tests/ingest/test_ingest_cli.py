"""The import and scan commands: output, JSON, help examples and errors on stderr with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from churnguard.cli.app import _register, app
from churnguard.workspace import Workspace

_register()
RUNNER = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "public-data"


@pytest.mark.parametrize("command", [["import", "accounts"], ["import", "contacts"], ["import", "events"], ["import", "stripe"], ["scan"]])
def test_help_shows_example(command: list[str]) -> None:
    result = RUNNER.invoke(app, [*command, "--help"])

    assert result.exit_code == 0
    assert "Example: churnguard " + " ".join(command) in result.output
    assert "--json" in result.output


def test_import_and_scan_json(workspace: Workspace, tmp_path: Path) -> None:
    mapping = tmp_path / "events.toml"
    mapping.write_text('kind = "events"\nsource = "t"\n[fields]\naccount_id = "a"\ntype = "t"\noccurred_at = "at"\n', encoding="utf-8")
    rows = ["a,t,at"] + [f"acct-1,login,1998-01-{day:02d}" for day in range(1, 11)] + ["acct-1,login,bad-date"]
    source = tmp_path / "events.csv"
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")

    imported = RUNNER.invoke(app, ["import", "events", str(source), "--mapping", str(mapping), "-w", str(workspace.root), "--json"])
    scanned = RUNNER.invoke(app, ["scan", "--as-of", "1998-02-20", "-w", str(workspace.root), "--json"])

    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout)["inserted"] == 10
    assert json.loads(imported.stdout)["rejected"] == 1
    assert scanned.exit_code == 0, scanned.output
    signals = json.loads(scanned.stdout)
    assert [(s["account_id"], s["kind"]) for s in signals] == [("acct-1", "silent_churn")]
    assert signals[0]["evidence"]["before"] == 10


def test_missing_column_exits_2(workspace: Workspace, tmp_path: Path) -> None:
    source = tmp_path / "crm.csv"
    source.write_text("Name\nAcme\n", encoding="utf-8")

    result = RUNNER.invoke(app, ["import", "accounts", str(source), "-m", str(EXAMPLES / "telco-accounts.toml"), "-w", str(workspace.root)])

    assert result.exit_code == 2
    assert result.stderr.startswith("error: import file ")
    assert "has no column" in result.stderr


def test_bad_mapping_exits_2(workspace: Workspace, tmp_path: Path) -> None:
    result = RUNNER.invoke(app, ["import", "accounts", str(tmp_path / "x.csv"), "-m", str(EXAMPLES / "cdnow-events.toml"),
                                 "-w", str(workspace.root)])

    assert result.exit_code == 2
    assert "this command imports accounts" in result.stderr


def test_scan_bad_as_of_exits_2(workspace: Workspace) -> None:
    result = RUNNER.invoke(app, ["scan", "--as-of", "April", "-w", str(workspace.root)])

    assert result.exit_code == 2
    assert "invalid --as-of value" in result.stderr
