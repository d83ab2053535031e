"""Turn bytes of unknown or wrongly declared charset into text.

Mail in the wild declares charsets Python does not know, declares none at all, or declares
one and sends another. These helpers never raise: the last fallback is latin-1, which maps
every byte to a character.
"""

from __future__ import annotations

import codecs
import re
from email.header import Header, decode_header

# Charset labels that mean "no idea" in practice.
_MEANINGLESS = {"unknown-8bit", "x-unknown", "unknown", "default", "8bit", "none"}

# Runs of bytes >= 0x80; dense ones are the shape of a double-byte CJK encoding.
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
    if b"\x1b$" in data or b"\x1b(" in data:  # ISO-2022 escapes are 7-bit, so test first
        for codec in ("iso-2022-jp", "iso-2022-kr"):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                continue

    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass

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
    """Tell whether bytes >= 0x80 make up much of the text, as in Big5 or GB18030."""
    high = sum(len(run) for run in _HIGH_RUN.findall(data))
    visible = len(data.replace(b" ", b"").replace(b"\n", b"").replace(b"\r", b""))
    # NOTE: a guessed threshold. European text in an 8-bit charset stays far below it.
    return visible > 0 and high / visible > 0.3


def header_source(value: object) -> str:
    """Return a header value as text with raw 8-bit bytes decoded and encoded words intact.

    The stdlib parser wraps headers that contain raw 8-bit bytes in a ``Header`` whose
    ``str()`` replaces those bytes, so the bytes are recovered and decoded here instead.
    """
    if value is None:
        return ""
    if isinstance(value, Header):
        return "".join(
            decode_bytes(chunk, None) if isinstance(chunk, bytes) else chunk
            for chunk, _ in decode_header(value)
        )
    return str(value)


def header_to_text(value: object) -> str:
    """Decode a header value: RFC 2047 encoded words and raw 8-bit bytes alike."""
    if value is None:
        return ""
    text = header_source(value)
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
