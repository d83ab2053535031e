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

    if mapping.format.type == "whitespace":
        lines = text.splitlines()
        header, first = _header(path, mapping, (lines[0].split(), 1) if lines else None)
        _check_columns(path, mapping, header)
        return _whitespace_rows(lines, header, first)

    records = _csv_records(text, mapping.format.delimiter)
    header, first = _header(path, mapping, _csv_header(path, records) if mapping.format.header else None)
    _check_columns(path, mapping, header)
    return _csv_rows(records, header, first)
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


def _header(path: Path, mapping: Mapping, first_line: tuple[list[str], int] | None) -> tuple[list[str], int]:
    """Return the column names and the number of the last header line (0 without a header)."""
    if not mapping.format.header:
        return list(mapping.format.columns), 0
    if first_line is None:
        raise ImportFileError(f"import file {path} is empty; a header line was expected")
    return first_line[0], first_line[1]


def _csv_header(path: Path, records: Iterator[_CsvRecord]) -> tuple[list[str], int] | None:
    # The header is read by the same reader as the rows, so a quoted newline in it is one cell.
    for record in records:
        if record.cells is None:
            raise ImportFileError(f"import file {path} has an unreadable header line ({record.problem}); fix the header")
        return record.cells, record.end
    return None


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


@dataclass(frozen=True)
class _CsvRecord:
    """One CSV record and the physical lines it spans; ``cells`` is None when it is unreadable."""

    start: int
    end: int
    cells: list[str] | None
    problem: str = ""


def _csv_records(text: str, delimiter: str) -> Iterator[_CsvRecord]:
    """Read CSV records, turning a record the csv module refuses into a problem for its lines.

    The csv module drops the rest of a record after an error and reads on from the next line,
    so one oversized cell costs only its own row.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    end = 0
    while True:
        start = end + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            end = reader.line_num
            yield _CsvRecord(start, end, None, _csv_problem(exc, start, end))
            continue
        end = reader.line_num
        yield _CsvRecord(start, end, cells)


def _csv_problem(exc: csv.Error, start: int, end: int) -> str:
    where = f"line {start}" if start == end else f"lines {start}-{end}"
    if "field limit" in str(exc):
        return f"{where} has a cell larger than {csv.field_size_limit()} characters, the most a cell may hold"
    return f"{where} is not valid CSV ({exc})"


def _csv_rows(records: Iterator[_CsvRecord], header: list[str], first: int) -> Iterator[SourceRow]:
    for record in records:
        cells, start = record.cells, record.start
        if record.start <= first or cells == [] or cells == [""]:
            continue
        if cells is None:
            yield SourceRow(start, None, record.problem)
            continue
        if len(cells) != len(header):
            yield SourceRow(start, None, _field_count_problem(record, len(header)))
            continue
        yield SourceRow(start, dict(zip(header, cells)))


def _field_count_problem(record: _CsvRecord, expected: int) -> str:
    count = len(record.cells or [])
    if record.end > record.start and any("\n" in cell or "\r" in cell for cell in record.cells or []):
        # A quote that never closes runs on through later lines, which vanish unless named here.
        swallowed = f"line {record.end}" if record.end == record.start + 1 else f"lines {record.start + 1}-{record.end}"
        return (f"a quote opened on line {record.start} is not closed, so {swallowed} "
                f"were read into it ({count} fields, expected {expected})")
    return f"line {record.start} has {count} fields, expected {expected}"


def _jsonl_rows(text: str) -> Iterator[SourceRow]:
    for index, raw in enumerate(text.splitlines()):
        if not raw.strip():
            continue
        try:
            values = json.loads(raw)
        except (ValueError, RecursionError):
            # ValueError covers a number too long to convert; RecursionError absurd nesting.
            yield SourceRow(index + 1, None, f"line {index + 1} is not valid JSON or nests too deeply")
            continue
        if not isinstance(values, dict):
            yield SourceRow(index + 1, None, f"line {index + 1} is not a JSON object")
            continue
        yield SourceRow(index + 1, values)
