"""Read and write labeled reply corpora.

Two layouts are read:

- a corpus file, one per language (``en.txt``), where each record starts with a header line
  ``@@ LABEL [TAG,TAG]`` and the reply text follows on the next lines, up to the next header;
- an evaluation folder: one ``.txt`` or ``.eml`` file per reply and a ``labels.csv`` with the
  columns ``file`` and ``label`` (``lang`` and ``tags`` are optional).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from churnguard.errors import InputError

HEADER = "@@ "
LABELS_COLUMNS = ("file", "label", "lang", "tags")


@dataclass(frozen=True)
class LabeledReply:
    text: str
    label: str
    lang: str = ""
    tags: tuple[str, ...] = ()
    source: str = field(default="", compare=False)


def read_corpus_file(path: Path) -> list[LabeledReply]:
    """Read one ``@@``-format corpus file; the language is the file's stem (``de.txt`` → de)."""
    records: list[LabeledReply] = []
    label, tags, lines, start = "", (), [], 0

    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith(HEADER):
            _close(records, path, label, tags, lines, start)
            label, tags, lines, start = *_header(path, number, line), [], number
        elif label:
            lines.append(line)
        elif line.strip():
            raise InputError(f"{path}:{number}: text before the first '@@ LABEL' header")
    _close(records, path, label, tags, lines, start)
    return records


def read_corpus(folder: Path) -> list[LabeledReply]:
    """Read every ``*.txt`` corpus file in ``folder``, in name order."""
    files = sorted(folder.glob("*.txt"))
    if not files:
        raise InputError(f"no corpus files (*.txt) in {folder}")
    return [record for path in files for record in read_corpus_file(path)]


def _header(path: Path, number: int, line: str) -> tuple[str, tuple[str, ...]]:
    parts = line[len(HEADER):].split()
    if not parts or len(parts) > 2:
        raise InputError(f"{path}:{number}: expected '@@ LABEL [TAG,TAG]', got {line!r}")
    tags = tuple(tag for tag in parts[1].split(",") if tag) if len(parts) == 2 else ()
    return parts[0], tags


def _close(records: list[LabeledReply], path: Path, label: str, tags: tuple[str, ...],
           lines: list[str], start: int) -> None:
    if not label:
        return
    text = "\n".join(lines).strip()
    if not text:
        raise InputError(f"{path}:{start}: record has no text")
    records.append(LabeledReply(text, label, path.stem, tags, f"{path.name}:{start}"))


def read_labels(path: Path) -> list[dict[str, str]]:
    """Read ``labels.csv``; each row needs a file name and a label."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except FileNotFoundError:
        raise InputError(f"labels file {path} not found") from None

    for number, row in enumerate(rows, start=2):
        if not (row.get("file") or "").strip() or not (row.get("label") or "").strip():
            raise InputError(f"{path}:{number}: each row needs 'file' and 'label' columns")
    return rows


def write_eval_folder(records: list[LabeledReply], folder: Path) -> Path:
    """Write one ``LANG-NNN.txt`` per record and a ``labels.csv``; return the labels path."""
    folder.mkdir(parents=True, exist_ok=True)
    counters: dict[str, int] = {}
    rows = []
    for record in records:
        counters[record.lang] = counters.get(record.lang, 0) + 1
        name = f"{record.lang or 'xx'}-{counters[record.lang]:03d}.txt"
        (folder / name).write_text(record.text + "\n", encoding="utf-8")
        rows.append({"file": name, "label": record.label, "lang": record.lang, "tags": ",".join(record.tags)})

    labels = folder / "labels.csv"
    with labels.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=LABELS_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return labels
