"""What an import did, the rejects file beside it, and the audit entry that records it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from churnguard.audit import AuditEntry, record
from churnguard.domain import AuditType
from churnguard.errors import InputError


class ImportFileError(InputError):
    """A whole import file cannot be read: missing, unreadable, wrong encoding or columns."""


@dataclass
class Reject:
    """One rejected row: where it is and why, without any of its values.

    ``line`` is 0 when the whole file was rejected.
    """

    line: int
    reason: str
    field: str | None = None
    column: str | None = None
    file: str | None = None


@dataclass
class ImportReport:
    """Counts of one import. ``rows`` counts records read; the rest count distinct keys."""

    kind: str
    files: list[str]
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejects_path: str | None = None
    extra: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        """Describe the counts in one line for people."""
        text = (
            f"{self.kind}: {self.rows} rows read, {self.inserted} inserted, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.rejected} rejected"
        )
        for name, count in sorted(self.extra.items()):
            text += f", {count} {name.replace('_', ' ')}"
        if self.rejects_path:
            text += f" (reasons in {self.rejects_path})"
        return text


def rejects_path(rejects_dir: Path, source: Path, kind: str) -> Path:
    """Name the rejects file after the source's full path, so two files with one name in
    different folders keep separate rejects."""
    digest = hashlib.sha256(str(source.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:10]
    return rejects_dir / f"{source.stem}.{kind}.{digest}.rejects.jsonl"


def write_rejects(path: Path, rejects: list[Reject]) -> str | None:
    """Write the rejects as JSON Lines, or remove a stale file when there are none."""
    if not rejects:
        path.unlink(missing_ok=True)
        return None

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        _write_lines(out, rejects, {})
    return str(path)


def append_rejects(path: Path, rejects: list[Reject], run: str) -> str | None:
    """Add one run's rejects to ``path``, each line stamped with ``run``; earlier runs stay."""
    if not rejects:
        return None

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        _write_lines(out, rejects, {"run": run})
    return str(path)


def _write_lines(out: Any, rejects: list[Reject], stamp: dict[str, str]) -> None:
    for reject in sorted(rejects, key=lambda item: (item.file or "", item.line)):
        out.write(json.dumps({**stamp, **asdict(reject)}) + "\n")


def audit_import(session: Session, report: ImportReport, at: Any) -> None:
    """Record the import's counts; file names only, never a row's values."""
    detail = {key: value for key, value in report.as_dict().items() if key != "rejects_path"}
    record(session, AuditEntry(type=AuditType.IMPORT_COMPLETED, at=at, detail=detail))
