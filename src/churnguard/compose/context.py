"""What a composer may use, and what it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from churnguard.vault import AccountFacts, ContactFacts

DEFAULT_PLAN_NAMES = ("Free", "Starter", "Basic", "Team", "Pro", "Business", "Enterprise")


@dataclass(frozen=True)
class OfferPolicy:
    """The offers a play allows a draft to make; the default allows none."""

    allowed: tuple[str, ...] = ()
    max_discount_pct: float = 0.0
    max_free_months: int = 0

    def allows(self, offer: str) -> bool:
        return offer in self.allowed

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> "OfferPolicy":
        """Build a policy from a play's ``[offer]`` table (allowed, max_discount_pct, max_free_months)."""
        return cls(tuple(values.get("allowed") or ()), float(values.get("max_discount_pct") or 0),
                   int(values.get("max_free_months") or 0))


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
    # The play's offer policy; a plain mapping with the play file's keys is accepted too.
    offer: OfferPolicy = field(default_factory=OfferPolicy)
    feature_names: tuple[str, ...] = ()
    plan_names: tuple[str, ...] = DEFAULT_PLAN_NAMES
    max_words: int = 220

    def __post_init__(self) -> None:
        if isinstance(self.offer, dict):
            object.__setattr__(self, "offer", OfferPolicy.from_mapping(self.offer))

    def __repr__(self) -> str:
        return f"DraftContext(account_id={self.facts.account_id!r}, play={self.play!r}, angle={self.angle!r})"

    @property
    def language(self) -> str:
        """The contact's language as a lower-case two-letter code, or "" when unknown."""
        return (self.contact.language or "").strip().lower()[:2]

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
