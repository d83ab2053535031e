"""Load play files: the shipped ones, then any in the workspace's plays/ folder, which win by name."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from churnguard.domain import SignalKind
from churnguard.errors import ConfigError
from churnguard.plays.schema import Play

BUILTIN = Path(__file__).parent / "builtin"


def load_play_file(path: Path) -> Play:
    """Read and validate one play file; errors name the file and the field."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"play file {path} not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"play file {path} is not valid TOML: {exc}") from None

    try:
        return Play.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in error['loc']) or 'file'}: {error['msg']}" for error in exc.errors())
        raise ConfigError(f"invalid play file {path}: {problems}; see docs/plays.md") from None


@dataclass(frozen=True)
class PlayBook:
    """Every play of a workspace, by name."""

    plays: dict[str, Play]

    def for_signal(self, kind: SignalKind) -> list[Play]:
        return [p for p in self.plays.values() if p.enabled and p.kind == "sequence" and p.trigger and p.trigger.signal == kind]

    def get(self, name: str) -> Play | None:
        return self.plays.get(name)

    def sequence_plays(self) -> list[Play]:
        return [p for p in self.plays.values() if p.enabled and p.kind == "sequence"]

    def policies(self) -> list[Play]:
        return [p for p in self.plays.values() if p.enabled and p.kind == "policy"]


def load_playbook(workspace_root: Path | None = None) -> PlayBook:
    plays = {}
    folders = [BUILTIN] + ([workspace_root / "plays"] if workspace_root else [])
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            play = load_play_file(path)
            plays[play.name] = play
    return PlayBook(plays)
