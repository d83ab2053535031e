"""Mapping files: valid ones load, invalid ones name the file, the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from churnguard.errors import MappingError
from churnguard.ingest.mapping import load_mapping

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "public-data"

GOOD_EVENTS = """
kind = "events"
source = "crm"
[fields]
account_id = "Account"
type = { value = "login" }
occurred_at = { column = "When", date_format = "%Y-%m-%d %H:%M" }
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "map.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_mapping_loads_fields_and_format(tmp_path: Path) -> None:
    mapping = load_mapping(write(tmp_path, GOOD_EVENTS), "events")

    assert mapping.kind == "events"
    assert mapping.source == "crm"
    assert mapping.fields["account_id"].column == "Account"
    assert mapping.fields["type"].value == "login"
    assert mapping.format.type == "csv"
    assert mapping.source_columns == {"Account", "When"}


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.toml")))
def test_example_mappings_load(name: str) -> None:
    mapping = load_mapping(EXAMPLES / name)
    assert mapping.fields


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('kind = "widgets"\n[fields]\nid = "x"\n', "'kind'"),
        ('kind = "accounts"\n[fields]\nname = "Name"\n', "'fields.id'"),
        ('kind = "accounts"\n[fields]\nid = "Id"\nshoe_size = "S"\n', "'fields.shoe_size'"),
        ('kind = "accounts"\n[fields]\nid = { column = "Id", value = "x" }\n', "'fields.id'"),
        ('kind = "accounts"\n[fields]\nid = { column = "Id", multiply = "ten" }\n', "'fields.id.multiply'"),
        ('kind = "accounts"\n[fields]\nid = { column = "Id", colour = 1 }\n', "'fields.id.colour'"),
        ('kind = "accounts"\n[fields]\nid = { template = "cust-{}" }\n', "'fields.id.template'"),
        ('kind = "accounts"\n[format]\nheader = false\n[fields]\nid = "Id"\n', "'format.columns'"),
        ('kind = "accounts"\n[format]\ntype = "xlsx"\n[fields]\nid = "Id"\n', "'format.type'"),
        ('kind = "accounts"\n[format]\ndelimiter = ";;"\n[fields]\nid = "Id"\n', "'format.delimiter'"),
        ('kind = "accounts"\n[format]\nencoding = "klingon"\n[fields]\nid = "Id"\n', "'format.encoding'"),
        ('kind = "events"\n[fields]\naccount_id = "A"\ntype = "T"\noccurred_at = "W"\n', "'source'"),
        ('kind = "accounts"\n[fieldz]\nid = "Id"\n', "'fieldz'"),
    ],
)
def test_invalid_mapping_names_file_and_key(tmp_path: Path, text: str, key: str) -> None:
    path = write(tmp_path, text)

    with pytest.raises(MappingError) as caught:
        load_mapping(path)

    assert str(path) in str(caught.value)
    assert key in str(caught.value)
    assert "; " in str(caught.value)


def test_mapping_kind_must_match_command(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="this command imports accounts"):
        load_mapping(write(tmp_path, GOOD_EVENTS), "accounts")


def test_mapping_not_toml(tmp_path: Path) -> None:
    path = write(tmp_path, "kind = = 'x'")
    with pytest.raises(MappingError, match="not valid TOML"):
        load_mapping(path)


def test_mapping_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="not found"):
        load_mapping(tmp_path / "absent.toml")
