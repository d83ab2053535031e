"""The ``mailstack`` fixture: Postfix, Dovecot and OpenDKIM on 127.0.0.1 for one test session.

Load it from any conftest with ``pytest_plugins = ["tests.fixtures_mailstack"]``. The stack
runs from ``tools/mailstack/mailstack.sh`` in a fresh temporary state folder on free high
ports, and is stopped at the end of the session. When it cannot start, tests that use it
are skipped with the reason, unless CHURNGUARD_REQUIRE_SERVERS=1 makes that a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

from churnguard.mail.dkim import DkimKey, dns_txt_record, opendkim_key_line

SCRIPT = Path(__file__).resolve().parent.parent / "tools" / "mailstack" / "mailstack.sh"
USERS = {
    "agent@agent.test": "agentpass",
    "csm@agent.test": "csmpass",
    "customer@customer.test": "customerpass",
    "buyer@customer.test": "buyerpass",
}
START_TIMEOUT = 120


@dataclass
class MailStack:
    """A running test mail stack and the settings to reach it."""

    host: str
    smtp_port: int
    submission_port: int
    imap_port: int
    state: Path
    users: dict[str, str]
    dkim_keys_file: Path
    opendkim_conf: Path
    dkim_records: dict[str, str] = field(default_factory=dict)

    def password(self, user: str) -> str:
        return self.users[user]

    def maildir(self, user: str) -> Path:
        local, domain = user.split("@")
        return self.state / "mail" / domain / local / "Maildir"

    def add_dkim_key(self, key: DkimKey) -> None:
        """Publish ``key`` to OpenDKIM (milter and ``opendkim -t``) and to ``dkim_records``."""
        with open(self.dkim_keys_file, "a", encoding="ascii") as keys:
            keys.write(opendkim_key_line(key) + "\n")
        self.dkim_records[key.record_name] = dns_txt_record(key)

    def opendkim_verify(self, raw: bytes) -> bool:
        """Return True when ``opendkim -t`` reports a good signature on ``raw``."""
        with tempfile.NamedTemporaryFile(suffix=".eml", dir=self.state) as message:
            message.write(raw)
            message.flush()
            result = subprocess.run(
                ["opendkim", "-x", str(self.opendkim_conf), "-t", message.name],
                capture_output=True, text=True, timeout=30,
            )
        return result.returncode == 0 and "succeeded" in result.stderr + result.stdout


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _unavailable(reason: str) -> None:
    if os.environ.get("CHURNGUARD_REQUIRE_SERVERS") == "1":
        pytest.fail(f"mail stack required (CHURNGUARD_REQUIRE_SERVERS=1) but unavailable: {reason}")
    pytest.skip(f"mail stack unavailable: {reason}")


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True,
        timeout=START_TIMEOUT, stdin=subprocess.DEVNULL,
    )


def _prepare(env: dict[str, str]) -> None:
    if os.geteuid() != 0:
        _unavailable("the stack needs root to start Postfix, Dovecot and OpenDKIM")
    if shutil.which("postfix") is None and not Path("/usr/sbin/postfix").exists():
        installed = _run(["install"], env)
        if installed.returncode != 0:
            _unavailable(f"install failed: {installed.stderr.strip()[-400:]}")


def _load(state: Path) -> MailStack:
    settings = json.loads((state / "stack.json").read_text())
    return MailStack(
        host=settings["host"],
        smtp_port=settings["smtp_port"],
        submission_port=settings["submission_port"],
        imap_port=settings["imap_port"],
        state=state,
        users=settings["users"],
        dkim_keys_file=Path(settings["dkim_keys"]),
        opendkim_conf=Path(settings["opendkim_conf"]),
    )


@pytest.fixture(scope="session")
def mailstack() -> Iterator[MailStack]:
    state = Path(tempfile.mkdtemp(prefix="churnguard-mailstack-"))
    env = dict(os.environ, MAILSTACK_STATE=str(state))
    for name in ("SMTP", "SUBMISSION", "IMAP", "MILTER"):
        env[f"MAILSTACK_{name}_PORT"] = str(_free_port())

    _prepare(env)
    started = _run(["start", *(f"{user}:{password}" for user, password in USERS.items())], env)
    if started.returncode != 0:
        _unavailable(f"start failed: {started.stderr.strip()[-600:]}")
    try:
        yield _load(state)
    finally:
        _run(["stop"], env)
        shutil.rmtree(state, ignore_errors=True)
