"""Import every command module so each registers itself on the app."""

from churnguard.cli import core, replies  # noqa: F401
