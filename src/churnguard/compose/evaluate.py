"""Summarize composed drafts: how many passed the grounding checker, how varied they are, and why drafts failed."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from churnguard.compose.context import Draft
from churnguard.compose.grounding import Finding

_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


@dataclass(frozen=True)
class DraftSample:
    account_id: str
    play: str
    angle: str
    language: str
    draft: Draft | None
    findings: tuple[Finding, ...] = ()
    error: str = ""

    @property
    def passed(self) -> bool:
        return self.draft is not None and not self.findings and not self.error


def opening(draft: Draft) -> str:
    """Return the first sentence after the greeting, with digits folded, to count distinct openings."""
    paragraphs = [part.strip() for part in draft.body.split("\n\n") if part.strip()]
    first = paragraphs[1] if len(paragraphs) > 1 else (paragraphs[0] if paragraphs else "")
    sentence = _SENTENCE_END.split(first, maxsplit=1)[0]
    return re.sub(r"\d", "0", sentence)


@dataclass
class DraftReport:
    samples: list[DraftSample] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)

    def to_json(self, composer: str) -> dict[str, Any]:
        drafted = [sample for sample in self.samples if sample.draft is not None]
        openings = {opening(sample.draft) for sample in drafted if sample.draft is not None}
        by_kind = Counter(finding.kind for sample in self.samples for finding in sample.findings)
        return {
            "composer": composer,
            "sampled": len(self.samples),
            "passed": sum(sample.passed for sample in self.samples),
            "rejected": sum(bool(sample.findings) for sample in self.samples),
            "errors": sum(bool(sample.error) for sample in self.samples),
            "distinct_openings": len(openings),
            "skipped": dict(self.skipped),
            "by_angle": dict(Counter(sample.angle for sample in self.samples)),
            "by_language": dict(Counter(sample.language or "unknown" for sample in self.samples)),
            "findings_by_kind": dict(by_kind),
            "findings": [
                {"account_id": sample.account_id, "angle": sample.angle, **finding.to_json()}
                for sample in self.samples
                for finding in sample.findings
            ],
            "error_messages": [{"account_id": s.account_id, "error": s.error} for s in self.samples if s.error],
        }
