"""``churnguard scan``: run every play trigger and print the signals with their evidence."""

from __future__ import annotations

from typing import Any

import duckdb

from churnguard.cli.app import app
from churnguard.cli.common import AsOfOption, JsonOption, WorkspaceOption, emit, fail, open_workspace
from churnguard.detect import open_event_store, scan
from churnguard.domain import Signal
from churnguard.errors import ChurnguardError


@app.command(
    "scan",
    epilog="Example: churnguard scan --as-of 1998-04-01 --json",
)
def scan_command(as_of: AsOfOption = None, workspace: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """Run the play triggers over the event store and print each signal. Stores nothing, starts nothing."""
    ws = open_workspace(workspace, as_of)
    try:
        signals = scan(open_event_store(ws), ws.settings, ws.clock.now())
    except ChurnguardError as exc:
        fail(str(exc))
    except duckdb.IOException as exc:
        fail(f"the event store could not be opened ({exc}); stop the other churnguard process and retry")
    finally:
        ws.close()

    emit([signal_dict(signal) for signal in signals], as_json, _text(signals))


def signal_dict(signal: Signal) -> dict[str, Any]:
    return {
        "key": signal.key,
        "account_id": signal.account_id,
        "kind": signal.kind.value,
        "as_of": signal.as_of.isoformat(),
        "summary": signal.summary,
        "evidence": signal.evidence,
    }


def _text(signals: list[Signal]) -> str:
    lines = [f"{signal.kind.value}\t{signal.account_id}\t{signal.summary}" for signal in signals]
    lines.append(f"{len(signals)} signals")
    return "\n".join(lines)
