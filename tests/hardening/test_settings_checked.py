"""Every setting is checked when the workspace opens, with an error naming it and the fix."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from churnguard.config import SETTINGS, Settings
from churnguard.errors import ConfigError
from churnguard.workspace import Workspace

from .conftest import add_settings

BAD_VALUES = [
    ('"mail.transport" = "carrier-pigeon"', "mail.transport", "use one of maildir, smtp"),
    ('"mail.mailbox" = "pop3"', "mail.mailbox", "use one of maildir, imap"),
    ('"mail.smtp_security" = "ssl"', "mail.smtp_security", "use one of none, starttls, tls"),
    ('event_store = "mysql"', "event_store", "use one of duckdb, sql"),
    ('"detect.silent_churn.measure" = "minutes"', "detect.silent_churn.measure", "use one of events, quantity"),
    ('"mail.smtp_port" = 0', "mail.smtp_port", "at least 1 and at most 65535"),
    ('"mail.imap_port" = 70000', "mail.imap_port", "at most 65535"),
    ('"web.port" = -1', "web.port", "at least 1"),
    ('"mail.smtp_port" = true', "mail.smtp_port", "not true or false"),
    ('"mail.imap_ssl" = 1', "mail.imap_ssl", "true or false"),
    ('"run.interval_seconds" = -1.0', "run.interval_seconds", "above 0"),
    ('"run.interval_seconds" = 0', "run.interval_seconds", "above 0"),
    ('"run.interval_seconds" = inf', "run.interval_seconds", "finite"),
    ('"run.lease_seconds" = nan', "run.lease_seconds", "finite"),
    ('"webhooks.flush_interval_seconds" = 0.0', "webhooks.flush_interval_seconds", "above 0"),
    ('"detect.silent_churn.window_days" = 99999999', "detect.silent_churn.window_days", "at most 3650"),
    ('"booking.slot_hours" = "abc,99"', "booking.slot_hours", "hours of the day from 0 to 23"),
    ('"booking.slot_hours" = "10,24"', "booking.slot_hours", "hours of the day from 0 to 23"),
    ('"send.holidays" = "2025-13-01"', "send.holidays", "YYYY-MM-DD"),
    ('"replies.min_confidence" = 1.5', "replies.min_confidence", "at most 1"),
]


@pytest.mark.parametrize("line,name,fix", BAD_VALUES, ids=[case[1] + ":" + case[0].split("=")[1].strip() for case in BAD_VALUES])
def test_bad_setting_fails_on_open(workspace_dir: Path, churnguard, line: str, name: str, fix: str) -> None:
    add_settings(workspace_dir, line)

    result = churnguard("scan", "-w", str(workspace_dir))

    assert result.code == 2
    assert result.err.count("error:") == 1
    assert f"'{name}'" in result.err
    assert fix in result.err
    assert "Traceback" not in result.err


def test_bad_transport_fails_before_any_work(workspace_dir: Path) -> None:
    add_settings(workspace_dir, '"mail.transport" = "carrier-pigeon"')

    with pytest.raises(ConfigError, match="mail.transport"):
        Workspace.open(workspace_dir)

    assert not (workspace_dir / "events.duckdb").exists()


def test_every_default_passes_its_check() -> None:
    for setting in SETTINGS:
        assert setting.check(setting.default) == setting.default, setting.name


def test_choice_is_stored_lowercase() -> None:
    settings = Settings({"mail.transport": " SMTP ", "mail.smtp_port": 2525, "run.interval_seconds": 5})

    assert settings["mail.transport"] == "smtp"
    assert settings["mail.smtp_port"] == 2525
    assert settings["run.interval_seconds"] == 5.0


def test_float_bounds_reject_non_finite() -> None:
    for setting in SETTINGS:
        if setting.type is not float:
            continue
        for value in (math.inf, -math.inf, math.nan):
            with pytest.raises(ConfigError, match=setting.name):
                Settings({setting.name: value})
