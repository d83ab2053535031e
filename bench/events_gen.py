"""Generate a realistic event table for the scan benchmarks, inside DuckDB.

Accounts have skewed activity (a log-normal rate: a few very busy accounts, many quiet ones),
and a fifth of them collapse: from a day in the last 60 their activity falls to a tenth.
Product events (logins, feature use, exports) fill most rows. Every account also pays once a
month: about 4% of payments fail, and most failed payments are retried. Some accounts renew,
and a quarter of the collapsing accounts cancel.

    python -m bench.events_gen --accounts 1000000 --out /tmp/cg-bench/events.duckdb

Rows are written in time order, the order an append-only event feed delivers them. The table
has the event store's own schema (``DuckDBEventStore``), primary key included, unless
``--no-primary-key`` is given.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb

DAYS = 120
EVENTS_PER_ACCOUNT = 50
# The scans run at the end of the generated period, and the events stop just before it.
AS_OF = datetime(2026, 6, 1, tzinfo=timezone.utc)
START = AS_OF - timedelta(days=DAYS)

_SCHEMA = (
    "CREATE TABLE events (id VARCHAR {pk}, account_id VARCHAR NOT NULL, type VARCHAR NOT NULL,"
    " occurred_at TIMESTAMP NOT NULL, quantity DOUBLE NOT NULL, source VARCHAR NOT NULL,"
    " properties VARCHAR NOT NULL)"
)

# Per account: a skewed daily rate, and for a fifth of them the day activity collapses.
_ACCOUNTS = """
CREATE TEMP TABLE accounts AS
SELECT i AS n,
       printf('acct_%07d', i) AS account_id,
       exp((sqrt(-2 * ln(greatest(random(), 1e-12))) * cos(2 * pi() * random())) * 1.0)
           * {mean} / exp(0.5) / {days} AS rate,
       CASE WHEN random() < 0.2 THEN {days} - 60 + random() * 58 END AS collapse_day,
       random() < 0.25 AS cancels,
       random() * 30 AS billing_offset
FROM range({accounts}) AS t(i)
"""

# Product events: draw a count per account, spread them over the period, thin after collapse.
_PRODUCT = """
CREATE TEMP TABLE product AS
SELECT a.account_id, day_offset,
       CASE WHEN r < 0.45 THEN 'login' WHEN r < 0.9 THEN 'feature_used' WHEN r < 0.97 THEN 'report_viewed'
            ELSE 'export' END AS type,
       CASE WHEN r >= 0.97 THEN 1 + floor(random() * 20) ELSE 1 END AS quantity
FROM (
    SELECT account_id, collapse_day, random() * {days} AS day_offset, random() AS r, random() AS keep
    FROM accounts, range(CAST(round(rate * {days}) AS BIGINT))
) AS a
WHERE a.collapse_day IS NULL OR a.day_offset < a.collapse_day OR a.keep < 0.1
"""

# Monthly payments, their retries, renewals, and cancellations of some collapsing accounts.
_BILLING = """
CREATE TEMP TABLE billing AS
WITH cycles AS (
    SELECT account_id, collapse_day, cancels, billing_offset + 30 * k AS day_offset, random() AS r
    FROM accounts, range(4) AS c(k)
    WHERE billing_offset + 30 * k < {days}
)
SELECT account_id, day_offset, CASE WHEN r < 0.04 THEN 'payment_failed' ELSE 'payment_succeeded' END AS type,
       4900.0 AS quantity
FROM cycles
UNION ALL
SELECT account_id, day_offset + 1 + random() * 3, 'payment_succeeded', 4900.0
FROM cycles WHERE r < 0.03 AND day_offset + 4 < {days}
UNION ALL
SELECT account_id, day_offset, 'subscription_updated', 1.0 FROM cycles WHERE r > 0.98
UNION ALL
SELECT account_id, least(collapse_day + 5 + random() * 20, {days} - 0.001), 'subscription_canceled', 1.0
FROM accounts WHERE collapse_day IS NOT NULL AND cancels
"""

_INSERT = """
INSERT INTO events
SELECT 'ev_' || CAST(row_number() OVER () AS VARCHAR), account_id, type,
       TIMESTAMP '{start}' + to_microseconds(CAST(day_offset * 86400e6 AS BIGINT)),
       quantity, 'bench',
       CASE WHEN type = 'payment_failed'
            THEN '{{"amount_cents": 4900, "currency": "usd", "decline_code": "insufficient_funds"}}'
            WHEN type = 'payment_succeeded' THEN '{{"amount_cents": 4900, "currency": "usd"}}'
            ELSE '{{}}' END
FROM (SELECT * FROM product UNION ALL SELECT * FROM billing)
ORDER BY day_offset
"""


def generate(out: Path, accounts: int, primary_key: bool = True, threads: int | None = None) -> dict[str, float]:
    """Write ``out`` (a new DuckDB file) with about ``accounts * 50`` events; return counts and seconds."""
    if out.exists():
        out.unlink()
    started = time.perf_counter()
    con = duckdb.connect(str(out))
    if threads:
        con.execute(f"SET threads = {threads}")
    con.execute("SELECT setseed(0.42)")
    values = {"accounts": accounts, "days": DAYS, "mean": EVENTS_PER_ACCOUNT - 4.2,
              "start": START.replace(tzinfo=None).isoformat(sep=" ")}
    con.execute(_SCHEMA.format(pk="PRIMARY KEY" if primary_key else ""))
    for statement in (_ACCOUNTS, _PRODUCT, _BILLING, _INSERT):
        con.execute(statement.format(**values))
    rows = int(con.execute("SELECT COUNT(*) FROM events").fetchone()[0])
    con.execute("CHECKPOINT")
    con.close()
    return {"accounts": accounts, "events": rows, "seconds": time.perf_counter() - started,
            "bytes": out.stat().st_size}


def append_day(path: Path, day: datetime, accounts: int, seed: float = 0.5) -> int:
    """Append one day of new events (``[day, day + 1 day)``) at the same daily pace; return the count."""
    con = duckdb.connect(str(path))
    con.execute(f"SELECT setseed({seed})")
    start = (day.replace(tzinfo=None)).isoformat(sep=" ")
    base = int(con.execute("SELECT COUNT(*) FROM events").fetchone()[0])
    per_day = base // DAYS
    con.execute(f"""
INSERT INTO events
SELECT 'ev_new_{day:%Y%m%d}_' || CAST(i AS VARCHAR),
       printf('acct_%07d', CAST(floor(pow(random(), 2) * {accounts}) AS BIGINT)),
       CASE WHEN random() < 0.5 THEN 'login' ELSE 'feature_used' END,
       TIMESTAMP '{start}' + to_microseconds(CAST(i * 86400e6 / {per_day} AS BIGINT)),
       1.0, 'bench', '{{}}'
FROM range({per_day}) AS t(i)""")
    con.close()
    return per_day


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--no-primary-key", action="store_true")
    args = parser.parse_args()
    print(generate(args.out, args.accounts, primary_key=not args.no_primary_key))


if __name__ == "__main__":
    main()
