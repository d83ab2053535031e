"""The ticket or comment behind a sentiment signal, as facts a draft may cite.

A signal's evidence names records (``sentiment:<id>``) but contains no text. When a draft is
written for such a signal, ``reason_facts`` opens the record that is the reason (the most
negative item, or the detractor answer) and returns its subject and date, so the composer
can say which ticket it means. It runs inside the drafting transaction, on behalf of the
identity that owns the account; nothing here is logged.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from churnguard.clock import ensure_utc
from churnguard.sentiment.records import load_record, open_text
from churnguard.vault.envelope import VaultError

log = logging.getLogger("churnguard.sentiment")

SUBJECT_LIMIT = 90


def reason_facts(session: Session, evidence: dict[str, Any], account_id: str) -> dict[str, str]:
    """Return ``reason_kind``, ``reason_subject`` and ``reason_on`` for the record behind ``evidence``, or {}."""
    for ref in _references(evidence):
        record = load_record(session, ref)
        if record is None or record.account_id != account_id:
            continue
        try:
            values = open_text(session, record)
        except VaultError:
            log.warning("sentiment record %s cannot be opened; the draft will not cite it", record.id)
            return {}
        subject = " ".join(str(values.get("subject") or "").split())[:SUBJECT_LIMIT]
        return {"reason_kind": record.kind, "reason_subject": subject,
                "reason_on": ensure_utc(record.occurred_at).date().isoformat()}
    return {}


def _references(evidence: dict[str, Any]) -> list[str]:
    """Collect the records a signal names, the reason first: its own items, then those of ``also`` signals."""
    found: list[str] = []
    blocks = [evidence] + [item.get("evidence", {}) for item in evidence.get("also", []) if isinstance(item, dict)]
    for block in blocks:
        if block.get("record"):
            found.append(str(block["record"]))
        found += [str(item["record"]) for item in block.get("items", []) if isinstance(item, dict) and item.get("record")]
    return found


