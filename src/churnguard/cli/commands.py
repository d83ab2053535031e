"""Import every command module so each registers itself on the app."""

from churnguard.cli import core, replies  # noqa: F401
from churnguard.cli import imports  # noqa: F401
from churnguard.cli import scan  # noqa: F401
from churnguard.cli import serve  # noqa: F401
from churnguard.cli import eval as eval_commands  # noqa: F401
from churnguard.cli import accounts, audit, identity, vault  # noqa: F401
from churnguard.cli import approvals, engine  # noqa: F401
from churnguard.cli import sentiment  # noqa: F401
