"""Allow ``python -m churnguard``."""

from churnguard.cli.app import main

main()
