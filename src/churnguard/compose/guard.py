"""Reject drafts that state a number the account's facts do not contain.

The offline composer only fills templates from facts, so this guard is a second line of
defence; it matters most for model-written drafts. Each number in the draft (digits,
with separators) must equal a number that appears in a cited fact.
"""

from __future__ import annotations

import re

from churnguard.compose.context import Draft

_NUMBER = re.compile(r"\d[\d,.:]*\d|\d")


class GuardViolation(ValueError):
    """A draft stated something the facts do not support."""


def _numbers(text: str) -> set[str]:
    return {match.group().rstrip(".,") for match in _NUMBER.finditer(text)}


def check_draft(draft: Draft) -> None:
    """Raise GuardViolation when the body or subject holds a number no cited fact holds."""
    allowed: set[str] = set()
    for value in draft.cited.values():
        allowed |= _numbers(value)

    stated = _numbers(draft.subject) | _numbers(draft.body)
    unsupported = sorted(stated - allowed)
    if unsupported:
        raise GuardViolation(f"draft states numbers not found in the facts: {', '.join(unsupported)}")
