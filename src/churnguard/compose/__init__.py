"""Drafting messages from account facts, and checking that every draft is grounded in them."""

from churnguard.compose.adapters import Composer, ModelComposer, OfflineComposer, composer_from_settings, context_limits
from churnguard.compose.context import Draft, DraftContext, OfferPolicy
from churnguard.compose.grounding import Finding, GroundingViolation, check_grounding, ensure_grounded
from churnguard.compose.guard import GuardViolation, check_draft
from churnguard.compose.offline import compose

__all__ = [
    "Composer", "Draft", "DraftContext", "Finding", "GroundingViolation", "GuardViolation", "ModelComposer",
    "OfferPolicy", "OfflineComposer", "check_draft", "check_grounding", "compose", "composer_from_settings",
    "context_limits", "ensure_grounded",
]
