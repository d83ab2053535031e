"""Helpers for the hardening tests: run the real ``churnguard`` entry point in-process."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from churnguard.cli.app import main


@dataclass
class Outcome:
    """Exit code and the two output streams of one ``churnguard`` call."""

    code: int
    out: str
    err: str


@pytest.fixture
def churnguard(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., Outcome]:
    """Call ``main()`` as the console script does, so its top-level error handler is exercised."""

    def run(*args: str) -> Outcome:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["churnguard", *args])
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return run


@pytest.fixture
def workspace_dir(tmp_path: Path, churnguard: Callable[..., Outcome]) -> Path:
    folder = tmp_path / "ws"
    created = churnguard("init", str(folder))
    assert created.code == 0, created.err
    return folder


def add_settings(folder: Path, text: str) -> None:
    with open(folder / "churnguard.toml", "a", encoding="utf-8") as handle:
        handle.write("\n" + text + "\n")
