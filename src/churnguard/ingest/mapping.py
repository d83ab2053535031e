"""Column-mapping files: which source column fills which churnguard field, and how.

A mapping file is TOML::

    kind = "events"                  # accounts, contacts or events
    source = "cdnow"                 # events only: names the source in event ids

    [format]
    type = "whitespace"              # csv (default), whitespace or jsonl
    header = false                   # csv and whitespace: is the first line a header?
    columns = ["master_id", "sample_id", "date", "cds", "dollar_value"]

    [fields]
    account_id = { template = "cdnow-{master_id}" }
    type = { value = "purchase" }
    occurred_at = { column = "date", date_format = "%Y%m%d" }
    quantity = { column = "cds" }

    [properties]                     # events: extra columns kept in properties
    dollar_value = { column = "dollar_value", multiply = 100, integer = true }

Each field takes exactly one of ``column``, ``template`` or ``value``, then the optional
transforms ``values`` (a lookup table, e.g. boolean words), ``default`` (for empty cells),
``date_format``, ``multiply`` and ``integer``. Accounts keep extra columns in ``[attributes]``.
"""

from __future__ import annotations

import math
import string
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn

from churnguard.errors import MappingError

FIELDS: dict[str, dict[str, str]] = {
    "accounts": {
        "id": "text", "name": "text", "plan": "text", "mrr_cents": "int", "currency": "currency",
        "renewal_date": "date", "status": "text", "payment_status": "text",
        "billing_customer_id": "text",
    },
    "contacts": {
        "account_id": "text", "email": "email", "name": "text", "title": "text", "is_main": "bool",
        "timezone": "timezone", "language": "text",
    },
    "events": {
        "id": "text", "account_id": "text", "type": "text", "occurred_at": "datetime", "quantity": "float",
    },
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "accounts": ("id",),
    "contacts": ("account_id", "email"),
    "events": ("account_id", "type", "occurred_at"),
}
EXTRA_TABLE = {"accounts": "attributes", "events": "properties"}
FORMATS = ("csv", "whitespace", "jsonl")
MAX_FACTOR = 1e9
SCALARS = (str, int, float, bool, date, datetime)
_SPEC_KEYS = {"column", "template", "value", "values", "default", "date_format", "multiply", "integer"}


@dataclass(frozen=True)
class FieldSpec:
    """How one target field is filled from a source row."""

    name: str
    column: str | None = None
    template: str | None = None
    value: Any = None
    values: dict[str, Any] | None = None
    default: Any = None
    date_format: str | None = None
    multiply: float | None = None
    integer: bool = False

    @property
    def columns(self) -> list[str]:
        """Source columns this field reads."""
        if self.column is not None:
            return [self.column]
        if self.template is not None:
            return [name for _, name, _, _ in string.Formatter().parse(self.template) if name]
        return []


@dataclass(frozen=True)
class FileFormat:
    type: str = "csv"
    delimiter: str = ","
    header: bool = True
    columns: tuple[str, ...] = ()
    encoding: str = "utf-8"


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping file."""

    path: Path
    kind: str
    format: FileFormat
    fields: dict[str, FieldSpec]
    extras: dict[str, FieldSpec] = field(default_factory=dict)
    source: str = ""

    @property
    def source_columns(self) -> set[str]:
        """Every source column some field or extra reads."""
        specs = [*self.fields.values(), *self.extras.values()]
        return {column for spec in specs for column in spec.columns}


def load_mapping(path: Path | str, kind: str | None = None) -> Mapping:
    """Read and check a mapping file; ``kind``, when given, must match the file's ``kind``."""
    path = Path(path)
    table = _read_toml(path)

    file_kind = table.get("kind", kind)
    if not isinstance(file_kind, str) or file_kind not in FIELDS:
        _fail(path, "kind", f"must be one of {', '.join(FIELDS)}", "set kind = \"accounts\", \"contacts\" or \"events\"")
    if kind is not None and file_kind != kind:
        _fail(path, "kind", f"is {file_kind!r} but this command imports {kind}", f"use a mapping with kind = \"{kind}\"")

    unknown = set(table) - {"kind", "source", "format", "fields", EXTRA_TABLE.get(file_kind, "")}
    if unknown:
        _fail(path, sorted(unknown)[0], "is not a known table or key", "remove it or check its spelling")

    fields = _parse_fields(path, file_kind, table.get("fields"))
    extras_name = EXTRA_TABLE.get(file_kind)
    extras = _parse_specs(path, extras_name, table.get(extras_name, {})) if extras_name else {}
    source = _parse_source(path, file_kind, table.get("source", ""))
    mapping = Mapping(path, file_kind, _parse_format(path, table.get("format", {})), fields, extras, source)

    from churnguard.ingest.convert import check_constants  # convert reads this module's tables

    check_constants(mapping)
    return mapping


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(f"mapping file {path} not found; check the --mapping path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(f"mapping file {path} could not be read ({type(exc).__name__}); save it as UTF-8 TOML") from None
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"mapping file {path} is not valid TOML: {exc}") from None


def _parse_fields(path: Path, kind: str, table: Any) -> dict[str, FieldSpec]:
    if not isinstance(table, dict):
        _fail(path, "fields", "is missing or not a table", "add a [fields] table that maps each field")

    unknown = set(table) - set(FIELDS[kind])
    if unknown:
        name = sorted(unknown)[0]
        _fail(path, f"fields.{name}", f"is not a {kind} field", f"use one of {', '.join(FIELDS[kind])}")

    specs = _parse_specs(path, "fields", table)
    for name in REQUIRED[kind]:
        if name not in specs:
            _fail(path, f"fields.{name}", "is required but missing", f"add fields.{name} = {{ column = \"...\" }}")
    return specs


def _parse_specs(path: Path, table_name: str, table: Any) -> dict[str, FieldSpec]:
    if not isinstance(table, dict):
        _fail(path, table_name, "is not a table", f"write [{table_name}] with one entry per field")
    return {name: _parse_spec(path, f"{table_name}.{name}", name, spec) for name, spec in table.items()}


def _parse_spec(path: Path, key: str, name: str, spec: Any) -> FieldSpec:
    if isinstance(spec, str):
        spec = {"column": spec}
    if not isinstance(spec, dict):
        _fail(path, key, "must be a column name or a table", f"write {key} = {{ column = \"...\" }}")

    unknown = set(spec) - _SPEC_KEYS
    if unknown:
        _fail(path, f"{key}.{sorted(unknown)[0]}", "is not a known option", f"use {', '.join(sorted(_SPEC_KEYS))}")
    sources = [option for option in ("column", "template", "value") if option in spec]
    if len(sources) != 1:
        _fail(path, key, "needs exactly one of column, template or value", "keep one of them")

    _check_types(path, key, spec)
    return FieldSpec(
        name=name,
        column=spec.get("column"),
        template=spec.get("template"),
        value=spec.get("value"),
        values=spec.get("values"),
        default=spec.get("default"),
        date_format=spec.get("date_format"),
        multiply=spec.get("multiply"),
        integer=bool(spec.get("integer", False)),
    )


def _check_types(path: Path, key: str, spec: dict[str, Any]) -> None:
    for option in ("column", "template", "date_format"):
        if option in spec and not (isinstance(spec[option], str) and spec[option]):
            _fail(path, f"{key}.{option}", "must be a non-empty string", "quote the value")
    if "values" in spec and not isinstance(spec["values"], dict):
        _fail(path, f"{key}.values", "must be a table of source word = value", "write values = { Yes = true, No = false }")
    if "multiply" in spec and not _sane_factor(spec["multiply"]):
        _fail(path, f"{key}.multiply", f"must be a number between -{MAX_FACTOR:g} and {MAX_FACTOR:g}",
              "write multiply = 100 to turn dollars into cents")
    for option in ("value", "default"):
        if option in spec and not isinstance(spec[option], SCALARS):
            _fail(path, f"{key}.{option}", "must be a single value, not a table or a list", "write a string, number or date")
    if "integer" in spec and not isinstance(spec["integer"], bool):
        _fail(path, f"{key}.integer", "must be true or false", "write integer = true")
    if "template" in spec:
        _check_template(path, f"{key}.template", spec["template"])


def _sane_factor(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return math.isfinite(value) and abs(value) <= MAX_FACTOR


def _check_template(path: Path, key: str, template: str) -> None:
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        _fail(path, key, f"is not a valid template ({exc})", "write column names in braces, e.g. \"customer-{id}\"")
    if any(name == "" or (name is not None and not name.strip()) for _, name, _, _ in parts):
        _fail(path, key, "has an empty {} placeholder", "put a column name inside each pair of braces")
    # A format spec such as {name:>999999999} would build a huge string for every row.
    if any(spec or conversion for _, name, spec, conversion in parts if name is not None):
        _fail(path, key, "has a format spec or conversion (':' or '!') in a placeholder", "write plain {column} placeholders")


def _parse_format(path: Path, table: Any) -> FileFormat:
    if not isinstance(table, dict):
        _fail(path, "format", "is not a table", "write [format] with type = \"csv\"")
    unknown = set(table) - {"type", "delimiter", "header", "columns", "encoding"}
    if unknown:
        _fail(path, f"format.{sorted(unknown)[0]}", "is not a known option", "use type, delimiter, header, columns or encoding")

    file_format = FileFormat(
        type=table.get("type", "csv"),
        delimiter=table.get("delimiter", ","),
        header=table.get("header", True),
        columns=_columns(path, table.get("columns", [])),
        encoding=table.get("encoding", "utf-8"),
    )
    _check_format(path, file_format)
    return file_format


def _columns(path: Path, columns: Any) -> tuple[str, ...]:
    if not isinstance(columns, list):
        _fail(path, "format.columns", "must be a list of non-empty names", "write columns = [\"id\", \"name\"]")
    return tuple(columns)


def _check_format(path: Path, file_format: FileFormat) -> None:
    if not isinstance(file_format.type, str) or file_format.type not in FORMATS:
        _fail(path, "format.type", f"must be one of {', '.join(FORMATS)}", "write type = \"csv\"")
    if not isinstance(file_format.delimiter, str) or len(file_format.delimiter) != 1:
        _fail(path, "format.delimiter", "must be one character", "write delimiter = \";\" for example")
    if not isinstance(file_format.header, bool):
        _fail(path, "format.header", "must be true or false", "write header = false and list the columns")
    if file_format.type != "jsonl" and not file_format.header and not file_format.columns:
        _fail(path, "format.columns", "is required when header = false", "list the column names in file order")
    if not all(isinstance(name, str) and name for name in file_format.columns):
        _fail(path, "format.columns", "must be a list of non-empty names", "write columns = [\"id\", \"name\"]")
    try:
        "".encode(file_format.encoding)
    except (LookupError, TypeError):
        _fail(path, "format.encoding", "is not a known text encoding", "write encoding = \"utf-8\"")


def _parse_source(path: Path, kind: str, source: Any) -> str:
    if kind == "events" and not (isinstance(source, str) and source.strip()):
        _fail(path, "source", "is required for events", "set source = \"crm\" (a short name for where the events come from)")
    if not isinstance(source, str) or ":" in source:
        _fail(path, "source", "must be a short name without ':'", "write source = \"crm\"")
    return source.strip()


def fail(path: Path, key: str, problem: str, fix: str) -> NoReturn:
    """Raise the MappingError for ``key`` of the mapping file at ``path``."""
    _fail(path, key, problem, fix)


def _fail(path: Path, key: str, problem: str, fix: str) -> NoReturn:
    raise MappingError(f"mapping file {path}: '{key}' {problem}; {fix}")
