"""What a composer may use, and what it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from churnguard.vault import AccountFacts, ContactFacts


@dataclass(frozen=True)
class DraftContext:
    """Everything a draft may state. A composer must not state anything else."""

    facts: AccountFacts
    contact: ContactFacts
    csm_name: str
    company_name: str
    play: str
    angle: str
    today: date
    evidence: dict[str, Any] = field(default_factory=dict)
    usage_before: tuple[tuple[str, int], ...] = ()
    update_card_url: str = ""
    call_slots: tuple[datetime, ...] = ()
    call_timezone: str = "UTC"
    # The play's offer policy: allowed offers, max_discount_pct, max_free_months.
    offer: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"DraftContext(account_id={self.facts.account_id!r}, play={self.play!r}, angle={self.angle!r})"

    def allowed_values(self) -> list[str]:
        """Render every fact a draft may cite as text, for the guard to compare against."""
        values: list[str] = [self.facts.name, self.facts.plan, self.company_name, self.update_card_url]
        values += [str(value) for value in self.evidence.values()]
        values += [f"{kind} {count}" for kind, count in self.usage_before]
        values += [slot.isoformat() for slot in self.call_slots]
        if self.facts.renewal_date:
            values.append(self.facts.renewal_date.isoformat())
        return values


@dataclass(frozen=True)
class Draft:
    subject: str
    body: str
    cited: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"Draft(<{len(self.body)} characters hidden>)"
