"""Drafting messages from account facts."""

from churnguard.compose.context import Draft, DraftContext
from churnguard.compose.guard import GuardViolation, check_draft
from churnguard.compose.offline import compose

__all__ = ["Draft", "DraftContext", "GuardViolation", "check_draft", "compose"]
