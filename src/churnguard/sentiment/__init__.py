"""Sentiment: the tone of tickets, survey comments and cold inbound mail, scored offline.

``score_text`` returns a score from -1 to +1 with the phrases that drove it. ``records``
keeps each ticket, survey response and scored message (its text sealed in the vault) and
turns it into events that the ``negative_sentiment``, ``ticket_spike`` and ``detractor``
triggers read.
"""

from churnguard.sentiment.model import SentimentScore, score_text

__all__ = ["SentimentScore", "score_text"]
