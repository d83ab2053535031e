"""Keep only what the sender wrote: drop quoted mail, forwarded parts and signatures.

The stripper works on lines. It looks for the first quote header (an "On ... wrote:" line in
any of the supported languages, an Outlook From/Sent/To/Subject block, an "Original Message"
separator or a forward marker) and cuts there when the sender wrote something above it. A
quote header at the very top (bottom posting, inline replies) is dropped on its own, and the
sender's lines below it are kept. Lines quoted with ``>`` are removed everywhere.
"""

from __future__ import annotations

import re

from churnguard.replies import _patterns as p

_MAX_HEADER_LINES = 4
_MAX_HEADER_CHARS = 300
_MAX_SIGNATURE_LINES = 8


def strip_reply(text: str) -> str:
    """Return the visible reply in ``text``: no quotes, forwards or signature."""
    lines = _normalize(text)
    lines = _drop_banners(lines)
    lines = _cut_at_quote(lines)
    lines = [line for line in lines if not _is_quoted(line)]
    lines = _cut_signature(lines)
    return _tidy(lines)


def _normalize(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\xa0", " ").replace("\ufeff", "").replace("\u200b", "")
    return [line.rstrip() for line in text.split("\n")]


def _drop_banners(lines: list[str]) -> list[str]:
    """Remove gateway banners ("CAUTION: This email originated outside ...") at the top."""
    cleaned = list(lines)
    for index, line in enumerate(lines[:5]):
        if p.BANNER.match(line.strip()):
            cleaned[index] = ""
    return cleaned


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _cut_at_quote(lines: list[str]) -> list[str]:
    kept: list[str] = []
    index = 0
    while index < len(lines):
        span = quote_header_span(lines, index)
        if span == 0:
            kept.append(lines[index])
            index += 1
            continue
        if _has_content(kept) and not _answered_inline(kept, lines, index, span):
            return kept
        index += span
    return kept


def _answered_inline(kept: list[str], lines: list[str], index: int, span: int) -> bool:
    """Tell whether a ``>`` quote right after a one-line greeting is answered below it.

    Then only the attribution is dropped here, and the quoted lines are removed one by one
    later. After a longer top-posted reply, whatever follows the quote is older mail.
    """
    if sum(1 for line in kept if line.strip()) > 1:
        return False
    first = lines[index].strip()
    if p.SEPARATOR.match(first) or p.FORWARD_MARKER.match(first) or p.BLOCK_FROM.match(first):
        return False
    return _next_text_is_quoted(lines, index + span)


def _has_content(lines: list[str]) -> bool:
    return any(line.strip() and not _is_quoted(line) for line in lines)


def quote_header_span(lines: list[str], index: int) -> int:
    """Count the lines of the quote header that starts at ``index`` (0 when none starts there)."""
    line = lines[index].strip()
    if not line or _is_quoted(line):
        return 0
    if p.SEPARATOR.match(line) or p.FORWARD_MARKER.match(line):
        return 1
    block = _header_block_span(lines, index)
    if block:
        return block
    return _attribution_span(lines, index)


def _header_block_span(lines: list[str], index: int) -> int:
    """Measure an Outlook-style block: a From line followed closely by Sent/To/Subject lines."""
    if not p.BLOCK_FROM.match(lines[index].strip()):
        return 0
    keys = 1
    end = index + 1
    for offset in range(index + 1, min(index + 8, len(lines))):
        candidate = lines[offset].strip()
        if p.BLOCK_FIELD.match(candidate):
            keys += 1
            end = offset + 1
        elif not candidate and keys > 1:
            break
    return end - index if keys >= 2 else 0


def _attribution_span(lines: list[str], index: int) -> int:
    """Measure an "On <date>, <name> wrote:" header, which may wrap over up to four lines."""
    first = lines[index].strip()
    for count in range(1, _MAX_HEADER_LINES + 1):
        window = lines[index:index + count]
        if len(window) < count or (count > 1 and not window[-1].strip()):
            return 0
        if count > 1 and not _can_start_wrapped_header(first):
            return 0
        joined = " ".join(part.strip() for part in window)
        if len(joined) > _MAX_HEADER_CHARS:
            return 0
        if _is_attribution(joined, lines, index + count):
            return count
    return 0


def _can_start_wrapped_header(first: str) -> bool:
    if first.endswith((".", "!", "?")):
        return False
    return bool(p.ATTRIBUTION_OPENER.match(first) or re.search(r"\d|@", first))


def _is_attribution(joined: str, lines: list[str], after: int) -> bool:
    if p.ATTRIBUTION_STRICT.match(joined):
        return True
    ends_like_header = joined.endswith((":", "："))
    has_marker = bool(re.search(r"\d|@", joined))
    if ends_like_header and has_marker and p.ATTRIBUTION_VERB.search(joined):
        return True
    return ends_like_header and has_marker and _next_text_is_quoted(lines, after)


def _next_text_is_quoted(lines: list[str], start: int) -> bool:
    for line in lines[start:start + 3]:
        if line.strip():
            return _is_quoted(line)
    return False


def _cut_signature(lines: list[str]) -> list[str]:
    for index, line in enumerate(lines):
        stripped = line.strip()
        if index == 0 or not _has_content(lines[:index]):
            continue
        if line in ("--", "-- ") or p.DISCLAIMER.match(stripped):
            return lines[:index]
        if _short_tail(lines, index) and _opens_signature(stripped, line):
            return lines[:index]
    return lines


def _opens_signature(stripped: str, line: str) -> bool:
    return bool(
        p.SENT_FROM.match(stripped)
        or p.SIGN_OFF.match(stripped)
        or p.NAME_DASH.match(line)
        or p.UNDERSCORES.match(stripped)
    )


def _short_tail(lines: list[str], index: int) -> bool:
    """Tell whether only a signature-sized tail follows, or a footer rule comes right after."""
    tail = [line for line in lines[index + 1:] if line.strip()]
    if tail and p.RULE.match(tail[0].strip()) and len(tail[0].strip()) >= 3:
        return True
    return len(tail) <= _MAX_SIGNATURE_LINES and all(len(line) <= 90 for line in tail)


def _tidy(lines: list[str]) -> str:
    while lines and (not lines[-1].strip() or p.RULE.match(lines[-1].strip())):
        lines = lines[:-1]
    text = "\n".join(lines).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", text).strip()
