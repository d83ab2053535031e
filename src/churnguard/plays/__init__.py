"""Play definitions: which signal starts a play and which steps it runs."""

from churnguard.plays.definitions import PLAYS, PlayDefinition, StepSpec, play_for_signal

__all__ = ["PLAYS", "PlayDefinition", "StepSpec", "play_for_signal"]
