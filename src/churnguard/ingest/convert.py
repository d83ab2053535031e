"""Turn one source row into typed field values, following a mapping.

Error messages name the field, the column and the fix, never the cell's value: rejects files
and logs must not carry customer data.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_EVEN, Decimal, DecimalException
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from churnguard.errors import ImportRowError
from churnguard.ingest.mapping import FIELDS, REQUIRED, FieldSpec, Mapping, fail

# The local part is RFC 5322 dot-atoms in ASCII: no quotes, spaces, control bytes or non-ASCII,
# which mail headers and Maildir file names could not carry safely.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_EMAIL = re.compile(rf"^{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f", ""}

# Numbers are checked as text before any conversion, so a cell such as 1e999999 costs nothing.
MAX_NUMBER_CHARS = 40
# Largest magnitude a number may have after ``multiply``: 10**15 fits SQLite and DuckDB
# integers and stays exact as a float.
MAX_MAGNITUDE = Decimal(10) ** 15
MAX_TEXT_CHARS = 131072
# Fields where a negative number has no meaning.
NON_NEGATIVE = {"mrr_cents", "quantity"}


def convert_row(mapping: Mapping, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return ``(fields, extras)`` for one row, or raise ImportRowError naming the field."""
    types = FIELDS[mapping.kind]
    fields = {name: convert_value(spec, values, types[name]) for name, spec in mapping.fields.items()}
    for name in REQUIRED[mapping.kind]:
        if fields.get(name) in (None, ""):
            raise ImportRowError(f"missing {name}{_where(mapping.fields[name])}: fill it in or drop the row", field=name)

    extras = {name: convert_value(spec, values, _extra_kind(spec)) for name, spec in mapping.extras.items()}
    return fields, {name: value for name, value in extras.items() if value is not None}


def check_constants(mapping: Mapping) -> None:
    """Convert every value, default and values-table entry once, so a bad constant in the
    mapping is a mapping error instead of a reject on every row."""
    types = FIELDS[mapping.kind]
    for table, specs in (("fields", mapping.fields), (_extras_table(mapping), mapping.extras)):
        for name, spec in specs.items():
            kind = types[name] if table == "fields" else _extra_kind(spec)
            _check_spec_constants(mapping, f"{table}.{name}", spec, kind)


def _extras_table(mapping: Mapping) -> str:
    return "attributes" if mapping.kind == "accounts" else "properties"


def _check_spec_constants(mapping: Mapping, key: str, spec: FieldSpec, kind: str) -> None:
    constants = [("value", spec.value), ("default", spec.default)]
    constants += [(f"values.{word}", value) for word, value in (spec.values or {}).items()]
    for option, value in constants:
        if value is None or value == "":
            continue
        try:
            _CONVERTERS[kind](spec, value)
        except (ValueError, TypeError, ArithmeticError, DecimalException, ZoneInfoNotFoundError, OSError):
            fail(mapping.path, f"{key}.{option}", f"is not a valid {_LABELS[kind]}", _FIXES[kind])


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
        value = _CONVERTERS[kind](spec, raw)
    except _ValueProblem as exc:
        raise ImportRowError(f"invalid {_LABELS[kind]}{_where(spec)} ({exc}): {_FIXES[kind]}", field=spec.name) from None
    except (ValueError, TypeError, ArithmeticError, DecimalException, ZoneInfoNotFoundError, OSError):
        # OSError: a zone name that is a folder of the zone database; ArithmeticError: overflow.
        raise ImportRowError(f"invalid {_LABELS[kind]}{_where(spec)}: {_FIXES[kind]}", field=spec.name) from None

    if spec.name in NON_NEGATIVE and isinstance(value, (int, float)) and value < 0:
        raise ImportRowError(f"negative {spec.name}{_where(spec)}: write zero or more", field=spec.name)
    return value


class _ValueProblem(ValueError):
    """A conversion failure whose short reason is safe to show, because it contains no part of the value."""


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


def _extra_kind(spec: FieldSpec) -> str:
    return "number" if spec.multiply is not None or spec.integer else "text"


def _number(spec: FieldSpec, raw: Any) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float, Decimal)):
        raise ValueError("not a number")
    text = _number_text(raw)
    if len(text) > MAX_NUMBER_CHARS:
        raise _ValueProblem(f"longer than {MAX_NUMBER_CHARS} characters")

    number = Decimal(text)
    if not number.is_finite():
        raise _ValueProblem("not a finite number")
    if number and number.adjusted() > 30:
        raise _ValueProblem("out of range")
    if spec.multiply is not None:
        number *= Decimal(str(spec.multiply))
    if abs(number) >= MAX_MAGNITUDE:
        raise _ValueProblem("out of range, at most 15 digits before the point")
    return number


def _number_text(raw: Any) -> str:
    if isinstance(raw, int) and abs(raw) >= 10**MAX_NUMBER_CHARS:
        raise _ValueProblem("out of range")
    return str(raw)


def _to_int(spec: FieldSpec, raw: Any) -> int:
    return int(_number(spec, raw).to_integral_value(rounding=ROUND_HALF_EVEN))


def _to_float(spec: FieldSpec, raw: Any) -> float:
    return float(_number(spec, raw))


def _to_number(spec: FieldSpec, raw: Any) -> int | float:
    return _to_int(spec, raw) if spec.integer else _to_float(spec, raw)


def _to_text(spec: FieldSpec, raw: Any) -> str:
    if isinstance(raw, (dict, list)):
        # A nested JSON value stays JSON, so it reads back as data rather than a Python repr.
        raw = json.dumps(raw, ensure_ascii=False, sort_keys=True)
    return check_text(str(raw))


def check_text(text: str) -> str:
    """Return ``text`` when it fits a text field: no control characters, not absurdly long.

    CR, LF and NUL in a stored name end up in mail headers and file names, where they break
    the message or the folder, so they are refused at the door.
    """
    if len(text) > MAX_TEXT_CHARS:
        raise _ValueProblem(f"longer than {MAX_TEXT_CHARS} characters")
    if any(unicodedata.category(char) in _CONTROL for char in text):
        raise _ValueProblem("contains a control character such as a line break or NUL")
    return text


_CONTROL = {"Cc", "Zl", "Zp"}


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
    if not isinstance(raw, str):
        raise ValueError("not an address")
    address = raw.strip()
    if len(address) > 320 or not _EMAIL.match(address):
        raise ValueError("not an address")
    return address.lower()


def _to_currency(spec: FieldSpec, raw: Any) -> str:
    code = str(raw).strip().upper()
    if not _CURRENCY.match(code):
        raise ValueError("not an ISO 4217 code")
    return code


def _to_timezone(spec: FieldSpec, raw: Any) -> str:
    name = raw.strip() if isinstance(raw, str) else ""
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name or "\\" in name:
        raise ValueError("not a zone name")
    check_text(name)
    ZoneInfo(name)
    return name


def _to_date(spec: FieldSpec, raw: Any) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if spec.date_format:
        return datetime.strptime(str(raw), spec.date_format).date()
    return date.fromisoformat(str(raw))


def _to_datetime(spec: FieldSpec, raw: Any) -> datetime:
    if isinstance(raw, datetime):
        return raw.replace(tzinfo=timezone.utc) if raw.tzinfo is None else raw.astimezone(timezone.utc)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return datetime.fromtimestamp(raw, timezone.utc)
    if not isinstance(raw, str) or len(raw) > 64:
        raise ValueError("not a date and time")
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
