"""The steps behind ``churnguard plays compile``: compile, dry run and activate, without the printing."""

from __future__ import annotations

from pathlib import Path

from churnguard.errors import ConfigError
from churnguard.llm import model_from_settings
from churnguard.plays.compile import Compiled, compile_text
from churnguard.plays.dryrun import DryRun, dry_run
from churnguard.plays.loader import load_playbook
from churnguard.plays.schema import Play
from churnguard.plays.toml_out import play_to_toml
from churnguard.workspace import Workspace


def compile_for(text: str, ws: Workspace | None, *, name: str | None = None, offline: bool = False) -> Compiled:
    """Compile with the grammar; when it cannot read the text, ask the workspace's model if one is set."""
    result = compile_text(text, name)
    if result.ok or offline or ws is None:
        return result
    model = model_from_settings(ws.settings)
    if model is None:
        return result

    from churnguard.plays.translate import translate

    return translate(text, model, result, name)


def preview(ws: Workspace, play: Play) -> DryRun:
    """Run the play against the workspace's events as of its clock; writes nothing."""
    from churnguard.detect import open_event_store

    return dry_run(ws, open_event_store(ws), play)


def activate(ws: Workspace, play: Play) -> Path:
    """Write the play to the workspace's plays/ folder; refuse to overwrite a file already there."""
    folder = ws.root / "plays"
    path = folder / f"{play.name}.toml"
    if path.exists():
        raise ConfigError(f"{path} already exists; remove it or pick another name with --name")
    folder.mkdir(exist_ok=True)
    path.write_text(play_to_toml(play), encoding="utf-8")
    try:
        load_playbook(ws.root)
    except ConfigError:
        path.unlink()
        raise
    return path
