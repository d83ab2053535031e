"""The plays that ship, as data.

Each step waits ``wait_days`` (read from a setting, counted from the previous step) and
then either sends a touch with an angle or hands the account to the CSM.
"""

from __future__ import annotations

from dataclasses import dataclass

from churnguard.config import Settings
from churnguard.domain import PlayName, SignalKind, StepKind


@dataclass(frozen=True)
class StepSpec:
    name: str
    kind: StepKind
    angle: str
    wait_setting: str | None = None

    def wait_days(self, settings: Settings) -> int:
        return int(settings[self.wait_setting]) if self.wait_setting else 0


@dataclass(frozen=True)
class PlayDefinition:
    name: PlayName
    signal: SignalKind
    steps: tuple[StepSpec, ...]


SILENT_CHURN = PlayDefinition(
    name=PlayName.SILENT_CHURN,
    signal=SignalKind.SILENT_CHURN,
    steps=(
        StepSpec("check_in", StepKind.TOUCH, "check_in"),
        StepSpec("different_angle", StepKind.TOUCH, "different_angle", "plays.silent_churn.followup_after_days"),
        StepSpec("handoff", StepKind.HANDOFF, "handoff", "plays.silent_churn.handoff_after_days"),
    ),
)

FAILED_PAYMENT = PlayDefinition(
    name=PlayName.FAILED_PAYMENT,
    signal=SignalKind.FAILED_PAYMENT,
    steps=(
        StepSpec("payment_note", StepKind.TOUCH, "payment_note"),
        StepSpec("payment_reminder", StepKind.TOUCH, "payment_reminder", "plays.failed_payment.reminder_after_days"),
        StepSpec("handoff", StepKind.HANDOFF, "handoff", "plays.failed_payment.reminder_after_days"),
    ),
)

PLAYS: dict[PlayName, PlayDefinition] = {play.name: play for play in (SILENT_CHURN, FAILED_PAYMENT)}


def play_for_signal(kind: SignalKind) -> PlayDefinition | None:
    for play in PLAYS.values():
        if play.signal == kind:
            return play
    return None
