"""Stripe events: normalize one payload, and import exported event files.

``normalize_stripe_event`` is the one place that reads Stripe's shapes; the webhook uses it
too. The normalized record keeps only billing facts (ids, amounts, codes, status), because
raw payloads carry names and addresses that must not sit in the event store in plaintext.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from churnguard.detect.eventstore import EventRecord, event_id, open_event_store
from churnguard.errors import InputError
from churnguard.ingest.report import ImportReport, Reject, append_rejects, audit_import
from churnguard.store.models import Account
from churnguard.workspace import Workspace

SOURCE = "stripe"

# Stripe event type -> churnguard event type. Anything else is stored as "stripe.<type>".
EVENT_TYPES = {
    "invoice.payment_failed": "payment_failed",
    "charge.failed": "payment_failed",
    "payment_intent.payment_failed": "payment_failed",
    "invoice.payment_succeeded": "payment_succeeded",
    "invoice.paid": "payment_succeeded",
    "charge.succeeded": "payment_succeeded",
    "payment_intent.succeeded": "payment_succeeded",
    "invoice.payment_action_required": "payment_action_required",
    "charge.refunded": "payment_refunded",
    "customer.subscription.created": "subscription_created",
    "customer.subscription.updated": "subscription_updated",
    "customer.subscription.deleted": "subscription_canceled",
    "customer.subscription.trial_will_end": "subscription_trial_will_end",
}
_ENDED_SUBSCRIPTION = {"canceled", "incomplete_expired"}
_LATE_SUBSCRIPTION = {"past_due", "unpaid"}
_LIVE_SUBSCRIPTION = {"active", "trialing"}
# Unix seconds from 1970 up to the year 3000. Anything outside is not a real event time.
CREATED_MAX = 32503680000
# Real events nest about ten levels, so far deeper JSON is rejected before anything walks it.
MAX_DEPTH = 64


class StripePayloadError(InputError):
    """A payload is not a Stripe event churnguard can read."""


@dataclass(frozen=True)
class NormalizedStripe:
    """The billing facts of one Stripe event."""

    event_id: str
    stripe_type: str
    type: str
    created: datetime
    object_type: str
    object_id: str | None
    customer_id: str | None
    subscription_id: str | None
    amount_cents: int | None
    currency: str | None
    failure_message: str | None
    failure_code: str | None
    decline_code: str | None
    status: str | None
    livemode: bool

    def properties(self) -> dict[str, Any]:
        """Return the facts an event keeps, without the ids it already has in columns."""
        names = ("stripe_type", "object_type", "object_id", "customer_id", "subscription_id", "amount_cents",
                 "currency", "failure_message", "failure_code", "decline_code", "status", "livemode")
        return {name: getattr(self, name) for name in names}

    def to_event(self, account_id: str) -> EventRecord:
        """Build the stored event for ``account_id``; its id is the Stripe event id."""
        return EventRecord(event_id(SOURCE, self.event_id), account_id, self.type, self.created, 1.0, SOURCE, self.properties())

    def state_change(self) -> dict[str, str]:
        """Return the account fields this event sets; empty when it sets none."""
        if self.type == "payment_failed":
            return {"payment_status": "failed"}
        if self.type == "payment_succeeded":
            return {"payment_status": "ok"}
        if self.type == "subscription_canceled":
            return {"status": "canceled"}
        if self.type in ("subscription_created", "subscription_updated"):
            return _subscription_change(self.status)
        return {}


def normalize_stripe_event(payload: Any) -> NormalizedStripe:
    """Read one Stripe event payload, or raise StripePayloadError saying what is missing."""
    _check_event(payload)
    obj = payload["data"]["object"]
    stripe_type = payload["type"]
    churn_type = EVENT_TYPES.get(stripe_type, f"{SOURCE}.{stripe_type}")

    return NormalizedStripe(
        event_id=payload["id"],
        stripe_type=stripe_type,
        type=churn_type,
        created=datetime.fromtimestamp(payload["created"], timezone.utc),
        object_type=str(obj.get("object") or ""),
        object_id=_text(obj.get("id")),
        customer_id=_customer_id(obj),
        subscription_id=_subscription_id(obj),
        amount_cents=_amount(obj, churn_type),
        currency=_text(obj.get("currency")),
        failure_message=_failure(obj, "failure_message", "message"),
        failure_code=_failure(obj, "failure_code", "code"),
        decline_code=_decline_code(obj),
        status=_text(obj.get("status")),
        livemode=bool(payload.get("livemode", False)),
    )


def _check_event(payload: Any) -> None:
    if not isinstance(payload, dict):
        raise StripePayloadError("not a Stripe event: the JSON is not an object; export events, not objects")
    if "type" not in payload and isinstance(payload.get("object"), dict):
        raise StripePayloadError(
            "not a Stripe event: missing 'type' (this is only an event's data part); export whole events"
        )
    for key in ("type", "id", "created", "data"):
        if key not in payload:
            raise StripePayloadError(f"not a Stripe event: missing '{key}'; export events, not objects")

    if payload.get("object", "event") != "event":
        raise StripePayloadError("not a Stripe event: 'object' is not \"event\"; export events, not objects")
    if not isinstance(payload["id"], str) or not isinstance(payload["type"], str):
        raise StripePayloadError("invalid Stripe event: 'id' and 'type' must be strings")
    if isinstance(payload["created"], bool) or not isinstance(payload["created"], int):
        raise StripePayloadError("invalid Stripe event: 'created' must be a Unix time in seconds")
    if not 0 <= payload["created"] < CREATED_MAX:
        raise StripePayloadError("invalid Stripe event: 'created' is out of range; use Unix seconds between 1970 and 3000")
    if _depth(payload) > MAX_DEPTH:
        raise StripePayloadError(f"invalid Stripe event: it nests more than {MAX_DEPTH} levels deep; export events as Stripe sends them")
    if not isinstance(payload["data"], dict) or not isinstance(payload["data"].get("object"), dict):
        raise StripePayloadError("invalid Stripe event: 'data.object' is missing or not an object")


def _depth(payload: Any) -> int:
    """Return how deeply ``payload`` nests, walking without recursion and stopping past the limit."""
    deepest, stack = 0, [(payload, 1)]
    while stack:
        value, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _customer_id(obj: dict[str, Any]) -> str | None:
    if obj.get("object") == "customer":
        return _text(obj.get("id"))
    customer = obj.get("customer")
    if isinstance(customer, dict):
        return _text(customer.get("id"))
    return _text(customer)


def _subscription_id(obj: dict[str, Any]) -> str | None:
    if obj.get("object") == "subscription":
        return _text(obj.get("id"))
    if _text(obj.get("subscription")):
        return obj["subscription"]

    # Newer API versions (2025 on) moved an invoice's subscription under parent.
    parent = obj.get("parent")
    details = parent.get("subscription_details") if isinstance(parent, dict) else None
    if isinstance(details, dict):
        return _text(details.get("subscription"))
    return None


def _amount(obj: dict[str, Any], churn_type: str) -> int | None:
    names = ("amount_paid", "total", "amount") if churn_type == "payment_succeeded" else ("amount_due", "total", "amount")
    for name in names:
        value = obj.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _failure(obj: dict[str, Any], charge_key: str, error_key: str) -> str | None:
    if _text(obj.get(charge_key)):
        return obj[charge_key]
    error = obj.get("last_payment_error")
    if isinstance(error, dict):
        return _text(error.get(error_key))
    return None


def _decline_code(obj: dict[str, Any]) -> str | None:
    error = obj.get("last_payment_error")
    if isinstance(error, dict) and _text(error.get("decline_code")):
        return error["decline_code"]
    outcome = obj.get("outcome")
    if isinstance(outcome, dict) and outcome.get("type") == "issuer_declined":
        return _text(outcome.get("reason"))
    return None


def _subscription_change(status: str | None) -> dict[str, str]:
    if status in _ENDED_SUBSCRIPTION:
        return {"status": "canceled"}
    if status in _LATE_SUBSCRIPTION:
        return {"payment_status": "past_due"}
    if status in _LIVE_SUBSCRIPTION:
        return {"status": "active"}
    return {}


def read_event_file(path: Path) -> list[Any]:
    """Return the payloads in one export file: an event, a JSON array or a Stripe list object."""
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise StripePayloadError("file not found; check the path") from None
    except OSError as exc:
        raise StripePayloadError(f"file could not be read ({exc.strerror})") from None
    except (ValueError, UnicodeDecodeError):
        # ValueError covers broken JSON and numbers too long to convert.
        raise StripePayloadError("not JSON; export Stripe events as JSON") from None
    except RecursionError:
        raise StripePayloadError("JSON nests too deeply to read; export Stripe events as JSON") from None

    if isinstance(data, list):
        return data
    if isinstance(data, dict) and data.get("object") == "list" and isinstance(data.get("data"), list):
        return data["data"]
    return [data]


def read_account_map(path: Path) -> dict[str, str]:
    """Read a CSV with the columns customer_id and account_id."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except FileNotFoundError:
        raise StripePayloadError(f"account map {path} not found; check the --account-map path") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise StripePayloadError(f"account map {path} could not be read ({type(exc).__name__}); save it as UTF-8 CSV") from None

    if rows and not {"customer_id", "account_id"} <= set(rows[0]):
        raise StripePayloadError(f"account map {path} needs the header customer_id,account_id")
    return {row["customer_id"].strip(): row["account_id"].strip() for row in rows if row["customer_id"] and row["account_id"]}


@dataclass(frozen=True)
class _Read:
    """A normalized event and where it was read: file name and position in the file."""

    event: NormalizedStripe
    file: str
    index: int


def import_stripe(workspace: Workspace, paths: list[Path], account_map: Path | None = None) -> ImportReport:
    """Import exported Stripe event files: store every matched event, then apply state.

    An account's ``payment_status`` and ``status`` change only for an event newer than the
    last one applied to it, so files may arrive in any order and may be imported twice.
    A bad file or event is rejected on its own; the rest of the command still imports.
    """
    report = ImportReport(kind="stripe", files=[path.name for path in paths])
    rejects: list[Reject] = []
    normalized = _unique(_read_events(paths, report, rejects), rejects)
    customer_map = read_account_map(account_map) if account_map else {}

    with workspace.db.transaction() as session:
        matched = _match_accounts(session, normalized, customer_map, rejects)
        inserted = open_event_store(workspace).add(n.to_event(account_id) for n, account_id in matched)
        report.inserted = inserted
        report.unchanged = len({n.event_id for n, _ in matched}) - inserted
        _apply_state(session, matched, customer_map, report, workspace)

        report.rejected = len(rejects)
        run = workspace.clock.now().isoformat()
        report.rejects_path = append_rejects(workspace.rejects_dir / "stripe.rejects.jsonl", rejects, run)
        audit_import(session, report, workspace.clock.now())

    return report


def _read_events(paths: list[Path], report: ImportReport, rejects: list[Reject]) -> list[_Read]:
    events: list[_Read] = []
    for path in paths:
        try:
            payloads = read_event_file(path)
        except StripePayloadError as exc:
            rejects.append(Reject(0, f"{path.name}: {exc}", file=path.name))
            continue

        for index, payload in enumerate(payloads, start=1):
            report.rows += 1
            try:
                events.append(_Read(normalize_stripe_event(payload), path.name, index))
            except StripePayloadError as exc:
                rejects.append(Reject(index, f"{path.name}, event {index}: {exc}", file=path.name))

    return sorted(events, key=lambda read: (read.event.created, read.event.event_id))


def _unique(events: list[_Read], rejects: list[Reject]) -> list[_Read]:
    """Drop repeats of an event id; a repeat whose facts differ is a reject naming both places."""
    first: dict[str, _Read] = {}
    kept: list[_Read] = []
    for read in events:
        earlier = first.get(read.event.event_id)
        if earlier is None:
            first[read.event.event_id] = read
            kept.append(read)
        elif earlier.event != read.event:
            reason = (f"{read.file}, event {read.index}: event id {read.event.event_id} was already read from "
                      f"{earlier.file}, event {earlier.index}, with other content: Stripe ids are unique, check the export")
            rejects.append(Reject(read.index, reason, field="id", file=read.file))
    return kept


def _match_accounts(session: Session, events: list[_Read], customer_map: dict[str, str],
                    rejects: list[Reject]) -> list[tuple[NormalizedStripe, str]]:
    customers = sorted({r.event.customer_id for r in events if r.event.customer_id and r.event.customer_id not in customer_map})
    billing = dict(session.execute(
        select(Account.billing_customer_id, Account.id).where(Account.billing_customer_id.in_(customers))
    ).all()) if customers else {}
    targets = sorted({account_id for account_id in customer_map.values()})
    known = set(session.scalars(select(Account.id).where(Account.id.in_(targets)))) if targets else set()

    matched = []
    for read in events:
        event = read.event
        account_id = customer_map.get(event.customer_id or "") or billing.get(event.customer_id)
        problem = _match_problem(event, account_id, known, billing)
        if problem:
            rejects.append(Reject(read.index, f"{read.file}, event {read.index}: {problem}", field="customer", file=read.file))
            continue
        matched.append((event, account_id))

    return matched


def _match_problem(event: NormalizedStripe, account_id: str | None, known: set[str], billing: dict[Any, str]) -> str:
    if not event.customer_id:
        return f"event {event.event_id} has no customer id: add the customer to --account-map or set billing_customer_id"
    if account_id is None:
        return (f"no account for the customer of event {event.event_id}: "
                "add the customer to --account-map or set billing_customer_id")
    if account_id not in known and account_id not in billing.values():
        return (f"--account-map sends the customer of event {event.event_id} to an account that does not exist: "
                "import the account first or fix the map")
    return ""


def _apply_state(session: Session, matched: list[tuple[NormalizedStripe, str]], customer_map: dict[str, str],
                 report: ImportReport, workspace: Workspace) -> None:
    changed: set[str] = set()
    applied = stale = 0
    for event, account_id in matched:
        account = session.get(Account, account_id)
        if account is None:
            report.extra["unknown_accounts"] = report.extra.get("unknown_accounts", 0) + 1
            continue

        if not account.billing_customer_id and event.customer_id in customer_map:
            account.billing_customer_id = event.customer_id
            changed.add(account_id)

        outcome = _apply_event(account, event)
        applied += outcome == "applied"
        stale += outcome == "stale"
        if outcome == "applied":
            account.updated_at = workspace.clock.now()
            changed.add(account_id)

    report.updated = len(changed)
    report.extra.update(state_applied=applied, state_stale=stale)


def _apply_event(account: Account, event: NormalizedStripe) -> str:
    """Apply one event's state change when it is newer than the last applied one."""
    change = event.state_change()
    if not change:
        return "ignored"
    attributes = dict(account.attributes or {})
    if attributes.get("stripe_last_event_id") == event.event_id:
        return "ignored"
    last = attributes.get("stripe_last_event_at")
    created = int(event.created.timestamp())
    if isinstance(last, int) and created <= last:
        return "stale"

    for name, value in change.items():
        setattr(account, name, value)
    attributes.update(stripe_last_event_at=created, stripe_last_event_id=event.event_id)
    account.attributes = attributes
    return "applied"
