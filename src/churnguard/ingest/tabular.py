"""Import accounts, contacts and events from CSV or JSON Lines files through a mapping.

Bad rows go to a rejects file with their line number, field and reason; the other rows
import. Accounts are upserted by id and contacts by (account, email), so importing the same
file again changes nothing. An empty cell leaves the stored value as it is.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from churnguard.detect.eventstore import EventRecord, event_id, open_event_store, row_event_id
from churnguard.errors import ImportRowError
from churnguard.ingest.convert import convert_row
from churnguard.ingest.mapping import Mapping, load_mapping
from churnguard.ingest.report import ImportFileError, ImportReport, Reject, audit_import, rejects_path, write_rejects
from churnguard.ingest.rows import read_rows
from churnguard.store.models import Account, Contact
from churnguard.workspace import Workspace

_CHUNK = 500


@dataclass
class ParsedRow:
    """A row that passed validation, with its line number."""

    line: int
    fields: dict[str, Any]
    extras: dict[str, Any]


def import_accounts(workspace: Workspace, path: Path | str, mapping: Mapping | Path | str) -> ImportReport:
    """Upsert accounts by id; a later row with the same id wins over an earlier one."""
    path, mapping = Path(path), _mapping(mapping, "accounts")
    parsed, rejects, report = _parse(path, mapping)
    latest = _latest(parsed, lambda row: row.fields["id"], "account id", rejects)

    with workspace.db.transaction() as session:
        known = _load(session, Account, Account.id, list(latest))
        for account_id, row in latest.items():
            _count(report, _upsert_account(session, known.get(account_id), row, workspace))
        report.rejected = len(rejects)
        report.rejects_path = write_rejects(rejects_path(workspace.rejects_dir, path, "accounts"), rejects)
        audit_import(session, report, workspace.clock.now())

    return report


def import_contacts(workspace: Workspace, path: Path | str, mapping: Mapping | Path | str) -> ImportReport:
    """Upsert contacts by (account, email); rows naming an unknown account are rejected."""
    path, mapping = Path(path), _mapping(mapping, "contacts")
    parsed, rejects, report = _parse(path, mapping)
    latest = _latest(parsed, lambda row: (row.fields["account_id"], row.fields["email"]), "account and email", rejects)

    with workspace.db.transaction() as session:
        account_ids = sorted({account_id for account_id, _ in latest})
        accounts = _load(session, Account, Account.id, account_ids)
        contacts = {(c.account_id, c.email): c for c in _load_all(session, Contact, Contact.account_id, account_ids)}
        for key, row in latest.items():
            if key[0] not in accounts:
                _reject_unknown_account(report, rejects, row, mapping)
                continue
            _count(report, _upsert_contact(session, contacts.get(key), row))

        report.rejected = len(rejects)
        report.rejects_path = write_rejects(rejects_path(workspace.rejects_dir, path, "contacts"), rejects)
        audit_import(session, report, workspace.clock.now())

    return report


def import_events(workspace: Workspace, path: Path | str, mapping: Mapping | Path | str) -> ImportReport:
    """Add events to the workspace's event store; events already stored are skipped."""
    path, mapping = Path(path), _mapping(mapping, "events")
    parsed, rejects, report = _parse(path, mapping)
    events = _first_events(list(build_events(mapping, parsed)), parsed, rejects)

    inserted = open_event_store(workspace).add(events)
    report.inserted, report.unchanged = inserted, len({event.id for event in events}) - inserted

    with workspace.db.transaction() as session:
        report.rejected = len(rejects)
        report.rejects_path = write_rejects(rejects_path(workspace.rejects_dir, path, "events"), rejects)
        audit_import(session, report, workspace.clock.now())
    return report


def build_events(mapping: Mapping, rows: Iterable[ParsedRow]) -> Iterator[EventRecord]:
    """Turn parsed rows into events with ids that stay the same on every import."""
    seen: Counter[str] = Counter()
    for row in rows:
        fields = row.fields
        quantity = 1.0 if fields.get("quantity") is None else fields["quantity"]
        event = EventRecord("", fields["account_id"], fields["type"], fields["occurred_at"], quantity, mapping.source, row.extras)

        if fields.get("id") is not None:
            event.id = event_id(mapping.source, fields["id"])
        else:
            base = row_event_id(mapping.source, event.account_id, event.type, event.occurred_at, quantity, row.extras)
            event.id = row_event_id(mapping.source, event.account_id, event.type, event.occurred_at, quantity, row.extras, seen[base])
            seen[base] += 1
        yield event


def _latest(parsed: list[ParsedRow], key: Callable[[ParsedRow], Any], label: str,
            rejects: list[Reject]) -> dict[Any, ParsedRow]:
    """Keep the last row per key; each earlier row is a reject that names the line that won."""
    latest: dict[Any, ParsedRow] = {}
    for row in parsed:
        earlier = latest.get(key(row))
        if earlier is not None:
            reason = (f"{label} at line {earlier.line} repeats at line {row.line}, and the later row was imported: "
                      "keep one row per key")
            rejects.append(Reject(earlier.line, reason))
        latest[key(row)] = row
    return latest


def _first_events(events: list[EventRecord], parsed: list[ParsedRow], rejects: list[Reject]) -> list[EventRecord]:
    """Keep the first event per id; a later row with the same id is a reject naming both lines."""
    first: dict[str, int] = {}
    kept: list[EventRecord] = []
    for event, row in zip(events, parsed):
        if event.id in first:
            reason = f"event id at line {row.line} repeats line {first[event.id]}: give each event its own id"
            rejects.append(Reject(row.line, reason, "id"))
            continue
        first[event.id] = row.line
        kept.append(event)
    return kept


def _mapping(mapping: Mapping | Path | str, kind: str) -> Mapping:
    if isinstance(mapping, Mapping):
        if mapping.kind != kind:
            return load_mapping(mapping.path, kind)
        return mapping
    return load_mapping(mapping, kind)


def _parse(path: Path, mapping: Mapping) -> tuple[list[ParsedRow], list[Reject], ImportReport]:
    """Validate every row before anything is written, so a file error leaves no half import."""
    report = ImportReport(kind=mapping.kind, files=[path.name])
    parsed: list[ParsedRow] = []
    rejects: list[Reject] = []
    try:
        for row in read_rows(path, mapping):
            report.rows += 1
            if row.values is None:
                rejects.append(Reject(row.line, f"{row.problem}: fix the line or drop it"))
                continue
            try:
                fields, extras = convert_row(mapping, row.values)
            except ImportRowError as exc:
                rejects.append(_reject(row.line, exc, mapping))
                continue
            parsed.append(ParsedRow(row.line, fields, extras))
    except csv.Error as exc:
        raise ImportFileError(f"import file {path} is not valid CSV ({exc}); fix the quoting or the delimiter") from None
    except RecursionError:
        raise ImportFileError(f"import file {path} nests too deeply to read; flatten its records") from None

    report.rejected = len(rejects)
    return parsed, rejects, report


def _reject(line: int, exc: ImportRowError, mapping: Mapping) -> Reject:
    problem, _, fix = str(exc).partition(": ")
    spec = mapping.fields.get(exc.field or "") or mapping.extras.get(exc.field or "")
    return Reject(line, f"{problem} at line {line}: {fix}", exc.field, spec.column if spec else None)


def _reject_unknown_account(report: ImportReport, rejects: list[Reject], row: ParsedRow, mapping: Mapping) -> None:
    column = mapping.fields["account_id"].column
    reason = f"account_id at line {row.line} names no imported account: import accounts first or fix the id"
    rejects.append(Reject(row.line, reason, "account_id", column))


def _load(session: Session, model: type, key: Any, ids: list[Any]) -> dict[Any, Any]:
    return {getattr(item, key.key): item for item in _load_all(session, model, key, ids)}


def _load_all(session: Session, model: type, key: Any, ids: list[Any]) -> list[Any]:
    found: list[Any] = []
    for start in range(0, len(ids), _CHUNK):
        found.extend(session.scalars(select(model).where(key.in_(ids[start : start + _CHUNK]))))
    return found


def _count(report: ImportReport, outcome: str) -> None:
    setattr(report, outcome, getattr(report, outcome) + 1)


def _upsert_account(session: Session, account: Account | None, row: ParsedRow, workspace: Workspace) -> str:
    values = {name: value for name, value in row.fields.items() if value is not None}
    if account is None:
        account = Account(**values, attributes=dict(row.extras), updated_at=workspace.clock.now())
        session.add(account)
        return "inserted"

    attributes = {**(account.attributes or {}), **row.extras}
    changed = _assign(account, values)
    if attributes != (account.attributes or {}):
        account.attributes = attributes
        changed = True
    if not changed:
        return "unchanged"

    account.updated_at = workspace.clock.now()
    return "updated"


def _upsert_contact(session: Session, contact: Contact | None, row: ParsedRow) -> str:
    values = {name: value for name, value in row.fields.items() if value is not None}
    if contact is None:
        session.add(Contact(**values))
        return "inserted"
    return "updated" if _assign(contact, values) else "unchanged"


def _assign(item: Any, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(item, name) != value:
            setattr(item, name, value)
            changed = True
    return changed
