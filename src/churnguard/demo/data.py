"""Generate demo accounts, contacts and daily product usage.

Every name and address is invented on reserved example domains. About a quarter of the
accounts see their usage collapse in the last month; a few have a failed card payment.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from churnguard.detect.eventstore import EventRecord, event_id

FIRST_NAMES = ("Maya", "Jonas", "Priya", "Luis", "Hannah", "Kenji", "Amara", "Tomasz", "Elena", "Noah",
               "Chloe", "Mateo", "Ingrid", "Omar", "Sofia", "Daniel", "Aiko", "Fatima", "Lucas", "Grace")
LAST_NAMES = ("Fischer", "Patel", "Moreau", "Garcia", "Okafor", "Tanaka", "Novak", "Silva", "Brennan", "Kowalski",
              "Lindqvist", "Haddad", "Rossi", "Nguyen", "Schmidt", "Costa", "Walsh", "Yamamoto", "Dubois", "Khan")
COMPANY_WORDS = ("Northwind", "Bluefin", "Cedar", "Harbor", "Quartz", "Lumen", "Alder", "Summit", "Kestrel",
                 "Juniper", "Meridian", "Orchid", "Pinecrest", "Riverstone", "Saffron", "Tidewater")
COMPANY_KINDS = ("Logistics", "Health", "Labs", "Foods", "Studio", "Partners", "Retail", "Energy", "Analytics")
PLANS = (("Starter", 4900), ("Team", 19900), ("Business", 79900), ("Enterprise", 249900))
TIMEZONES = ("America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London", "Europe/Berlin",
             "Europe/Madrid", "Asia/Tokyo", "Australia/Sydney")
FEATURES = ("login", "dashboard_view", "report_export", "api_call", "alert_rule_edit")


@dataclass(frozen=True)
class DemoAccount:
    id: str
    name: str
    plan: str
    mrr_cents: int
    renewal: date
    domain: str
    contacts: tuple[tuple[str, str, str, bool], ...]  # (name, email, timezone, is_main)
    collapsing: bool
    failed_payment: bool


def make_accounts(count: int, start: date, rng: random.Random) -> list[DemoAccount]:
    accounts = []
    for index in range(count):
        name = f"{COMPANY_WORDS[index % len(COMPANY_WORDS)]} {COMPANY_KINDS[(index * 7) % len(COMPANY_KINDS)]}"
        domain = f"{name.lower().replace(' ', '-')}-{index}.example.com"
        plan, mrr = PLANS[rng.randrange(len(PLANS))]
        zone = TIMEZONES[rng.randrange(len(TIMEZONES))]
        contacts = _contacts(rng, domain, zone, rng.choice((1, 2, 2, 3)))
        accounts.append(
            DemoAccount(
                id=f"acct-{index + 1:04d}",
                name=name,
                plan=plan,
                mrr_cents=mrr,
                renewal=start + timedelta(days=rng.randrange(20, 200)),
                domain=domain,
                contacts=contacts,
                collapsing=rng.random() < 0.25,
                failed_payment=rng.random() < 0.08,
            )
        )
    return accounts


def _contacts(rng: random.Random, domain: str, zone: str, count: int) -> tuple[tuple[str, str, str, bool], ...]:
    people = rng.sample([(first, last) for first in FIRST_NAMES for last in LAST_NAMES], count)
    return tuple(
        (f"{first} {last}", f"{first.lower()}.{last.lower()}@{domain}", zone, position == 0)
        for position, (first, last) in enumerate(people)
    )


def make_usage(account: DemoAccount, start: date, days: int, rng: random.Random) -> list[EventRecord]:
    """Daily usage for the ``days`` before ``start``; collapsing accounts fade in the last 30."""
    weights = [rng.random() ** 2 for _ in FEATURES]
    base = rng.uniform(6, 30)
    events = []
    for offset in range(days, 0, -1):
        day = start - timedelta(days=offset)
        level = base
        if account.collapsing and offset <= 30:
            level = base * rng.uniform(0.0, 0.15)
        if day.weekday() >= 5:
            level *= 0.2
        for _ in range(int(rng.gauss(level, level / 4) if level > 0 else 0)):
            feature = rng.choices(FEATURES, weights)[0]
            moment = datetime.combine(day, time(rng.randrange(7, 20), rng.randrange(60)), timezone.utc)
            key = f"{account.id}:{day.isoformat()}:{len(events)}"
            events.append(EventRecord(event_id("demo", key), account.id, feature, moment, 1.0, "demo"))
    return events


def make_payment_failure(account: DemoAccount, start: date) -> EventRecord:
    moment = datetime.combine(start - timedelta(days=2), time(6, 0), timezone.utc)
    properties = {"amount_cents": account.mrr_cents, "currency": "usd", "failure_message": "Your card has expired."}
    return EventRecord(event_id("demo", f"{account.id}:payment"), account.id, "payment_failed", moment, 1.0, "demo", properties)
