"""Write a play as TOML in the shape of the shipped play files, leaving defaults out."""

from __future__ import annotations

import json
import tomllib
from typing import Any

from churnguard.plays.schema import Play

_TOP = ("name", "description", "kind", "enabled", "stop_when")
_TABLES = ("trigger", "audience", "on_reply", "offer", "approval", "send_window", "pacing")


def play_to_toml(play: Play) -> str:
    """Render ``play``; reading the text back gives an equal play."""
    data = play.model_dump(mode="json", exclude_defaults=True)
    lines = [f"{key} = {_value(data[key])}" for key in _TOP if key in data]
    for table in _TABLES:
        if data.get(table):
            lines += ["", f"[{table}]"] + [f"{key} = {_value(value)}" for key, value in data[table].items()]
    for step in play.model_dump(mode="json")["steps"]:
        lines += ["", "[[steps]]"] + [f"{key} = {_value(value)}" for key, value in step.items() if value != "" or key != "angle"]
    text = "\n".join(lines) + "\n"

    if Play.model_validate(tomllib.loads(text)) != play:
        raise AssertionError(f"play {play.name!r} did not survive a TOML round trip")
    return text


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {_value(item)}" for key, item in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to a play file")
