"""The portable subset: shipped triggers pass the lint, and the constructs SQLGlot mistranslates fail it."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

import duckdb
import pytest
import sqlglot

from churnguard.config import Settings
from churnguard.detect.portable import NotPortable, check, lint, transpile
from churnguard.detect.triggers import churned_query, failed_payment_query, silent_churn_query

AS_OF = datetime(2026, 6, 1, tzinfo=timezone.utc)
MONTHS_BETWEEN = "SELECT DATE_DIFF('month', DATE '2026-01-31', DATE '2026-02-01') AS months"


@pytest.mark.parametrize("settings", [Settings(), Settings({"detect.silent_churn.event_types": "login,export",
                                                             "detect.silent_churn.measure": "quantity"})])
def test_shipped_triggers_are_portable(settings: Settings) -> None:
    queries = [silent_churn_query(settings, AS_OF), failed_payment_query(settings, AS_OF), churned_query(AS_OF, 90)]

    assert [lint(query.sql) for query in queries] == [[], [], []]


def test_transpiled_triggers_keep_named_parameters() -> None:
    query = silent_churn_query(Settings(), AS_OF)

    for dialect in ("postgres", "sqlite", "spark"):
        assert ":split" in transpile(query.sql, dialect)
        assert "%(" not in transpile(query.sql, dialect)


def test_month_difference_is_silently_mistranslated_for_sqlite() -> None:
    # The trap itself: SQLGlot turns a calendar-month count into days / 30 on SQLite, with no error.
    in_duckdb = duckdb.connect().execute(MONTHS_BETWEEN).fetchone()[0]
    as_sqlite = sqlglot.transpile(MONTHS_BETWEEN, read="duckdb", write="sqlite")[0]
    in_sqlite = sqlite3.connect(":memory:").execute(as_sqlite).fetchone()[0]

    assert (in_duckdb, in_sqlite) == (1, 0)


def test_lint_refuses_date_arithmetic_and_max_by_filter() -> None:
    problems = lint(MONTHS_BETWEEN)
    arg_max = lint("SELECT account_id, MAX_BY(id, occurred_at) FILTER (WHERE type = 'x') FROM events GROUP BY 1")
    interval = lint("SELECT COUNT(*) FROM events WHERE occurred_at >= :end - INTERVAL 30 DAY")

    assert any(problem.startswith("DateDiff") for problem in problems)
    assert any(problem.startswith("ArgMax") for problem in arg_max)
    assert any(problem.startswith("Filter") for problem in arg_max)
    assert any(problem.startswith("Interval") for problem in interval)


def test_transpile_refuses_sql_outside_the_subset() -> None:
    with pytest.raises(NotPortable, match="DateDiff"):
        transpile(MONTHS_BETWEEN, "spark")
    with pytest.raises(NotPortable, match="compute time bounds in Python"):
        check("SELECT CAST(occurred_at AS DATE) FROM events")
