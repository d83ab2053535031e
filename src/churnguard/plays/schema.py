"""The play file format, validated with pydantic.

A play file (TOML) says which signal starts the play, which accounts it is for, its steps,
what ends it early, what it may offer, who must approve its drafts, and when and how often
it may write. docs/plays.md documents every field with the shipped plays as examples.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from churnguard.domain import SignalKind

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
STOP_CONDITIONS = (
    "reply",
    "payment_recovered",
    "usage_recovered",
    "renewal_signed",
    "account_churned",
    "resubscribed",
)
REPLY_ACTIONS = ("book_call", "handoff", "stop", "notify_and_stop")
OFFERS = ("discount", "extended_trial", "plan_downgrade", "pause_subscription", "training_session", "free_month")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AlsoCondition(Strict):
    """Another signal the account must also show, raised within the last ``within_days``."""

    signal: SignalKind
    within_days: int = Field(60, ge=1, le=365)


class Trigger(Strict):
    """Which signal starts the play; the parameters narrow the detection rule for this play.

    ``also`` combines signals: the play starts only for accounts that show every listed
    signal too, for example usage down and a detractor answer in the last 60 days.
    """

    signal: SignalKind
    drop_pct: float | None = Field(None, gt=0, le=100)
    window_days: int | None = Field(None, ge=1, le=365)
    min_before: float | None = Field(None, ge=0)
    metric: Literal["events", "quantity"] | None = None
    event_types: tuple[str, ...] = ()
    renewal_within_days: int | None = Field(None, ge=1)
    churned_within_days: int | None = Field(None, ge=1)
    also: tuple[AlsoCondition, ...] = ()


class Audience(Strict):
    statuses: tuple[str, ...] = ("active",)
    min_mrr_cents: int = Field(0, ge=0)
    max_mrr_cents: int | None = Field(None, ge=0)
    plans: tuple[str, ...] = ()


class StepSpec(Strict):
    name: str = Field(min_length=1, max_length=64)
    kind: Literal["touch", "handoff"]
    angle: str = ""
    wait_days: int = Field(0, ge=0, le=365)

    @model_validator(mode="after")
    def _touch_needs_angle(self) -> "StepSpec":
        if self.kind == "touch" and not self.angle:
            raise ValueError(f"step {self.name!r} is a touch and needs an angle")
        return self


class OnReply(Strict):
    save: Literal["book_call", "handoff", "stop", "notify_and_stop"] = "book_call"
    lost: Literal["book_call", "handoff", "stop", "notify_and_stop"] = "notify_and_stop"
    talk_to_human: Literal["book_call", "handoff", "stop", "notify_and_stop"] = "handoff"


class Offer(Strict):
    allowed: tuple[str, ...] = ()
    max_discount_pct: float = Field(0, ge=0, le=100)
    max_free_months: int = Field(0, ge=0, le=12)

    @field_validator("allowed")
    @classmethod
    def _known_offers(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [value for value in values if value not in OFFERS]
        if unknown:
            raise ValueError(f"unknown offer {unknown[0]!r}; known offers: {', '.join(OFFERS)}")
        return values


class Approval(Strict):
    required: bool = False
    mrr_threshold_cents: int | None = Field(None, ge=0)
    applies_to: Literal["this_play", "all_plays"] = "this_play"


class SendWindow(Strict):
    """When touches may go out, in the contact's own time zone."""

    days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    start_hour: int = Field(9, ge=0, le=23)
    end_hour: int = Field(17, ge=1, le=24)
    anytime: bool = False
    skip_holidays: bool = True

    @field_validator("days")
    @classmethod
    def _weekdays(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        bad = [value for value in values if value not in WEEKDAYS]
        if bad:
            raise ValueError(f"unknown day {bad[0]!r}; use {', '.join(WEEKDAYS)}")
        if not values:
            raise ValueError("days must name at least one day")
        return values

    @model_validator(mode="after")
    def _hours_ordered(self) -> "SendWindow":
        if self.start_hour >= self.end_hour:
            raise ValueError("start_hour must be before end_hour")
        return self


class Pacing(Strict):
    min_days_between_touches: int = Field(2, ge=0, le=60)


class Play(Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{1,63}$")
    description: str = ""
    kind: Literal["sequence", "policy"] = "sequence"
    enabled: bool = True
    trigger: Trigger | None = None
    audience: Audience = Audience()
    steps: tuple[StepSpec, ...] = ()
    on_reply: OnReply = OnReply()
    stop_when: tuple[str, ...] = ("reply",)
    offer: Offer = Offer()
    approval: Approval = Approval()
    send_window: SendWindow = SendWindow()
    pacing: Pacing = Pacing()

    @field_validator("stop_when")
    @classmethod
    def _known_stops(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [value for value in values if value not in STOP_CONDITIONS]
        if unknown:
            raise ValueError(f"unknown stop condition {unknown[0]!r}; known: {', '.join(STOP_CONDITIONS)}")
        return values

    @model_validator(mode="after")
    def _shape(self) -> "Play":
        if self.kind == "sequence":
            if self.trigger is None:
                raise ValueError("a sequence play needs a [trigger]")
            if not self.steps:
                raise ValueError("a sequence play needs at least one [[steps]] entry")
            names = [step.name for step in self.steps]
            if len(set(names)) != len(names):
                raise ValueError("step names must be unique within a play")
        elif self.steps or self.trigger is not None:
            raise ValueError("a policy play has no trigger and no steps")
        return self
