"""Create a new workspace: settings file, schema, the first agent identity and its keys."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from churnguard.clock import Clock, SystemClock
from churnguard.config import SETTINGS
from churnguard.errors import WorkspaceError
from churnguard.identity import NewIdentity, create_identity
from churnguard.keys import create_dkim_key, create_workspace_keys, unsubscribe_secret
from churnguard.mail.dkim import dns_txt_record
from churnguard.workspace import SETTINGS_FILE, Workspace


@dataclass(frozen=True)
class InitResult:
    root: Path
    identity_id: str
    dkim_record: str
    keys_dir: Path
    master_key: str = ""


def render_settings(overrides: dict[str, Any]) -> str:
    """A churnguard.toml with every setting listed, the unset ones commented out."""
    lines = ["# churnguard workspace settings. Run 'churnguard settings' for the full table.", ""]
    for setting in SETTINGS:
        lines.append(f"# {setting.help}" + (f" ({setting.unit})" if setting.unit else ""))
        value = overrides.get(setting.name, setting.default)
        literal = _toml_literal(value)
        prefix = "" if setting.name in overrides else "# "
        lines.append(f'{prefix}"{setting.name}" = {literal}')
        lines.append("")
    return "\n".join(lines)


def _toml_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def init_workspace(
    root: Path,
    identity: NewIdentity,
    *,
    overrides: dict[str, Any] | None = None,
    clock: Clock | None = None,
    selector: str | None = None,
) -> InitResult:
    """Create the workspace folder and everything the main job needs to start."""
    root = root.expanduser().resolve()
    if (root / SETTINGS_FILE).exists():
        raise WorkspaceError(f"{root} already holds a workspace; pick an empty folder")
    root.mkdir(parents=True, exist_ok=True)
    (root / SETTINGS_FILE).write_text(render_settings(overrides or {}), encoding="utf-8")
    master_key = create_workspace_keys(root / "keys")

    workspace = Workspace.open(root, clock=clock or SystemClock())
    for folder in (workspace.mail_root, workspace.keys_dir, workspace.rejects_dir):
        folder.mkdir(parents=True, exist_ok=True)
    workspace.keys_dir.chmod(0o700)

    domain = identity.address.rsplit("@", 1)[1]
    selector = selector or f"cg-{identity.id}"
    key = create_dkim_key(workspace.keys_dir, identity.id, domain, selector)
    unsubscribe_secret(workspace.keys_dir)
    with workspace.db.transaction() as session:
        create_identity(session, identity, now=workspace.clock.now(), selector=selector)

    workspace.close()
    return InitResult(root, identity.id, dns_txt_record(key), workspace.keys_dir, master_key)
