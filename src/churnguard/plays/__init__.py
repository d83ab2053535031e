"""Plays: files that say which signal starts a sequence, for whom, and which steps it runs."""

from churnguard.plays.loader import PlayBook, load_play_file, load_playbook
from churnguard.plays.schema import Play, StepSpec

__all__ = ["Play", "PlayBook", "StepSpec", "load_play_file", "load_playbook"]
