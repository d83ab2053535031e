"""Trust tests reuse the loop's workspaces (SQLite and PostgreSQL)."""

from tests.loop.conftest import backend, make_loop  # noqa: F401
