"""Validate a model's JSON reply against the small JSON-schema subset churnguard requests.

Supported keywords: ``type`` (object, array, string, number, integer, boolean), ``properties``,
``required``, ``additionalProperties: false``, ``enum``, ``minimum``, ``maximum``, ``items``,
``maxItems``, ``minLength`` and ``maxLength``. Anything else in a schema is ignored.
"""

from __future__ import annotations

import json
import re
from typing import Any

from churnguard.llm.errors import ModelResponseInvalid

_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)
_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
}


def parse_reply(model: str, text: str, schema: dict[str, Any]) -> dict[str, Any]:
    """Decode ``text`` (a bare or fenced JSON object) and validate it; raise ModelResponseInvalid."""
    fenced = _FENCE.match(text)
    try:
        data = json.loads(fenced.group(1) if fenced else text)
    except ValueError:
        raise ModelResponseInvalid(model, "the reply is not JSON") from None

    problems = problems_in(data, schema, "$")
    if problems:
        raise ModelResponseInvalid(model, "; ".join(problems[:5]))
    return data


def problems_in(value: Any, schema: dict[str, Any], where: str) -> list[str]:
    """Return every way ``value`` breaks ``schema``, each naming its JSON path."""
    expected = schema.get("type")
    if expected and not _is_type(value, expected):
        return [f"{where} must be {expected}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where} must be one of {schema['enum']}"]

    problems: list[str] = []
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            problems.append(f"{where} must be at least {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            problems.append(f"{where} must be at most {schema['maximum']}")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            problems.append(f"{where} must have at least {schema['minLength']} characters")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            problems.append(f"{where} must have at most {schema['maxLength']} characters")
    if isinstance(value, list):
        problems += _array_problems(value, schema, where)
    if isinstance(value, dict):
        problems += _object_problems(value, schema, where)
    return problems


def _array_problems(value: list[Any], schema: dict[str, Any], where: str) -> list[str]:
    problems = []
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        problems.append(f"{where} must have at most {schema['maxItems']} items")
    for index, item in enumerate(value):
        problems += problems_in(item, schema.get("items", {}), f"{where}[{index}]")
    return problems


def _object_problems(value: dict[str, Any], schema: dict[str, Any], where: str) -> list[str]:
    properties = schema.get("properties", {})
    problems = [f"{where}.{name} is missing" for name in schema.get("required", []) if name not in value]
    if schema.get("additionalProperties") is False:
        problems += [f"{where}.{name} is not allowed" for name in value if name not in properties]
    for name, item in value.items():
        if name in properties:
            problems += problems_in(item, properties[name], f"{where}.{name}")
    return problems


def _is_type(value: Any, expected: str) -> bool:
    if isinstance(value, bool) and expected in ("number", "integer"):
        return False
    return isinstance(value, _TYPES.get(expected, (object,)))
