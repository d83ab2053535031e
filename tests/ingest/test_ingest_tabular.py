"""Tabular imports: bad rows go to a rejects file with line and reason, the rest import once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from churnguard.detect.eventstore import open_event_store
from churnguard.errors import MappingError
from churnguard.ingest import ImportFileError, import_accounts, import_contacts, import_events
from churnguard.store.models import Account, AuditEvent, Contact
from churnguard.workspace import Workspace

ACCOUNTS_MAP = """
kind = "accounts"
[fields]
id = "Id"
name = "Name"
mrr_cents = { column = "MRR", multiply = 100 }
currency = "Currency"
renewal_date = { column = "Renewal", date_format = "%d/%m/%Y" }
status = { column = "Churned", values = { yes = "churned", no = "active" } }
[attributes]
segment = "Segment"
"""

ACCOUNTS_CSV = """Id,Name,MRR,Currency,Renewal,Churned,Segment
acme,Acme Ltd,29.85,usd,31/12/2026,no,smb
globex,Globex,abc,USD,01/01/2027,no,mid
initech,Initech,10,US-Dollar,01/01/2027,no,smb
,Nobody,10,USD,01/01/2027,no,smb
hooli,Hooli,99.5,EUR,2027-01-01,no,ent
umbrella,Umbrella,1,USD,01/02/2027,maybe,smb
"""

CONTACTS_MAP = """
kind = "contacts"
[format]
delimiter = ";"
[fields]
account_id = "Account"
email = "Email"
timezone = "Zone"
is_main = { column = "Main", values = { x = true } , default = false }
"""

CONTACTS_CSV = """Account;Email;Zone;Main
acme;Pat@Acme.example.com;Europe/Berlin;x
acme;not-an-address;UTC;
acme;lee@acme.example.com;Mars/Olympus;
ghost;kim@ghost.example.com;UTC;
"""

EVENTS_MAP = """
kind = "events"
source = "app"
[format]
type = "jsonl"
[fields]
account_id = "account"
type = "event"
occurred_at = "at"
quantity = { column = "n", default = 1 }
[properties]
feature = "feature"
"""


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_text(text, encoding=encoding)
    return path


def rejects(path: str | None) -> list[dict]:
    assert path is not None
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


def accounts(workspace: Workspace) -> dict[str, Account]:
    with workspace.db.session() as session:
        return {a.id: a for a in session.scalars(select(Account))}


def test_accounts_import_rejects_bad_rows(workspace: Workspace, tmp_path: Path) -> None:
    mapping = write(tmp_path, "accounts.toml", ACCOUNTS_MAP)
    report = import_accounts(workspace, write(tmp_path, "crm.csv", ACCOUNTS_CSV), mapping)

    assert (report.rows, report.inserted, report.rejected) == (6, 1, 5)
    stored = accounts(workspace)
    assert set(stored) == {"acme"}
    assert stored["acme"].mrr_cents == 2985
    assert stored["acme"].currency == "USD"
    assert stored["acme"].renewal_date.isoformat() == "2026-12-31"
    assert stored["acme"].attributes == {"segment": "smb"}
    assert Path(report.rejects_path or "").parent == workspace.rejects_dir
    assert Path(report.rejects_path or "").name.startswith("crm.accounts.")

    by_line = {item["line"]: item for item in rejects(report.rejects_path)}
    assert sorted(by_line) == [3, 4, 5, 6, 7]
    assert by_line[3]["field"] == "mrr_cents"
    assert by_line[3]["reason"].startswith("invalid whole number in column 'MRR' at line 3: ")
    assert by_line[4]["field"] == "currency"
    assert by_line[5]["reason"].startswith("missing id in column 'Id' at line 5")
    assert by_line[6]["field"] == "renewal_date"
    assert by_line[7]["field"] == "status"


def test_rejects_never_echo_values(workspace: Workspace, tmp_path: Path) -> None:
    mapping = write(tmp_path, "accounts.toml", ACCOUNTS_MAP)
    report = import_accounts(workspace, write(tmp_path, "crm.csv", ACCOUNTS_CSV), mapping)

    text = Path(report.rejects_path or "").read_text(encoding="utf-8")
    for value in ("abc", "US-Dollar", "Nobody", "Hooli", "2027-01-01", "maybe", "Umbrella"):
        assert value not in text


def test_accounts_reimport_changes_nothing(workspace: Workspace, tmp_path: Path) -> None:
    mapping = write(tmp_path, "accounts.toml", ACCOUNTS_MAP)
    source = write(tmp_path, "crm.csv", ACCOUNTS_CSV)
    import_accounts(workspace, source, mapping)
    before = accounts(workspace)["acme"].updated_at

    again = import_accounts(workspace, source, mapping)

    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 1)
    assert accounts(workspace)["acme"].updated_at == before


def test_accounts_reimport_updates_changed(workspace: Workspace, tmp_path: Path) -> None:
    mapping = write(tmp_path, "accounts.toml", ACCOUNTS_MAP)
    import_accounts(workspace, write(tmp_path, "crm.csv", ACCOUNTS_CSV), mapping)
    changed = ACCOUNTS_CSV.replace("29.85,usd,31/12/2026,no,smb", "31.00,usd,31/12/2026,yes,smb")

    report = import_accounts(workspace, write(tmp_path, "crm.csv", changed), mapping)

    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 0)
    assert accounts(workspace)["acme"].mrr_cents == 3100
    assert accounts(workspace)["acme"].status == "churned"


def test_later_duplicate_row_wins(workspace: Workspace, tmp_path: Path) -> None:
    mapping = write(tmp_path, "accounts.toml", ACCOUNTS_MAP)
    text = "Id,Name,MRR,Currency,Renewal,Churned,Segment\nacme,Old,1,USD,,no,smb\nacme,New,2,USD,,no,smb\n"

    report = import_accounts(workspace, write(tmp_path, "dup.csv", text), mapping)

    assert (report.rows, report.inserted) == (2, 1)
    assert accounts(workspace)["acme"].name == "New"


def test_contacts_import_validates(workspace: Workspace, tmp_path: Path) -> None:
    import_accounts(workspace, write(tmp_path, "crm.csv", ACCOUNTS_CSV), write(tmp_path, "a.toml", ACCOUNTS_MAP))
    mapping = write(tmp_path, "contacts.toml", CONTACTS_MAP)
    source = write(tmp_path, "people.csv", CONTACTS_CSV)

    report = import_contacts(workspace, source, mapping)

    assert (report.inserted, report.rejected) == (1, 3)
    with workspace.db.session() as session:
        contact = session.scalars(select(Contact)).one()
    assert (contact.email, contact.timezone, contact.is_main) == ("pat@acme.example.com", "Europe/Berlin", True)
    by_line = {item["line"]: item for item in rejects(report.rejects_path)}
    assert by_line[3]["reason"] == "invalid email in column 'Email' at line 3: fix the address or drop the row"
    assert by_line[4]["field"] == "timezone"
    assert by_line[5]["reason"].startswith("account_id at line 5 names no imported account")

    again = import_contacts(workspace, source, mapping)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 1)


def test_events_import_dedupes(workspace: Workspace, tmp_path: Path) -> None:
    lines = [
        {"account": "acme", "event": "login", "at": "2026-03-01T09:00:00Z"},
        {"account": "acme", "event": "login", "at": "2026-03-01T09:00:00Z"},
        {"account": "acme", "event": "export", "at": "2026-03-02T10:00:00+02:00", "n": 3, "feature": "csv"},
        {"account": "acme", "event": "login", "at": "yesterday"},
        {"account": "", "event": "login", "at": "2026-03-01T09:00:00Z"},
    ]
    text = "\n".join(json.dumps(line) for line in lines) + "\n{not json}\n"
    source = write(tmp_path, "app.jsonl", text)
    mapping = write(tmp_path, "events.toml", EVENTS_MAP)

    report = import_events(workspace, source, mapping)

    assert (report.rows, report.inserted, report.rejected) == (6, 3, 3)
    assert sorted(item["line"] for item in rejects(report.rejects_path)) == [4, 5, 6]
    store = open_event_store(workspace)
    rows = store.query("SELECT type, quantity, occurred_at, properties FROM events WHERE type = :t", {"t": "export"})
    assert rows[0][1] == 3.0
    assert rows[0][2].isoformat() == "2026-03-02T08:00:00"
    assert json.loads(rows[0][3]) == {"feature": "csv"}

    again = import_events(workspace, source, mapping)
    assert (again.inserted, again.unchanged) == (0, 3)
    assert store.count() == 3


def test_missing_mapped_column_names_it(workspace: Workspace, tmp_path: Path) -> None:
    mapping = write(tmp_path, "accounts.toml", ACCOUNTS_MAP)
    source = write(tmp_path, "crm.csv", "Id,Name\nacme,Acme\n")

    with pytest.raises(ImportFileError, match=r"crm.csv has no column '(Churned|Currency)'"):
        import_accounts(workspace, source, mapping)


def test_wrong_encoding_is_a_file_error(workspace: Workspace, tmp_path: Path) -> None:
    mapping = write(tmp_path, "accounts.toml", ACCOUNTS_MAP)
    source = write(tmp_path, "latin.csv", ACCOUNTS_CSV.replace("Acme Ltd", "Acmé Ltd"), encoding="latin-1")

    with pytest.raises(ImportFileError, match="latin.csv is not valid utf-8"):
        import_accounts(workspace, source, mapping)
    assert accounts(workspace) == {}


def test_missing_file_is_a_file_error(workspace: Workspace, tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="not found"):
        import_accounts(workspace, tmp_path / "absent.csv", write(tmp_path, "a.toml", ACCOUNTS_MAP))


def test_wrong_mapping_kind_is_rejected(workspace: Workspace, tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="this command imports accounts"):
        import_accounts(workspace, tmp_path / "x.csv", write(tmp_path, "e.toml", EVENTS_MAP))


def test_import_audit_holds_counts_only(workspace: Workspace, tmp_path: Path) -> None:
    import_accounts(workspace, write(tmp_path, "crm.csv", ACCOUNTS_CSV), write(tmp_path, "a.toml", ACCOUNTS_MAP))

    with workspace.db.session() as session:
        entry = session.scalars(select(AuditEvent)).one()
    assert entry.type == "import.completed"
    assert entry.detail["inserted"] == 1
    assert entry.detail["rejected"] == 5
    assert "Acme" not in json.dumps(entry.detail)
