"""HTML post bodies (Mastodon's ``content``) as plain readable text.

The text is what the post shows, with no markup left:

- paragraphs (``<p>`` and other blocks) are separated by a blank line,
  ``<br>`` and list items start a new line;
- a mention (``@user``) or a hashtag (``#tag``) keeps the text it shows;
- any other link becomes its full ``href``: Mastodon shows a shortened link
  (``<span class="invisible">https://</span>example.org/a-long-pa…``) whose
  visible text is not the link. A link whose text is prose rather than a URL
  (Markdown-capable servers: ``[the guide](https://...)``) reads
  ``the guide (https://...)``;
- character references are unescaped once, every other tag is dropped, and
  ``<script>`` / ``<style>`` bodies with them.

Pure: the standard library only, no Django.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Callable

# Blocks separated by a blank line, and elements that only start a new line.
_BLOCKS = frozenset({"p", "div", "blockquote", "pre", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6"})
_LINES = frozenset({"li"})
_HIDDEN = frozenset({"script", "style"})

_URL_TEXT = re.compile(r"(?:https?://|www\.)\S+")
_SCHEME = re.compile(r"^https?://")
# A hashtag as a server writes it: no spaces ("#1 tip" is a link's prose).
_HASHTAG_TEXT = re.compile(r"#(\w+)")
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class PlainText:
    text: str
    links: tuple[str, ...]  # ordinary links' hrefs, in order (no mentions, hashtags or dropped links)
    hashtags: tuple[str, ...]  # hashtag links' text without "#", in order


def html_to_text(markup: str, *, drop_link: Callable[[str], bool] = lambda href: False) -> PlainText:
    """``markup`` as plain text; a link for which ``drop_link(href)`` is true
    (a link to an attached picture, say) is left out of the text and links."""
    converter = _Converter(drop_link)
    converter.feed(markup)
    converter.close()
    return converter.result()


class _Link:
    def __init__(self, href: str, classes: str, rel: str):
        self.href = href
        self.labelled = any(name in classes.split() for name in ("mention", "hashtag", "u-url")) or "tag" in rel.split()
        self.parts: list[str] = []

    @property
    def text(self) -> str:
        return "".join(self.parts).strip()

    def is_mention_or_hashtag(self) -> bool:
        # Servers that mark them use class="mention" / "hashtag"; others
        # (Misskey posts relayed by Mastodon) only show "@user" or "#tag".
        return self.text.startswith(("@", "#")) and (self.labelled or " " not in self.text)

    def shown_as(self) -> str:
        text = self.text
        if not text or _URL_TEXT.fullmatch(text) or _SCHEME.sub("", text) == _SCHEME.sub("", self.href):
            return self.href
        return f"{text} ({self.href})"


class _Converter(HTMLParser):
    def __init__(self, drop_link: Callable[[str], bool]):
        super().__init__(convert_charrefs=True)
        self._drop_link = drop_link
        self._out: list[str] = []
        self._pending_newlines = 0  # line breaks owed before the next text
        self._hidden_depth = 0
        self._link: _Link | None = None
        self._links: list[str] = []
        self._hashtags: list[str] = []

    # --- events --------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden_depth += 1
        elif tag == "br":
            self._write("\n")
        elif tag in _BLOCKS:
            self._break(2)
        elif tag in _LINES:
            self._break(1)
        elif tag == "a" and self._link is None:
            values = {name: value or "" for name, value in attrs}
            self._link = _Link(values.get("href", "").strip(), values.get("class", ""), values.get("rel", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden_depth = max(0, self._hidden_depth - 1)
        elif tag in _BLOCKS:
            self._break(2)
        elif tag in _LINES:
            self._break(1)
        elif tag == "a" and self._link is not None:
            link, self._link = self._link, None
            self._close_link(link)

    def handle_data(self, data: str) -> None:
        if self._hidden_depth:
            return
        if self._link is not None:
            self._link.parts.append(data)
        elif not (self._pending_newlines and not data.strip()):  # whitespace between blocks
            self._write(data)

    # --- output --------------------------------------------------------

    def _close_link(self, link: _Link) -> None:
        if link.is_mention_or_hashtag() or not link.href:
            hashtag = _HASHTAG_TEXT.fullmatch(link.text)
            if hashtag:
                self._hashtags.append(hashtag.group(1))
            self._write(link.text)
        elif not self._drop_link(link.href):
            self._links.append(link.href)
            self._write(link.shown_as())

    def _break(self, newlines: int) -> None:
        if self._out:
            self._pending_newlines = max(self._pending_newlines, newlines)

    def _write(self, text: str) -> None:
        if self._pending_newlines:
            self._out.append("\n" * self._pending_newlines)
            self._pending_newlines = 0
        self._out.append(text)

    def result(self) -> PlainText:
        if self._link is not None:  # an <a> never closed: keep what it showed
            link, self._link = self._link, None
            self._close_link(link)
        lines = "".join(self._out).split("\n")
        text = _BLANK_LINES.sub("\n\n", "\n".join(line.rstrip() for line in lines)).strip()
        return PlainText(text=text, links=tuple(self._links), hashtags=tuple(self._hashtags))
