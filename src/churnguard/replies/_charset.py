"""Turn bytes of unknown or wrongly declared charset into text.

Mail in the wild declares charsets Python does not know, declares none at all, or declares
one and sends another. These helpers never raise: the last fallback is latin-1, which maps
every byte to a character.
"""

from __future__ import annotations

import codecs
import re
from email.header import decode_header

# Charset labels that mean "no idea" in practice.
_MEANINGLESS = {"unknown-8bit", "x-unknown", "unknown", "default", "8bit", "none"}

# Two or more bytes >= 0x80 in a row: the shape of a double-byte CJK encoding.
_HIGH_RUN = re.compile(rb"[\x80-\xff]+")


def known_codec(label: str | None) -> str | None:
    """Return the Python codec name for a charset label, or None when Python lacks it."""
    if not label:
        return None
    cleaned = label.strip().strip('"').lower()
    if cleaned in _MEANINGLESS:
        return None
    try:
        return codecs.lookup(cleaned).name
    except LookupError:
        return None


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Decode ``data`` with the declared charset when it fits, else by guessing."""
    codec = known_codec(declared)
    if codec is not None:
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            pass
    return guess_decode(data)


def guess_decode(data: bytes) -> str:
    """Decode bytes whose charset is not declared (or was wrong)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass

    if b"\x1b$" in data or b"\x1b(" in data:
        for codec in ("iso-2022-jp", "iso-2022-kr"):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                continue

    if _looks_double_byte(data):
        for codec in ("big5", "gb18030", "shift_jis", "euc-jp", "euc-kr"):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                continue

    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _looks_double_byte(data: bytes) -> bool:
    """Most 8-bit runs are of even length and there are many of them."""
    runs = _HIGH_RUN.findall(data)
    if len(runs) < 2:
        return False
    even = sum(1 for run in runs if len(run) % 2 == 0)
    long_runs = sum(1 for run in runs if len(run) >= 4)
    return even / len(runs) > 0.8 and long_runs > 0


def header_to_text(value: object) -> str:
    """Decode a header value: RFC 2047 encoded words and raw 8-bit bytes alike."""
    if value is None:
        return ""
    text = str(value)
    try:
        parts = decode_header(text)
    except Exception:  # NOTE: a malformed encoded word; keep the raw text.
        parts = [(text, None)]

    pieces: list[str] = []
    for chunk, charset in parts:
        if isinstance(chunk, bytes):
            pieces.append(decode_bytes(chunk, charset))
        else:
            pieces.append(_undo_surrogates(chunk))
    return " ".join("".join(pieces).split())


def _undo_surrogates(text: str) -> str:
    """Raw 8-bit header bytes arrive as surrogate escapes; decode them properly."""
    try:
        text.encode("ascii")
        return text
    except UnicodeEncodeError:
        pass
    try:
        return guess_decode(text.encode("ascii", "surrogateescape"))
    except UnicodeEncodeError:
        return text
