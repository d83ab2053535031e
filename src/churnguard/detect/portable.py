"""Trigger SQL in one portable subset, checked against a whitelist and transpiled with SQLGlot.

A trigger is written once, in plain SQL with ``:name`` parameters, and runs on DuckDB,
SQLite, PostgreSQL and Spark. SQLGlot translates between dialects, but some translations are
wrong without any error. ``MAX_BY`` becomes an ``ARG_MAX`` that PostgreSQL and SQLite lack,
and ``FILTER (WHERE ...)`` is copied to SQLite unchanged. Date arithmetic is rewritten
approximately: on SQLite a month difference becomes days divided by 30.

So the rules keep to constructs that mean the same everywhere, and ``lint`` rejects anything
else before a query reaches an engine. Time bounds come in as parameters, windows are
``SUM(CASE WHEN ...)``, and nothing computes on dates.
"""

from __future__ import annotations

import re
from functools import lru_cache

import sqlglot
from sqlglot import expressions as exp

from churnguard.errors import ConfigError

DIALECTS = ("duckdb", "postgres", "sqlite", "spark")

# Every node a trigger may contain. Anything else (date functions, INTERVAL, FILTER, MAX_BY,
# casts, string functions) is rejected, because its translation is not checked.
ALLOWED: tuple[type[exp.Expression], ...] = (
    exp.Select, exp.From, exp.Where, exp.Group, exp.Order, exp.Ordered, exp.Having,
    exp.Join, exp.Subquery, exp.Table, exp.TableAlias, exp.Alias, exp.Column, exp.Identifier,
    exp.Star, exp.Literal, exp.Placeholder, exp.Paren, exp.Null, exp.Boolean, exp.Tuple,
    exp.And, exp.Or, exp.Not, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE,
    exp.In, exp.Like, exp.Is, exp.Add, exp.Sub, exp.Mul, exp.Neg,
    exp.Sum, exp.Max, exp.Min, exp.Count, exp.Case, exp.If,
    exp.Window, exp.Distinct, exp.Union,
)

_PLACEHOLDER_PG = re.compile(r"%\((\w+)\)s")


class NotPortable(ConfigError):
    """Trigger SQL uses a construct outside the portable subset."""


def lint(sql: str) -> list[str]:
    """Return the constructs in ``sql`` that are outside the portable subset (empty when clean)."""
    problems = []
    for node in sqlglot.parse_one(sql, read="duckdb").walk():
        if not isinstance(node, ALLOWED):
            problems.append(f"{type(node).__name__}: {node.sql(dialect='duckdb')[:60]}")
        elif isinstance(node, exp.Window) and node.args.get("spec") is not None:
            problems.append(f"window frame: {node.sql(dialect='duckdb')[:60]}")
    return problems


def check(sql: str) -> None:
    """Raise ``NotPortable`` naming the first constructs outside the subset."""
    problems = lint(sql)
    if problems:
        raise NotPortable(
            f"trigger SQL uses constructs outside the portable subset ({'; '.join(problems[:3])}); "
            "compute time bounds in Python and use SUM(CASE WHEN ...) for windows"
        )


@lru_cache(maxsize=256)
def transpile(sql: str, dialect: str) -> str:
    """Check ``sql`` and return it in ``dialect``, keeping ``:name`` parameters."""
    if dialect not in DIALECTS:
        raise ConfigError(f"unknown SQL dialect {dialect!r}; use one of {', '.join(DIALECTS)}")
    check(sql)
    out = sqlglot.transpile(sql, read="duckdb", write=dialect, pretty=False)[0]
    # SQLGlot writes PostgreSQL parameters in the driver's pyformat; the adapters bind :name.
    return _PLACEHOLDER_PG.sub(r":\1", out)


__all__ = ["ALLOWED", "DIALECTS", "NotPortable", "check", "lint", "transpile"]
