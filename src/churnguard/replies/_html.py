"""Convert an HTML mail body to plain text, keeping quotes recognisable.

Text inside ``<blockquote>`` (and Gmail/Yahoo quote containers) is prefixed with ``> `` per
level, so the quote stripper treats HTML and plain mail the same way.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_BLOCK_TAGS = {
    "p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    "pre", "hr", "blockquote", "section", "article", "header", "footer",
}
_SKIP_TAGS = {"style", "script", "head", "title"}
_QUOTE_CLASSES = re.compile(r"gmail_quote|yahoo_quoted|moz-cite|OutlookMessageHeader", re.I)


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.quote_depth = 0
        self.skip_depth = 0
        self.open_quotes: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skip_depth += 1
            return
        if tag in _BLOCK_TAGS:
            self._newline()
        if tag == "hr":
            self.lines[-1] = "-" * 30
            self._newline()
        is_quote = tag == "blockquote" or (
            tag == "div" and _QUOTE_CLASSES.search(dict(attrs).get("class") or "") is not None
        )
        if tag in ("blockquote", "div"):
            self.open_quotes.append(is_quote and tag == "blockquote")
            if is_quote and tag == "blockquote":
                self.quote_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if tag in ("blockquote", "div") and self.open_quotes:
            if self.open_quotes.pop():
                self.quote_depth = max(0, self.quote_depth - 1)
        if tag in _BLOCK_TAGS:
            self._newline()

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        for index, piece in enumerate(data.split("\n")):
            if index:
                self._newline()
            piece = " ".join(piece.split()) if piece.strip() else ""
            if piece:
                self._write(piece)

    def _write(self, piece: str) -> None:
        if not self.lines[-1] and self.quote_depth:
            self.lines[-1] = "> " * self.quote_depth
        current = self.lines[-1]
        sep = " " if current and not current.endswith((" ", "> ")) else ""
        self.lines[-1] = current + sep + piece

    def _newline(self) -> None:
        self.lines.append("")


def html_to_text(markup: str) -> str:
    """Return readable text for an HTML body; never raises."""
    collector = _TextCollector()
    try:
        collector.feed(markup)
        collector.close()
    except Exception:  # NOTE: broken markup; fall back to removing tags.
        return html.unescape(re.sub(r"<[^>]+>", " ", markup))
    text = "\n".join(line.replace("\xa0", " ").rstrip() for line in collector.lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
