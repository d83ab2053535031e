"""PostgreSQL privileges: the application role may add audit entries but never change them.

Run ``grant_app_role`` as the database owner. The role gets what the main job needs on
every table, then loses UPDATE, DELETE and TRUNCATE on the audit tables. Because it does not
own them, it cannot drop their append-only triggers either.
"""

from __future__ import annotations

import re

from sqlalchemy import Engine, text

from churnguard.errors import ConfigError

AUDIT_TABLES = ("audit_events", "audit_checkpoints")


def grant_app_role(engine: Engine, role: str) -> None:
    if engine.dialect.name != "postgresql":
        raise ConfigError("database roles apply to PostgreSQL only; SQLite relies on its append-only triggers")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", role):
        raise ConfigError(f"role name {role!r} must be lower-case letters, digits and underscores")
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        *(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {role}" for table in AUDIT_TABLES),
    ]
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
