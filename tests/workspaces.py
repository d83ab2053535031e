"""Bare workspaces for the import and detection tests."""

from __future__ import annotations

from pathlib import Path

from churnguard.keys import create_workspace_keys
from churnguard.workspace import Workspace
from tests.servers import REPO

REPO_ROOT = REPO


def make_workspace(root: Path, settings: str = "") -> Workspace:
    """Create a bare workspace folder (settings file and keys) and open it.

    The vault refuses to open a workspace without a master key, so the keys come first.
    """
    root.mkdir(parents=True, exist_ok=True)
    (root / "churnguard.toml").write_text(settings, encoding="utf-8")
    create_workspace_keys(root / "keys")
    return Workspace.open(root)
