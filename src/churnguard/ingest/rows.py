"""Read CSV, whitespace-separated and JSON Lines files into numbered rows."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from churnguard.ingest.mapping import Mapping
from churnguard.ingest.report import ImportFileError


@dataclass(frozen=True)
class SourceRow:
    """One record of a source file; ``values`` is None when the line itself is malformed."""

    line: int
    values: dict[str, Any] | None
    problem: str = ""


def read_rows(path: Path, mapping: Mapping) -> Iterator[SourceRow]:
    """Yield the file's records with their line numbers.

    The whole file is decoded before the first record is yielded, so a wrong encoding fails
    the import before anything is written.
    """
    text = _read_text(path, mapping.format.encoding)
    if mapping.format.type == "jsonl":
        return _jsonl_rows(text)

    lines = text.splitlines()
    header, first = _header(path, mapping, lines)
    _check_columns(path, mapping, header)
    if mapping.format.type == "whitespace":
        return _whitespace_rows(lines, header, first)
    return _csv_rows(text, mapping.format.delimiter, header, first)


def _read_text(path: Path, encoding: str) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImportFileError(f"import file {path} not found; check the path") from None
    except OSError as exc:
        raise ImportFileError(f"import file {path} could not be read: {exc.strerror}; check its permissions") from None

    try:
        return data.decode(encoding).removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"import file {path} is not valid {encoding} (byte {exc.start}); "
            "set format.encoding in the mapping file or re-save the file as UTF-8"
        ) from None


def _header(path: Path, mapping: Mapping, lines: list[str]) -> tuple[list[str], int]:
    """Return the column names and the index of the first data line."""
    if not mapping.format.header:
        return list(mapping.format.columns), 0
    if not lines:
        raise ImportFileError(f"import file {path} is empty; a header line was expected")

    if mapping.format.type == "whitespace":
        return lines[0].split(), 1
    return next(csv.reader([lines[0]], delimiter=mapping.format.delimiter)), 1


def _check_columns(path: Path, mapping: Mapping, header: list[str]) -> None:
    missing = sorted(mapping.source_columns - set(header))
    if missing:
        raise ImportFileError(
            f"import file {path} has no column '{missing[0]}' that mapping {mapping.path.name} reads; "
            "fix the column name in the mapping or the file's header"
        )


def _whitespace_rows(lines: list[str], header: list[str], first: int) -> Iterator[SourceRow]:
    for index in range(first, len(lines)):
        cells = lines[index].split()
        if not cells:
            continue
        if len(cells) != len(header):
            yield SourceRow(index + 1, None, f"line {index + 1} has {len(cells)} fields, expected {len(header)}")
            continue
        yield SourceRow(index + 1, dict(zip(header, cells)))


def _csv_rows(text: str, delimiter: str, header: list[str], first: int) -> Iterator[SourceRow]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 0
    for cells in reader:
        start, line = line + 1, reader.line_num
        if start <= first or not cells or cells == [""]:
            continue
        if len(cells) != len(header):
            yield SourceRow(start, None, f"line {start} has {len(cells)} fields, expected {len(header)}")
            continue
        yield SourceRow(start, dict(zip(header, cells)))


def _jsonl_rows(text: str) -> Iterator[SourceRow]:
    for index, raw in enumerate(text.splitlines()):
        if not raw.strip():
            continue
        try:
            values = json.loads(raw)
        except json.JSONDecodeError:
            yield SourceRow(index + 1, None, f"line {index + 1} is not valid JSON")
            continue
        if not isinstance(values, dict):
            yield SourceRow(index + 1, None, f"line {index + 1} is not a JSON object")
            continue
        yield SourceRow(index + 1, values)
