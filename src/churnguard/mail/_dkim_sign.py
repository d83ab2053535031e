"""DKIM signing (RFC 6376, RFC 8463) with relaxed/relaxed canonicalization, through OpenSSL.

dkimpy computes RSA in pure Python, which is slow; here the hashes and signatures come from
``cryptography`` and only the canonicalization is Python. The header is laid out the way
dkimpy lays out its own, and the tests verify every signature with dkimpy and OpenDKIM.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

_WSP_RUN = re.compile(rb"[ \t]+")
_FOLD = re.compile(rb"\r?\n(?=[ \t])")
_LINE_WIDTH = 76


def split_message(raw: bytes) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """Split ``raw`` into (name, whole header field) pairs and the body, accepting LF or CRLF."""
    text = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    head, sep, body = text.partition(b"\r\n\r\n")
    if not sep:
        head, body = text, b""
    fields: list[tuple[bytes, bytes]] = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and fields:
            name, value = fields[-1]
            fields[-1] = (name, value + b"\r\n" + line)
        elif line:
            fields.append((line.split(b":", 1)[0].strip(), line))
    return fields, body


def relaxed_header(field: bytes) -> bytes:
    """Canonicalize one header field (name:value, no CRLF) the relaxed way of RFC 6376 3.4.2."""
    name, _, value = field.partition(b":")
    value = _WSP_RUN.sub(b" ", _FOLD.sub(b"", value)).strip(b" ")
    return name.strip().lower() + b":" + value


def relaxed_body(body: bytes) -> bytes:
    """Canonicalize a CRLF body the relaxed way of RFC 6376 3.4.4."""
    lines = [_WSP_RUN.sub(b" ", line).rstrip(b" ") for line in body.split(b"\r\n")]
    while lines and lines[-1] == b"":
        lines.pop()
    return b"".join(line + b"\r\n" for line in lines)


def pick_headers(fields: list[tuple[bytes, bytes]], names: Sequence[str]) -> list[bytes]:
    """Return the canonical fields ``h=`` selects: each name takes the next instance from the bottom.

    A name with no instance left contributes nothing, which signs its absence (oversigning).
    """
    used: dict[bytes, int] = {}
    chosen: list[bytes] = []
    for name in names:
        key = name.lower().encode("ascii")
        instances = [f for n, f in fields if n.lower() == key]
        taken = used.get(key, 0)
        if taken < len(instances):
            chosen.append(relaxed_header(instances[len(instances) - 1 - taken]) + b"\r\n")
        used[key] = taken + 1
    return chosen


def signature_field(algorithm: str, domain: str, selector: str, timestamp: int,
                    names: Sequence[str], body_hash: bytes) -> bytes:
    """Lay out a DKIM-Signature field with an empty ``b=``, folded below 78 columns."""
    tags = [f"v=1;", f"a={algorithm};", "c=relaxed/relaxed;", f"d={domain};", f"i=@{domain};",
            "q=dns/txt;", f"s={selector};", f"t={timestamp};"]
    tags += _fold_list("h=", [n.lower() for n in names], ":", ";")
    tags.append("bh=" + base64.b64encode(body_hash).decode("ascii") + ";")
    # b= starts its own line, so the signature's folded lines all have the same width.
    return (_fold_words("DKIM-Signature:", tags) + "\r\n b=").encode("ascii")


def sign_field(field: bytes, chosen: list[bytes], private: object) -> bytes:
    """Sign the chosen headers plus ``field`` and return ``field`` with ``b=`` filled in."""
    data = b"".join(chosen) + relaxed_header(field)
    if isinstance(private, rsa.RSAPrivateKey):
        signature = private.sign(data, padding.PKCS1v15(), hashes.SHA256())
    elif isinstance(private, ed25519.Ed25519PrivateKey):
        signature = private.sign(hashlib.sha256(data).digest())  # RFC 8463 signs the SHA-256 digest
    else:
        raise ValueError("only RSA and Ed25519 keys can sign DKIM")
    encoded = base64.b64encode(signature).decode("ascii")
    chunks = [encoded[i:i + 70] for i in range(0, len(encoded), 70)]
    return field + "\r\n ".join(chunks).encode("ascii") + b"\r\n"


def _fold_list(prefix: str, items: list[str], joiner: str, end: str) -> list[str]:
    # Folding is only allowed next to the colons of h=, so every item stays whole.
    words = [f"{prefix}{items[0]}"] + [f"{joiner}{item}" for item in items[1:]]
    words[-1] += end
    return words


def _fold_words(start: str, words: list[str]) -> str:
    lines = [start]
    for word in words:
        glue = "" if word.startswith(":") else " "
        if len(lines[-1]) + len(glue) + len(word) > _LINE_WIDTH:
            lines.append(" " + word)
        else:
            lines[-1] += glue + word
    return "\r\n".join(lines)
