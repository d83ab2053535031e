"""Turn one source row into typed field values, following a mapping.

Error messages name the field, the column and the fix, never the cell's value: rejects files
and logs must not carry customer data.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from churnguard.errors import ImportRowError
from churnguard.ingest.mapping import FIELDS, REQUIRED, FieldSpec, Mapping

_EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f", ""}


def convert_row(mapping: Mapping, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return ``(fields, extras)`` for one row, or raise ImportRowError naming the field."""
    types = FIELDS[mapping.kind]
    fields = {name: convert_value(spec, values, types[name]) for name, spec in mapping.fields.items()}
    for name in REQUIRED[mapping.kind]:
        if fields.get(name) in (None, ""):
            raise ImportRowError(f"missing {name}{_where(mapping.fields[name])}: fill it in or drop the row", field=name)

    extras = {name: convert_value(spec, values, "number" if _numeric(spec) else "text") for name, spec in mapping.extras.items()}
    return fields, {name: value for name, value in extras.items() if value is not None}


def convert_value(spec: FieldSpec, values: dict[str, Any], kind: str) -> Any:
    """Read one field from the row and convert it to ``kind``."""
    raw = _raw(spec, values)
    if isinstance(raw, str):
        raw = raw.strip()
    if spec.values is not None and raw not in (None, ""):
        raw = _lookup(spec, raw)
    if raw is None or raw == "":
        raw = spec.default
    if raw is None or raw == "":
        return None

    try:
        return _CONVERTERS[kind](spec, raw)
    except (ValueError, InvalidOperation, ZoneInfoNotFoundError, OverflowError):
        raise ImportRowError(f"invalid {_LABELS[kind]}{_where(spec)}: {_FIXES[kind]}", field=spec.name) from None


def _raw(spec: FieldSpec, values: dict[str, Any]) -> Any:
    if spec.value is not None:
        return spec.value
    if spec.template is not None:
        try:
            return spec.template.format_map({key: "" if value is None else value for key, value in values.items()})
        except (KeyError, IndexError, ValueError):
            raise ImportRowError(f"template of {spec.name} names a column missing from this row: add it or drop the row", field=spec.name) from None

    # Only JSON Lines rows can lack a key (tabular headers are checked per file); absent is empty.
    return values.get(spec.column)


def _lookup(spec: FieldSpec, raw: Any) -> Any:
    table = spec.values or {}
    key = str(raw)
    if key in table:
        return table[key]

    folded = {str(name).casefold(): value for name, value in table.items()}
    if key.casefold() in folded:
        return folded[key.casefold()]
    raise ImportRowError(
        f"value{_where(spec)} is not one of the words the mapping's values table lists: add it there or fix the row",
        field=spec.name,
    )


def _where(spec: FieldSpec) -> str:
    if spec.column:
        return f" in column '{spec.column}'"
    if spec.template:
        return f" built from template of {spec.name}"
    return ""


def _numeric(spec: FieldSpec) -> bool:
    return spec.multiply is not None or spec.integer


def _number(spec: FieldSpec, raw: Any) -> Decimal:
    if isinstance(raw, bool):
        raise ValueError("a boolean is not a number")
    number = Decimal(str(raw))
    if not number.is_finite():
        raise ValueError("not a finite number")
    if spec.multiply is not None:
        number *= Decimal(str(spec.multiply))
    return number


def _to_int(spec: FieldSpec, raw: Any) -> int:
    return int(_number(spec, raw).to_integral_value(rounding=ROUND_HALF_EVEN))


def _to_float(spec: FieldSpec, raw: Any) -> float:
    return float(_number(spec, raw))


def _to_number(spec: FieldSpec, raw: Any) -> int | float:
    return _to_int(spec, raw) if spec.integer else _to_float(spec, raw)


def _to_text(spec: FieldSpec, raw: Any) -> str:
    return str(raw)


def _to_bool(spec: FieldSpec, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    word = str(raw).strip().casefold()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError("not a boolean word")


def _to_email(spec: FieldSpec, raw: Any) -> str:
    address = str(raw).strip()
    if len(address) > 320 or not _EMAIL.match(address):
        raise ValueError("not an address")
    return address.lower()


def _to_currency(spec: FieldSpec, raw: Any) -> str:
    code = str(raw).strip().upper()
    if not _CURRENCY.match(code):
        raise ValueError("not an ISO 4217 code")
    return code


def _to_timezone(spec: FieldSpec, raw: Any) -> str:
    name = str(raw).strip()
    if not name or name.startswith(("/", ".")) or ".." in name:
        raise ValueError("not a zone name")
    ZoneInfo(name)
    return name


def _to_date(spec: FieldSpec, raw: Any) -> date:
    if spec.date_format:
        return datetime.strptime(str(raw), spec.date_format).date()
    return date.fromisoformat(str(raw))


def _to_datetime(spec: FieldSpec, raw: Any) -> datetime:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return datetime.fromtimestamp(raw, timezone.utc)
    if spec.date_format:
        parsed = datetime.strptime(str(raw), spec.date_format)
    else:
        parsed = datetime.fromisoformat(str(raw))
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


_CONVERTERS = {
    "text": _to_text,
    "int": _to_int,
    "float": _to_float,
    "number": _to_number,
    "bool": _to_bool,
    "email": _to_email,
    "currency": _to_currency,
    "timezone": _to_timezone,
    "date": _to_date,
    "datetime": _to_datetime,
}
_LABELS = {
    "text": "text", "int": "whole number", "float": "number", "number": "number", "bool": "true/false value",
    "email": "email", "currency": "currency code", "timezone": "time zone name", "date": "date",
    "datetime": "date and time",
}
_FIXES = {
    "text": "fix the cell",
    "int": "write a plain number such as 29.85 or 2985",
    "float": "write a plain number such as 2 or 2.5",
    "number": "write a plain number",
    "bool": "write true/false, yes/no or 1/0, or add a values table to the mapping",
    "email": "fix the address or drop the row",
    "currency": "use a three-letter ISO 4217 code such as USD",
    "timezone": "use an IANA name such as Europe/Berlin",
    "date": "use the date_format the mapping sets, or YYYY-MM-DD",
    "datetime": "use the date_format the mapping sets, or ISO 8601 such as 1998-04-01T09:00:00Z",
}
