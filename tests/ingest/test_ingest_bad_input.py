"""Hostile import input: each bad row or event is rejected on its own, with its line and a
reason that contains none of its value, and every good row still imports."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from churnguard.detect.eventstore import open_event_store
from churnguard.errors import MappingError
from churnguard.ingest import import_accounts, import_contacts, import_events, import_stripe, load_mapping
from churnguard.store.models import Account, Contact
from churnguard.workspace import Workspace

ACCOUNTS_MAP = """
kind = "accounts"
[fields]
id = "id"
name = "name"
mrr_cents = { column = "mrr", multiply = 100, integer = true }
[attributes]
seats = { column = "seats", integer = true }
"""
CONTACTS_MAP = """
kind = "contacts"
[fields]
account_id = "account"
email = "email"
name = "name"
timezone = "tz"
"""
EVENTS_MAP = """
kind = "events"
source = "app"
[fields]
account_id = "account"
type = "type"
occurred_at = "at"
quantity = "qty"
"""
JSONL_MAP = """
kind = "events"
source = "app"
[format]
type = "jsonl"
[fields]
id = "id"
account_id = "account"
type = "type"
occurred_at = "at"
quantity = "qty"
[properties]
detail = "detail"
"""
CANARY = "Canary Secret"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="")
    return path


def reasons_by_line(path: str | None) -> dict[int, str]:
    assert path is not None
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return {item["line"]: item["reason"] for item in map(json.loads, lines)}


def stored_ids(workspace: Workspace, model: type) -> set:
    with workspace.db.session() as session:
        if model is Account:
            return set(session.scalars(select(Account.id)))
        return {(c.account_id, c.email) for c in session.scalars(select(Contact))}


def events(workspace: Workspace) -> list[tuple]:
    return open_event_store(workspace).query("SELECT id, type, quantity, properties FROM events ORDER BY id", {})


def test_contact_control_chars_and_addresses(workspace: Workspace, tmp_path: Path) -> None:
    import_accounts(workspace, write(tmp_path, "a.csv", "id,name,mrr,seats\nA1,One,1,1\n"), write(tmp_path, "a.toml", ACCOUNTS_MAP))
    rows = [
        "account,email,name,tz",
        f'A1,good@example.com,"{CANARY}",UTC',
        f'A1,crlf@example.com,"{CANARY}\r\nBcc: evil@example.test",UTC',
        f"A1,nul\x00x@example.com,{CANARY},UTC",
        f"A1,tab@example.com,{CANARY}\tx,UTC",
        f"A1,jos\u00e9@example.com,{CANARY},UTC",
        f"A1,line@example.com,{CANARY}\u2028x,UTC",
        f'A1,"quo ted"@example.com,{CANARY},UTC',
    ]
    source = write(tmp_path, "c.csv", "\n".join(rows) + "\n")

    report = import_contacts(workspace, source, write(tmp_path, "c.toml", CONTACTS_MAP))

    assert (report.rows, report.inserted, report.rejected) == (7, 1, 6)
    assert stored_ids(workspace, Contact) == {("A1", "good@example.com")}
    reasons = reasons_by_line(report.rejects_path)
    assert "control character" in reasons[3]
    assert "line 3" in reasons[3]
    # The quoted CR LF makes row 3 two physical lines, so later rows count from line 5.
    assert reasons[5].startswith("invalid email in column 'email' at line 5")
    assert "invalid email" in reasons[7]
    assert "invalid email" in reasons[9]
    assert "control character" in reasons[6]
    assert "control character" in reasons[8]
    assert CANARY not in Path(report.rejects_path or "").read_text(encoding="utf-8")


def test_nul_in_name_and_event_type(workspace: Workspace, tmp_path: Path) -> None:
    accounts = write(tmp_path, "a.csv", "id,name,mrr,seats\nA1,Nul\x00Name,1,1\nA2,Fine,1,1\n")
    report = import_accounts(workspace, accounts, write(tmp_path, "a.toml", ACCOUNTS_MAP))
    assert (report.inserted, report.rejected) == (1, 1)

    source = write(tmp_path, "e.csv", "account,type,at,qty\nA2,log\x00in,2025-01-01,1\nA2,login,2025-01-02,1\n")
    report = import_events(workspace, source, write(tmp_path, "e.toml", EVENTS_MAP))
    assert (report.inserted, report.rejected) == (1, 1)
    assert [row[1] for row in events(workspace)] == ["login"]


@pytest.mark.parametrize("mrr,seats,reason", [
    ("1e30", "1", "out of range"),
    ("1e999999999", "1", "out of range"),
    ("1", "1e999999", "out of range"),
    ("1" * 400, "1", "longer than"),
    ("NaN", "1", "not a finite number"),
    ("-Infinity", "1", "not a finite number"),
    ("-50", "1", "negative mrr_cents"),
])
def test_bad_numbers_reject_only_their_row(workspace: Workspace, tmp_path: Path, mrr: str, seats: str, reason: str) -> None:
    text = f"id,name,mrr,seats\nB1,Good,1,1\nB2,Bad,{mrr},{seats}\nB3,Good too,2.5,3\n"
    started = time.monotonic()

    report = import_accounts(workspace, write(tmp_path, "a.csv", text), write(tmp_path, "a.toml", ACCOUNTS_MAP))

    assert time.monotonic() - started < 5
    assert stored_ids(workspace, Account) == {"B1", "B3"}
    assert reason in reasons_by_line(report.rejects_path)[3]


def test_bad_time_zone_names_reject_only_their_row(workspace: Workspace, tmp_path: Path) -> None:
    import_accounts(workspace, write(tmp_path, "a.csv", "id,name,mrr,seats\nA1,One,1,1\n"), write(tmp_path, "a.toml", ACCOUNTS_MAP))
    zones = ["Europe/Berlin", "America", "Europe", "Mars/Olympus", "Europe\\Berlin", "UTC\x00"]
    rows = ["account,email,name,tz"] + [f"A1,p{i}@example.com,P,{zone}" for i, zone in enumerate(zones)]

    report = import_contacts(workspace, write(tmp_path, "c.csv", "\n".join(rows) + "\n"), write(tmp_path, "c.toml", CONTACTS_MAP))

    assert (report.inserted, report.rejected) == (1, 5)
    assert all("time zone" in reason for reason in reasons_by_line(report.rejects_path).values())


def test_jsonl_quantity_range_and_sign(workspace: Workspace, tmp_path: Path) -> None:
    lines = [
        {"id": "e1", "account": "A1", "type": "login", "at": "2025-01-01", "qty": "1e400"},
        {"id": "e2", "account": "A1", "type": "login", "at": "2025-01-01", "qty": -5},
        {"id": "e3", "account": "A1", "type": "login", "at": "2025-01-01", "qty": 10**500},
        {"id": "e4", "account": "A1", "type": "login", "at": "2025-01-01", "qty": 2, "detail": {"nested": [1, 2]}},
    ]
    text = "\n".join(json.dumps(line) for line in lines[:2]) + "\n" + '{"qty": ' + "9" * 5000 + "}\n"
    text += "\n".join(json.dumps(line) for line in lines[3:]) + "\n"

    report = import_events(workspace, write(tmp_path, "e.jsonl", text), write(tmp_path, "e.toml", JSONL_MAP))

    assert (report.rows, report.inserted, report.rejected) == (4, 1, 3)
    stored = events(workspace)
    assert [(row[1], row[2]) for row in stored] == [("login", 2.0)]
    assert json.loads(stored[0][3]) == {"detail": '{"nested": [1, 2]}'}


def test_oversized_cell_rejects_only_its_row(workspace: Workspace, tmp_path: Path) -> None:
    big = "x" * 200_000
    for quoted in (False, True):
        cell = f'"{big}"' if quoted else big
        text = f"account,type,at,qty\nA1,login,2025-01-01,1\nA1,{cell},2025-01-02,1\nA1,login,2025-01-03,1\n"
        report = import_events(workspace, write(tmp_path, f"e{quoted}.csv", text), write(tmp_path, "e.toml", EVENTS_MAP))

        assert (report.rows, report.rejected) == (3, 1)
        assert "line 3 has a cell larger than" in reasons_by_line(report.rejects_path)[3]
    assert len(events(workspace)) == 2


def test_unclosed_quote_names_lines(workspace: Workspace, tmp_path: Path) -> None:
    text = 'id,name,mrr,seats\nA3,Fine,1,1\nA4,"Unclosed,1,1\nA5,Good,5,1\nA6,Good,6,1\n'

    report = import_accounts(workspace, write(tmp_path, "a.csv", text), write(tmp_path, "a.toml", ACCOUNTS_MAP))

    reason = reasons_by_line(report.rejects_path)[3]
    assert "quote opened on line 3 is not closed" in reason
    assert "lines 4-5" in reason


def test_header_with_quoted_newline(workspace: Workspace, tmp_path: Path) -> None:
    mapping = write(tmp_path, "e.toml", 'kind = "events"\nsource = "app"\n[fields]\naccount_id = "account"\n'
                                         'type = { value = "login" }\noccurred_at = "at"\n')
    text = 'account,"no\nte",at\nA1,x,2025-01-11\n'

    report = import_events(workspace, write(tmp_path, "e.csv", text), mapping)

    assert (report.rows, report.inserted) == (1, 1)


def test_duplicate_keys_reported(workspace: Workspace, tmp_path: Path) -> None:
    lines = [{"id": "e1", "account": "A1", "type": "login", "at": "2025-01-01", "qty": 1},
             {"id": "e1", "account": "A1", "type": "logout", "at": "2025-01-02", "qty": 1},
             {"id": "e2", "account": "A1", "type": "login", "at": "2025-01-03", "qty": 1}]
    source = write(tmp_path, "e.jsonl", "\n".join(json.dumps(line) for line in lines) + "\n")

    report = import_events(workspace, source, write(tmp_path, "e.toml", JSONL_MAP))

    assert (report.rows, report.inserted, report.unchanged, report.rejected) == (3, 2, 0, 1)
    assert "event id at line 2 repeats line 1" in reasons_by_line(report.rejects_path)[2]

    text = "id,name,mrr,seats\nA1,Old,1,1\nA1,New,2,1\n"
    report = import_accounts(workspace, write(tmp_path, "a.csv", text), write(tmp_path, "a.toml", ACCOUNTS_MAP))
    assert (report.rows, report.inserted, report.rejected) == (2, 1, 1)
    assert "account id at line 2 repeats at line 3" in reasons_by_line(report.rejects_path)[2]


def test_rejects_file_per_source_path(workspace: Workspace, tmp_path: Path) -> None:
    mapping = write(tmp_path, "a.toml", ACCOUNTS_MAP)
    bad = write(tmp_path, "one/accounts.csv", "id,name,mrr,seats\nA1,One,abc,1\n")
    good = write(tmp_path, "two/accounts.csv", "id,name,mrr,seats\nA2,Two,1,1\n")

    first = import_accounts(workspace, bad, mapping)
    second = import_accounts(workspace, good, mapping)

    assert second.rejects_path is None
    assert Path(first.rejects_path or "").is_file()
    other = import_accounts(workspace, write(tmp_path, "two/accounts.csv", "id,name,mrr,seats\nA2,Two,x,1\n"), mapping)
    assert other.rejects_path != first.rejects_path


@pytest.mark.parametrize("body,key", [
    ('kind = ["accounts"]\n[fields]\nid = "id"\n', "'kind'"),
    ('kind = "accounts"\n[format]\nheader = false\ncolumns = 5\n[fields]\nid = "id"\n', "'format.columns'"),
    ('kind = "accounts"\n[fields]\nid = "id"\nname = { template = "{name:>999999999}" }\n', "'fields.name.template'"),
    ('kind = "accounts"\n[fields]\nid = "id"\nname = { template = "{name!r}" }\n', "'fields.name.template'"),
    ('kind = "accounts"\n[fields]\nid = "id"\nmrr_cents = { column = "m", multiply = 1e300 }\n', "'fields.mrr_cents.multiply'"),
    ('kind = "accounts"\n[fields]\nid = "id"\nname = { value = { a = 1 } }\n', "'fields.name.value'"),
    ('kind = "accounts"\n[fields]\nid = "id"\nmrr_cents = { column = "m", default = [1] }\n', "'fields.mrr_cents.default'"),
    ('kind = "accounts"\n[fields]\nid = "id"\nrenewal_date = { value = "soon" }\n', "'fields.renewal_date.value'"),
    ('kind = "accounts"\n[fields]\nid = "id"\nname = { column = "n", values = { x = "a\\nb" } }\n', "'fields.name.values.x'"),
])
def test_mapping_type_errors(tmp_path: Path, body: str, key: str) -> None:
    with pytest.raises(MappingError, match=key):
        load_mapping(write(tmp_path, "m.toml", body))


def test_mapping_toml_date_value(workspace: Workspace, tmp_path: Path) -> None:
    mapping = write(tmp_path, "m.toml", 'kind = "accounts"\n[fields]\nid = "id"\nrenewal_date = { value = 1979-05-27T07:32:00Z }\n')

    report = import_accounts(workspace, write(tmp_path, "a.csv", "id\nA1\n"), mapping)

    assert (report.inserted, report.rejected) == (1, 0)


def stripe_event(event_id: str, created: int, customer: str = "cus_A1", stripe_type: str = "invoice.payment_failed") -> dict:
    obj = {"object": "invoice", "id": f"in_{event_id}", "customer": customer, "amount_due": 1000}
    return {"id": event_id, "object": "event", "type": stripe_type, "created": created, "data": {"object": obj}}


def nested(depth: int) -> dict:
    event = stripe_event("evt_deep", 1_700_000_003)
    inner: dict = {}
    event["data"]["object"]["metadata"] = inner
    for _ in range(depth):
        inner["x"] = {}
        inner = inner["x"]
    return event


def test_stripe_bad_events_one_by_one(workspace: Workspace, tmp_path: Path) -> None:
    import_accounts(workspace, write(tmp_path, "a.csv", "id,name,mrr,seats\nA1,One,1,1\n"), write(tmp_path, "a.toml", ACCOUNTS_MAP))
    account_map = write(tmp_path, "map.csv", "customer_id,account_id\ncus_A1,A1\ncus_GHOST,NOACCOUNT\n")
    mixed = [stripe_event("evt_ok", 1_700_000_000), stripe_event("evt_big", 10**20), stripe_event("evt_neg", -10**14), nested(200)]
    files = [
        write(tmp_path, "mixed.json", json.dumps(mixed)),
        write(tmp_path, "deep.json", "[" * 100_000 + "]" * 100_000),
        write(tmp_path, "ghost.json", json.dumps(stripe_event("evt_ghost", 1_700_000_001, "cus_GHOST"))),
        write(tmp_path, "later.json", json.dumps(stripe_event("evt_ok2", 1_700_000_002, stripe_type="invoice.paid"))),
    ]

    report = import_stripe(workspace, files, account_map)

    assert (report.inserted, report.rejected) == (2, 5)
    lines = [json.loads(line) for line in Path(report.rejects_path or "").read_text(encoding="utf-8").splitlines()]
    reasons = {(item["file"], item["line"]): item["reason"] for item in lines}
    assert "'created' is out of range" in reasons[("mixed.json", 2)]
    assert "'created' is out of range" in reasons[("mixed.json", 3)]
    assert "nests more than" in reasons[("mixed.json", 4)]
    assert "nests too deeply" in reasons[("deep.json", 0)]
    assert "does not exist" in reasons[("ghost.json", 1)]
    assert {event[0] for event in events(workspace)} == {"stripe:evt_ok", "stripe:evt_ok2"}


def test_stripe_duplicate_ids_and_appended_rejects(workspace: Workspace, tmp_path: Path) -> None:
    import_accounts(workspace, write(tmp_path, "a.csv", "id,name,mrr,seats\nA1,One,1,1\n"), write(tmp_path, "a.toml", ACCOUNTS_MAP))
    account_map = write(tmp_path, "map.csv", "customer_id,account_id\ncus_A1,A1\n")
    twice = [stripe_event("evt_1", 1_700_000_000), stripe_event("evt_1", 1_700_000_500, stripe_type="invoice.paid")]

    first = import_stripe(workspace, [write(tmp_path, "dup.json", json.dumps(twice))], account_map)
    second = import_stripe(workspace, [write(tmp_path, "lost.json", json.dumps(stripe_event("evt_2", 1, "cus_NONE")))], account_map)

    assert first.rejected == 1
    lines = Path(second.rejects_path or "").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["file"] for line in lines] == ["dup.json", "lost.json"]
    assert "event id evt_1 was already read from dup.json, event 1" in json.loads(lines[0])["reason"]
    assert all(json.loads(line)["run"] for line in lines)
