"""Import helpdesk tickets and NPS/CSAT responses from CSV or JSON Lines with a mapping file.

The mapping file is the one ``churnguard import events`` reads, with ``kind = "tickets"`` or
``kind = "surveys"`` and a ``source`` name (ids are unique per source)::

    kind = "tickets"
    source = "helpdesk"
    [format]
    type = "csv"
    [fields]
    id = { column = "Ticket ID" }
    requester_email = { column = "Requester" }
    subject = { column = "Subject" }
    body = { column = "Description" }
    created_at = { column = "Created", date_format = "%Y-%m-%d %H:%M" }

Rows go through the same checks as webhooks (``sentiment.intake``) and the same store
(``sentiment.records``): matched by account id, address or domain; unmatched rows are kept
and listed; a row seen before changes nothing. Line breaks in a body or comment are read as
spaces, because mapped text fields refuse control characters.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from churnguard.detect.eventstore import EventRecord, open_event_store
from churnguard.errors import ImportRowError, MappingError
from churnguard.ingest.convert import convert_row
from churnguard.ingest.mapping import FIELDS, REQUIRED, Mapping, load_mapping
from churnguard.ingest.report import ImportReport, Reject, audit_import, rejects_path, write_rejects
from churnguard.ingest.rows import read_rows
from churnguard.sentiment.intake import IntakeError, parse_survey, parse_ticket
from churnguard.sentiment.records import accept_survey, accept_ticket
from churnguard.workspace import Workspace

# The two kinds join the mapping vocabulary when this module is imported.
FIELDS.setdefault("tickets", {
    "id": "text", "account_id": "text", "requester_email": "email", "subject": "text", "body": "text",
    "status": "text", "priority": "text", "created_at": "datetime", "updated_at": "datetime",
    "solved_at": "datetime", "satisfaction": "text",
})
FIELDS.setdefault("surveys", {
    "id": "text", "survey_id": "text", "type": "text", "score": "float", "scale_max": "float",
    "account_id": "text", "respondent_email": "email", "comment": "text", "responded_at": "datetime",
})
REQUIRED.setdefault("tickets", ("id",))
REQUIRED.setdefault("surveys", ("id", "score"))
_LONG_TEXT = {"tickets": ("body", "subject"), "surveys": ("comment",)}


def import_tickets(workspace: Workspace, path: Path | str, mapping: Mapping | Path | str) -> ImportReport:
    return _import(workspace, Path(path), mapping, "tickets")


def import_surveys(workspace: Workspace, path: Path | str, mapping: Mapping | Path | str) -> ImportReport:
    return _import(workspace, Path(path), mapping, "surveys")


def _import(workspace: Workspace, path: Path, mapping: Mapping | Path | str, kind: str) -> ImportReport:
    mapping = mapping if isinstance(mapping, Mapping) else load_mapping(mapping, kind)
    if mapping.kind != kind:
        raise MappingError(f"mapping file {mapping.path}: 'kind' is {mapping.kind!r}; use kind = \"{kind}\"")
    source = mapping.source or "import"
    report = ImportReport(kind=kind, files=[path.name])
    rows, rejects = _rows(path, mapping, kind, report)

    max_text, now = int(workspace.settings["sentiment.max_text_chars"]), workspace.clock.now()
    events: list[EventRecord] = []
    unmatched = 0
    with workspace.db.transaction() as session:
        for line, fields in rows:
            try:
                item = parse_ticket(fields, max_text=max_text, now=now) if kind == "tickets" else parse_survey(fields, max_text=max_text, now=now)
            except IntakeError as exc:
                rejects.append(Reject(line, f"{exc} at line {line}", exc.field, _column(mapping, exc.field)))
                continue
            raw = repr(sorted(fields)).encode("utf-8")  # the column names; the values are sealed as parsed
            accepted = accept_ticket(session, item, source, raw, now) if kind == "tickets" else accept_survey(session, item, source, raw, now)
            report.inserted += 1 if accepted.created else 0
            report.unchanged += 0 if accepted.created else 1
            unmatched += 1 if accepted.account_id is None else 0
            events += accepted.events
        report.rejected = len(rejects)
        report.extra["unmatched"] = unmatched
        report.rejects_path = write_rejects(rejects_path(workspace.rejects_dir, path, kind), rejects)
        audit_import(session, report, now)

    report.extra["events"] = open_event_store(workspace).add(events) if events else 0
    return report


def _rows(path: Path, mapping: Mapping, kind: str, report: ImportReport) -> tuple[list[tuple[int, dict[str, Any]]], list[Reject]]:
    rows: list[tuple[int, dict[str, Any]]] = []
    rejects: list[Reject] = []
    for row in read_rows(path, mapping):
        report.rows += 1
        if row.values is None:
            rejects.append(Reject(row.line, f"{row.problem}: fix the line or drop it"))
            continue
        values = _flatten_breaks(row.values, mapping, kind)
        try:
            fields, _extras = convert_row(mapping, values)
        except ImportRowError as exc:
            rejects.append(Reject(row.line, f"{exc} (line {row.line})", exc.field, _column(mapping, exc.field)))
            continue
        rows.append((row.line, {name: _plain(value) for name, value in fields.items() if value is not None}))
    return rows, rejects


def _flatten_breaks(values: dict[str, Any], mapping: Mapping, kind: str) -> dict[str, Any]:
    columns = {mapping.fields[name].column for name in _LONG_TEXT[kind] if name in mapping.fields}
    return {key: " ".join(value.split()) if key in columns and isinstance(value, str) else value for key, value in values.items()}


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _column(mapping: Mapping, name: str | None) -> str | None:
    spec = mapping.fields.get(name or "")
    return spec.column if spec else None
