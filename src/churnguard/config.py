"""Settings, declared once in a table that the CLI, the workspace file and the docs read.

A workspace's ``churnguard.toml`` contains values for these settings; anything missing takes
the default. ``churnguard settings`` prints the table, and a test fails when a setting here
is missing from docs/settings.md.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from churnguard.errors import ConfigError


def parse_hours(text: str) -> list[int]:
    """Parse a comma-separated list of hours of the day (0-23); raise ValueError on a bad entry."""
    hours = [int(part) for part in text.split(",") if part.strip()]
    if not hours or any(not 0 <= hour <= 23 for hour in hours):
        raise ValueError("not a list of hours")
    return hours


def parse_dates(text: str) -> list[date]:
    """Parse a comma-separated list of YYYY-MM-DD dates; raise ValueError on a bad entry."""
    return [date.fromisoformat(part.strip()) for part in text.split(",") if part.strip()]


@dataclass(frozen=True)
class Setting:
    """One row of the settings table, with the checks a value must pass when the workspace opens.

    ``minimum`` and ``maximum`` are inclusive, and ``above`` is an exclusive lower bound for
    intervals that must be longer than zero. ``parse`` checks a structured string such as a
    list of hours, and ``form`` describes in words what it accepts.
    """

    name: str
    type: type
    default: Any
    unit: str
    help: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    above: float | None = None
    parse: Callable[[str], Any] | None = None
    form: str = ""

    def check(self, value: Any) -> Any:
        """Convert ``value`` to this setting's type and check it, or raise ConfigError naming the fix."""
        value = self._typed(value)
        if self.choices:
            return self._choice(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            self._check_range(value)
        if self.parse is not None:
            try:
                self.parse(value)
            except ValueError:
                self._fail(f"is {value!r}; use {self.form}")
        return value

    def _typed(self, value: Any) -> Any:
        # bool is a subclass of int in Python, so `port = true` must be caught by hand.
        if isinstance(value, bool) and self.type is not bool:
            self._fail(f"must be {_TYPE_WORDS[self.type]}, not true or false")
        if self.type is float and isinstance(value, int):
            return float(value)
        if not isinstance(value, self.type):
            self._fail(f"must be {_TYPE_WORDS.get(self.type, self.type.__name__)}, not {type(value).__name__}")
        return value

    def _choice(self, value: str) -> str:
        word = value.strip().lower()
        if word not in self.choices:
            self._fail(f"is {value!r}; use one of {', '.join(self.choices)}")
        return word

    def _check_range(self, value: float) -> None:
        if not math.isfinite(value):
            self._fail("must be a finite number")

        too_low = (self.minimum is not None and value < self.minimum) or (self.above is not None and value <= self.above)
        too_high = self.maximum is not None and value > self.maximum
        if too_low or too_high:
            value_text = value if isinstance(value, int) else f"{value:g}"
            self._fail(f"is {value_text}; use a value {self._bounds()}")

    def _bounds(self) -> str:
        parts = []
        if self.above is not None:
            parts.append(f"above {self.above:g}")
        elif self.minimum is not None:
            parts.append(f"at least {self.minimum:g}")
        if self.maximum is not None:
            parts.append(f"at most {self.maximum:g}")
        return " and ".join(parts)

    def _fail(self, problem: str) -> Any:
        raise ConfigError(f"invalid setting {self.name!r}: it {problem}. Fix it in churnguard.toml")


_TYPE_WORDS = {str: "a quoted string (str)", int: "a whole number (int)", float: "a number (float)", bool: "true or false (bool)"}
HOURS_FORM = "comma-separated hours of the day from 0 to 23, such as \"10,14,16\""
DATES_FORM = "comma-separated YYYY-MM-DD dates, such as \"2025-12-25,2026-01-01\""
PORT: dict[str, Any] = {"minimum": 1, "maximum": 65535}
DAYS: dict[str, Any] = {"minimum": 0, "maximum": 3650}


SETTINGS: tuple[Setting, ...] = (
    Setting("database_url", str, "", "", "SQLAlchemy URL of the state store; empty means state.sqlite3 in the workspace"),
    Setting("event_store", str, "duckdb", "", "where events live: duckdb (events.duckdb in the workspace), sql (the state database) or spark (a Spark cluster)", choices=("duckdb", "sql", "spark")),
    Setting("detect.spark.master", str, "local[2]", "", "Spark master URL the spark event store scans on"),
    Setting("detect.spark.table", str, "", "", "catalog table that holds the events (spark event store)"),
    Setting("detect.spark.path", str, "", "", "Parquet path that holds the events when no table is named (spark event store)"),
    Setting("company_name", str, "Example Analytics", "", "the product name the agent writes about"),
    Setting("mail.transport", str, "maildir", "", "maildir (local folders in the workspace), smtp or hosted_api", choices=("maildir", "smtp", "hosted_api")),
    Setting("mail.mailbox", str, "maildir", "", "where replies are read from: maildir, imap or hosted_api", choices=("maildir", "imap", "hosted_api")),
    Setting("mail.smtp_host", str, "127.0.0.1", "", "SMTP submission host"),
    Setting("mail.smtp_port", int, 587, "", "SMTP submission port", **PORT),
    Setting("mail.smtp_security", str, "starttls", "", "none, starttls or tls", choices=("none", "starttls", "tls")),
    Setting("mail.smtp_username", str, "", "", "SMTP user name; empty sends without AUTH"),
    Setting("mail.smtp_password_env", str, "CHURNGUARD_SMTP_PASSWORD", "", "environment variable that holds the SMTP password"),
    Setting("mail.imap_host", str, "127.0.0.1", "", "IMAP host of the agent mailbox"),
    Setting("mail.imap_port", int, 993, "", "IMAP port", **PORT),
    Setting("mail.imap_ssl", bool, True, "", "connect to IMAP over TLS"),
    Setting("mail.imap_username", str, "", "", "IMAP user name; empty uses the agent address"),
    Setting("mail.imap_password_env", str, "CHURNGUARD_IMAP_PASSWORD", "", "environment variable that holds the IMAP password"),
    Setting("mail.smtp_copy_wait_seconds", float, 30.0, "seconds", "after a crash, how long to wait for the agent's own copy of an interrupted SMTP send before sending it again", minimum=0, maximum=3600),
    Setting("mail.auto_response_period_hours", float, 168.0, "hours", "at most one automatic response (such as a call offer) per sender in this period; later replies from that sender go to the CSM"),
    Setting("mail.hosted_api_url", str, "", "", "base URL of the hosted agent-mail API (https; plain http only on loopback); empty until set"),
    Setting("mail.hosted_api_key_env", str, "CHURNGUARD_HOSTED_API_KEY", "", "environment variable that holds the hosted agent-mail API key"),
    Setting("mail.hosted_inbox_id", str, "", "", "id of the agent's inbox at the hosted agent-mail API"),
    Setting("mail.unsubscribe_url", str, "https://unsubscribe.example.com/u/", "", "base https URL of the one-click unsubscribe endpoint"),
    Setting("detect.silent_churn.drop_pct", float, 70.0, "percent", "minimum fall in activity that raises silent_churn", above=0, maximum=100),
    Setting("detect.silent_churn.window_days", int, 30, "days", "length of each of the two compared windows", minimum=1, maximum=3650),
    Setting("detect.silent_churn.min_events_before", int, 3, "events", "events needed in the earlier window to judge a fall", minimum=0, maximum=10**9),
    Setting("detect.silent_churn.measure", str, "events", "", "what is counted in each window: events (rows) or quantity (the sum of each event's quantity)", choices=("events", "quantity")),
    Setting("detect.silent_churn.event_types", str, "", "", "comma-separated activity event types; empty counts every non-billing event"),
    Setting("detect.failed_payment.lookback_days", int, 7, "days", "how recent the failed payment must be", minimum=1, maximum=3650),
    Setting("plays.silent_churn.followup_after_days", int, 4, "days", "quiet days before the different-angle follow-up", **DAYS),
    Setting("plays.silent_churn.handoff_after_days", int, 5, "days", "quiet days after the follow-up before the CSM hand-off", **DAYS),
    Setting("plays.failed_payment.reminder_after_days", int, 3, "days", "quiet days before the payment reminder", **DAYS),
    Setting("plays.failed_payment.update_card_url", str, "https://billing.example.com/update-card", "", "link offered to update the card"),
    Setting("mail.delay_notice_limit", int, 3, "notices", "delay notices (4.x.x) for one message after which its address is treated as failed", minimum=1),
    Setting("plays.cooldown_days", int, 30, "days", "after a sequence ends, days before the same play may start again for the account", **DAYS),
    Setting("send.holidays", str, "", "dates", "comma-separated YYYY-MM-DD dates on which no touch is sent", parse=parse_dates, form=DATES_FORM),
    Setting("pacing.account_max_per_week", int, 3, "touches", "most touches to one account's contacts in any 7 days, across plays", minimum=0, maximum=10**6),
    Setting("pacing.mailbox_max_per_day", int, 200, "touches", "most messages one agent mailbox sends in any 24 hours", minimum=0, maximum=10**6),
    Setting("run.lease_seconds", float, 300.0, "seconds", "how long a worker holds a claimed due sequence", minimum=0, maximum=86400),
    Setting("booking.duration_minutes", int, 30, "minutes", "length of the offered call", minimum=1, maximum=1440),
    Setting("booking.slot_hours", str, "10,14,16", "hours", "local hours of the day at which calls are offered", parse=parse_hours, form=HOURS_FORM),
    Setting("run.interval_seconds", float, 60.0, "seconds", "pause between passes of churnguard run", above=0, maximum=86400),
    Setting("web.host", str, "127.0.0.1", "", "address churnguard serve listens on; 127.0.0.1 keeps it local, put a TLS proxy in front to expose it"),
    Setting("web.port", int, 8325, "", "TCP port churnguard serve listens on", **PORT),
    Setting("webhooks.stripe_secret_env", str, "CHURNGUARD_STRIPE_WEBHOOK_SECRET", "", "environment variable that holds the Stripe endpoint signing secret (whsec_...); several secrets may be given comma-separated while rotating"),
    Setting("webhooks.cancel_form_secret_env", str, "CHURNGUARD_CANCEL_FORM_SECRET", "", "environment variable that holds the cancel-form HMAC-SHA256 signing secret"),
    Setting("webhooks.segment_write_key_env", str, "CHURNGUARD_SEGMENT_WRITE_KEY", "", "environment variable that holds the Segment-compatible source's write key"),
    Setting("webhooks.tolerance_seconds", int, 300, "seconds", "maximum age (and clock skew) of a signed webhook's timestamp; older signatures are rejected as replays", minimum=1, maximum=86400),
    Setting("webhooks.max_body_bytes", int, 524288, "bytes", "largest request body any webhook endpoint accepts; larger bodies get 413", minimum=1, maximum=2**30),
    Setting("webhooks.segment_max_message_bytes", int, 32768, "bytes", "largest single Segment message; a larger call gets 413, a larger batch item is quarantined", minimum=1, maximum=2**30),
    Setting("webhooks.send_immediately", bool, True, "", "after a cancel-form submission starts a sequence, the server sends its first step at once instead of waiting for the next worker pass"),
    Setting("webhooks.flush_interval_seconds", float, 2.0, "seconds", "how often the server retries moving pending inbox events into the event store", above=0, maximum=3600),
    Setting("run.send_lease_seconds", float, 600.0, "seconds", "how long a worker may hold a touch in 'sending' before another worker reconciles it", minimum=0, maximum=86400),
    Setting("replies.classifier", str, "offline", "", "how human replies get a verdict: offline (the shipped model) or llm (the llm.* endpoint, with the offline model as fallback)", choices=("offline", "llm")),
    Setting("replies.max_message_bytes", int, 10485760, "bytes", "largest inbound message that is parsed and classified; a larger one is kept raw with kind unknown and reason too_large", minimum=1),
    Setting("replies.min_confidence", float, 0.5, "probability", "below this confidence a human reply's verdict becomes talk_to_human", minimum=0, maximum=1),
    Setting("compose.composer", str, "offline", "", "who writes drafts: offline (grounded templates) or llm (the llm.* endpoint; drafts still pass the grounding checker)", choices=("offline", "llm")),
    Setting("compose.max_words", int, 220, "words", "longest draft body the grounding checker accepts", minimum=1, maximum=10**5),
    Setting("compose.feature_names", str, "", "", "comma-separated product feature names; a draft may name one only if the account's facts do"),
    Setting("compose.plan_names", str, "Free,Starter,Basic,Team,Pro,Business,Enterprise", "", "comma-separated plan names; a draft may name only the account's own plan or one the offer policy allows"),
    Setting("llm.provider", str, "none", "", "none (no model calls), openai, azure, ollama (any OpenAI-compatible server) or anthropic", choices=("none", "openai", "azure", "ollama", "anthropic")),
    Setting("llm.base_url", str, "", "", "endpoint base URL, e.g. the /v1 root of an OpenAI-compatible server or an Azure deployment URL; empty until set"),
    Setting("llm.model", str, "", "", "model or deployment name sent with each request"),
    Setting("llm.api_key_env", str, "CHURNGUARD_LLM_API_KEY", "", "environment variable that holds the model API key"),
    Setting("llm.api_version", str, "", "", "Azure OpenAI api-version query value; unused by other providers"),
    Setting("llm.timeout_seconds", float, 30.0, "seconds", "time limit of one model request", above=0, maximum=3600),
    Setting("llm.max_retries", int, 2, "retries", "extra tries after a timeout, a connection failure, HTTP 429 or 5xx", minimum=0, maximum=10),
    Setting("webhooks.tickets_secret_env", str, "CHURNGUARD_TICKETS_SECRET", "", "environment variable that holds the helpdesk ticket webhook's HMAC-SHA256 signing secret"),
    Setting("webhooks.surveys_secret_env", str, "CHURNGUARD_SURVEYS_SECRET", "", "environment variable that holds the NPS/CSAT survey webhook's HMAC-SHA256 signing secret"),
    Setting("sentiment.max_text_chars", int, 20000, "characters", "longest ticket body or survey comment accepted; a longer one is rejected with 422", minimum=1, maximum=10**6),
    Setting("detect.sentiment.window_days", int, 14, "days", "recent window whose average sentiment negative_sentiment judges", minimum=1, maximum=3650),
    Setting("detect.sentiment.baseline_days", int, 90, "days", "window before the recent one that gives the account's own baseline", minimum=1, maximum=3650),
    Setting("detect.sentiment.threshold", float, -0.3, "score", "negative_sentiment when the recent average score (-1 to +1) is at or below this", minimum=-1, maximum=1),
    Setting("detect.sentiment.drop", float, 0.6, "score", "negative_sentiment when the recent average is at least this much below the baseline average", above=0, maximum=2),
    Setting("detect.sentiment.min_items", int, 2, "items", "scored tickets, comments or messages needed in the recent window", minimum=1, maximum=10**6),
    Setting("detect.ticket_spike.window_days", int, 14, "days", "recent window in which ticket volume is counted", minimum=1, maximum=3650),
    Setting("detect.ticket_spike.baseline_days", int, 90, "days", "window before the recent one that gives the account's usual ticket rate", minimum=1, maximum=3650),
    Setting("detect.ticket_spike.ratio", float, 3.0, "times", "ticket_spike when recent tickets reach this multiple of the baseline rate", above=0, maximum=1000),
    Setting("detect.ticket_spike.min_tickets", int, 3, "tickets", "tickets (opened or reopened) needed in the recent window", minimum=1, maximum=10**6),
    Setting("detect.ticket_spike.reopen_rate", float, 0.5, "ratio", "ticket_spike when reopened tickets per opened ticket in the recent window reach this", above=0, maximum=100),
    Setting("detect.detractor.lookback_days", int, 60, "days", "how recent a detractor answer must be", minimum=1, maximum=3650),
    Setting("detect.detractor.nps_max", int, 6, "score", "NPS answers at or below this (0-10) are detractors", minimum=0, maximum=10),
    Setting("detect.detractor.csat_max_pct", float, 40.0, "percent", "CSAT answers at or below this percent of their scale are detractors (1 or 2 of 5)", minimum=0, maximum=100),
)

_BY_NAME = {setting.name: setting for setting in SETTINGS}


class Settings:
    """Setting values for one workspace, with defaults for anything unset."""

    def __init__(self, values: dict[str, Any] | None = None) -> None:
        self._values: dict[str, Any] = {}
        for name, value in (values or {}).items():
            self.set(name, value)

    def __getitem__(self, name: str) -> Any:
        setting = _lookup(name)
        return self._values.get(name, setting.default)

    def set(self, name: str, value: Any) -> None:
        """Store ``value`` after checking its type and range, so a bad setting fails when the workspace opens."""
        setting = _lookup(name)
        self._values[name] = setting.check(value)

    def as_dict(self) -> dict[str, Any]:
        return {setting.name: self[setting.name] for setting in SETTINGS}


def _lookup(name: str) -> Setting:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ConfigError(f"unknown setting {name!r}; run 'churnguard settings' to list them") from None


def flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Turn nested TOML tables into dotted setting names."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, prefix=f"{name}."))
        else:
            flat[name] = value
    return flat


def load_settings(path: Path) -> Settings:
    """Read a churnguard.toml file into Settings."""
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"settings file {path} not found; run 'churnguard init DIR' first") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"settings file {path} is not valid TOML: {exc}") from None

    return Settings(flatten(table))
