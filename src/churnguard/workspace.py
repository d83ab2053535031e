"""A workspace: one folder with the settings, state database, event store, mail and keys.

    churnguard.toml     settings (see config.SETTINGS)
    state.sqlite3       the state store, unless database_url points elsewhere
    events.duckdb       the event store (event_store = "duckdb")
    mail/               local Maildir mailboxes (mail.transport = "maildir")
    keys/               DKIM private keys, readable by the owner only
    rejects/            rows that failed validation during imports
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from churnguard.clock import Clock, SystemClock
from churnguard.config import Settings, load_settings
from churnguard.errors import WorkspaceError
from churnguard.store.db import Database, sqlite_url
from churnguard.vault.sealing import attach as attach_vault

SETTINGS_FILE = "churnguard.toml"
ENV_VAR = "CHURNGUARD_WORKSPACE"


@dataclass
class Workspace:
    root: Path
    settings: Settings
    db: Database
    clock: Clock

    @property
    def events_path(self) -> Path:
        return self.root / "events.duckdb"

    @property
    def mail_root(self) -> Path:
        return self.root / "mail"

    @property
    def keys_dir(self) -> Path:
        return self.root / "keys"

    @property
    def rejects_dir(self) -> Path:
        return self.root / "rejects"

    @classmethod
    def open(cls, root: Path | str | None = None, *, clock: Clock | None = None) -> "Workspace":
        """Open an existing workspace and bring its schema up to date."""
        folder = resolve_root(root)
        settings_path = folder / SETTINGS_FILE
        if not settings_path.is_file():
            raise WorkspaceError(
                f"{folder} is not a churnguard workspace ({SETTINGS_FILE} is missing); "
                f"run 'churnguard init {folder}' or pass --workspace"
            )

        settings = load_settings(settings_path)
        url = settings["database_url"] or os.environ.get("CHURNGUARD_DATABASE_URL") or sqlite_url(folder / "state.sqlite3")
        db = Database(url)
        db.migrate()
        attach_vault(db, folder / "keys")
        return cls(folder, settings, db, clock or SystemClock())

    def close(self) -> None:
        self.db.dispose()


def resolve_root(root: Path | str | None) -> Path:
    """Pick the workspace folder: the argument, then $CHURNGUARD_WORKSPACE, then the current folder."""
    if root is None:
        root = os.environ.get(ENV_VAR) or Path.cwd()
    return Path(root).expanduser().resolve()
