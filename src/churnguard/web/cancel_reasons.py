"""Cancel reasons: the closed set of categories, and a keyword rule for free text.

A form that offers a choice sends the category itself. When it sends only free text, the
first category whose keywords occur in the text wins, in the order below, so "too expensive,
moving to a cheaper tool" reads as ``price``. Text that matches nothing is ``other``.
"""

from __future__ import annotations

import re

# Category -> keywords (matched at word starts, case-insensitive). Order decides ties.
_KEYWORDS: dict[str, tuple[str, ...]] = {
    "price": ("price", "pricing", "expensive", "cost", "budget", "afford", "cheaper", "too much money", "discount"),
    "missing_feature": ("missing", "feature", "doesn't support", "does not support", "lacks", "integration", "wish it had",
                        "no way to"),
    "not_using": ("not using", "don't use", "do not use", "never use", "rarely use", "unused", "no longer need",
                  "don't need", "do not need", "not enough use"),
    "switching": ("switch", "competitor", "alternative", "another tool", "another product", "moving to", "migrating to",
                  "replaced", "replacing"),
    "support": ("support", "customer service", "no response", "slow response", "ticket", "unhelpful"),
    "moving": ("closing", "shutting down", "acquired", "merger", "went out of business", "company is closing",
               "relocat", "reorg"),
}
REASONS: tuple[str, ...] = (*_KEYWORDS, "other")

_PATTERNS = {reason: re.compile(r"\b(?:" + "|".join(re.escape(word) for word in words) + ")", re.IGNORECASE)
             for reason, words in _KEYWORDS.items()}


def classify_reason(text: str) -> str:
    """Return the reason category of a free-text cancel reason."""
    for reason, pattern in _PATTERNS.items():
        if pattern.search(text):
            return reason
    return "other"
