"""WordPress bodies as this site keeps them: pure text functions, no ORM.

WordPress stores a post as HTML without its paragraphs (they are added on
display by ``wpautop``), with shortcodes (``[caption]``, ``[gallery]``) and,
since 5.0, block comments. ``wordpress_to_html`` gives the HTML a WordPress
theme would show (before sanitising, which ``summaries.sanitise`` does).

Summaries here are edited as Markdown, and the renderer rebuilds body_html
from body_markdown, so an imported post also gets ``html_to_markdown``: a
Markdown version of the allow-listed structure (paragraphs, headings,
emphasis, links, images, lists, quotes, code), good enough to edit and to
re-render; anything else keeps its text.
"""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import nh3

_BLOCK_TAGS = (
    "address|article|aside|blockquote|dd|details|div|dl|dt|fieldset|figcaption|figure|footer|form|h[1-6]|header|hr"
    "|li|main|nav|ol|p|pre|section|table|tbody|td|tfoot|th|thead|tr|ul|iframe|script|style|object|embed|video|audio"
)
_BLOCK_OPEN = re.compile(rf"(<(?:{_BLOCK_TAGS})[\s/>])", re.IGNORECASE)
_BLOCK_CLOSE = re.compile(rf"(</(?:{_BLOCK_TAGS})>)", re.IGNORECASE)
_STARTS_WITH_BLOCK = re.compile(rf"^</?(?:{_BLOCK_TAGS})[\s/>]", re.IGNORECASE)
_ENDS_WITH_BLOCK = re.compile(rf"</?(?:{_BLOCK_TAGS})(?:\s[^>]*)?/?>$", re.IGNORECASE)
# Shortcodes are markers around content ([caption]<img> text[/caption]) or
# stand-ins for content this site does not have ([gallery ids=...]): the
# markers go, what they wrap stays.
_SHORTCODE = re.compile(r"\[/?(?:caption|wp_caption|gallery|embed|audio|video|playlist)\b[^\]]*\]", re.IGNORECASE)
_BLOCK_COMMENT = re.compile(r"<!--\s*/?wp:.*?-->", re.DOTALL)
_PRE = re.compile(r"(<pre\b.*?</pre>)", re.IGNORECASE | re.DOTALL)


def wordpress_to_html(content: str) -> str:
    """The HTML WordPress would show for ``content`` (not yet sanitised)."""
    content = (content or "").replace("\r\n", "\n").replace("\r", "\n")
    blocks = "<!-- wp:" in content
    content = _SHORTCODE.sub("", _BLOCK_COMMENT.sub("", content))
    # Block-editor posts carry their own paragraphs; older ones need wpautop.
    return content.strip() if blocks else autop(content)


def autop(text: str) -> str:
    """A small ``wpautop``: block-level tags stand apart (as wpautop puts
    them), blank lines separate paragraphs, a single line break in a
    paragraph is a <br>, and the blocks stay as they are (text inside <pre>
    is left alone)."""
    pieces = _PRE.split(text)
    out = []
    for index, piece in enumerate(pieces):
        if index % 2:  # a <pre> block, kept verbatim
            out.append(piece)
            continue
        piece = _BLOCK_CLOSE.sub("\\1\n\n", _BLOCK_OPEN.sub("\n\n\\1", piece))
        for chunk in re.split(r"\n\s*\n", piece):
            chunk = chunk.strip()
            if not chunk:
                continue
            if _STARTS_WITH_BLOCK.match(chunk) or _ENDS_WITH_BLOCK.search(chunk):
                out.append(chunk)
            else:
                out.append("<p>" + re.sub(r"(?<!<br>)(?<!<br />)(?<!<br/>)\n", "<br />\n", chunk) + "</p>")
    return "\n".join(out)


def plain_text(fragment: str) -> str:
    """A title or name as WordPress wrote it (markup and entities allowed)
    as plain text: tags dropped, entities decoded, spaces collapsed."""
    text = html.unescape(nh3.clean(fragment or "", tags=set(), clean_content_tags={"script", "style"}))
    return re.sub(r"\s+", " ", text).strip()


def html_to_markdown(fragment: str) -> str:
    """Markdown for the HTML ``fragment`` (see the module's docstring)."""
    converter = _MarkdownWriter()
    converter.feed(fragment or "")
    converter.close()
    return converter.result()


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#])")
_HEADINGS = {"h1": 2, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_SKIPPED = {"script", "style", "iframe", "object", "embed", "video", "audio", "form", "noscript"}


class _MarkdownWriter(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        # Blocks that are list items: consecutive ones are joined by one
        # line break, so the list stays tight (no <p> inside each <li>).
        self.tight: set[int] = set()
        self.line: list[str] = []
        self.lists: list[list] = []  # [kind, counter]
        self.quote = 0
        self.pre = False
        self.code = 0  # inside inline code, where backslash escapes would show
        self.skip = 0
        self.links: list[str] = []
        self.prefix = ""

    # -- output --

    def _flush(self) -> None:
        text = "".join(self.line)
        self.line = []
        if self.pre:
            return
        text = re.sub(r"[ \t\r\f\v]*\n[ \t\r\f\v]*", "\n", re.sub(r"[ \t\r\f\v]+", " ", text)).strip()
        if not text:
            return
        quote = "> " * self.quote
        lines = text.split("\n")
        first = quote + self.prefix + lines[0]
        indent = quote + " " * len(self.prefix)
        if self.lists and not self.quote:
            self.tight.add(len(self.blocks))
        self.blocks.append("\n".join([first, *(indent + line for line in lines[1:])]))
        self.prefix = ""

    def result(self) -> str:
        self._flush()
        parts = []
        for index, block in enumerate(self.blocks):
            if index:
                parts.append("\n" if index in self.tight and index - 1 in self.tight else "\n\n")
            parts.append(block)
        return "".join(parts).strip() + ("\n" if self.blocks else "")

    def _write(self, text: str) -> None:
        if not self.skip:
            self.line.append(text)

    # -- events --

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in _SKIPPED:
            self.skip += 1
            return
        if self.skip:
            return
        if tag in {"p", "div", "section", "article", "figure", "figcaption", "table", "tr", "dl", "dt", "dd"}:
            self._flush()
        elif tag in _HEADINGS:
            self._flush()
            self.prefix = "#" * _HEADINGS[tag] + " "
        elif tag == "br":
            # A backslash hard break: trailing spaces would not survive the
            # whitespace clean-up, and an editor cannot see them.
            self._write("\\\n" if self.line else "")
        elif tag == "hr":
            self._flush()
            self.blocks.append("* * *")
        elif tag in {"strong", "b"}:
            self._write("**")
        elif tag in {"em", "i"}:
            self._write("*")
        elif tag == "code" and not self.pre:
            self.code += 1
            self._write("`")
        elif tag == "pre":
            self._flush()
            self.pre = True
            self.line = []
        elif tag == "blockquote":
            self._flush()
            self.quote += 1
        elif tag in {"ul", "ol"}:
            self._flush()
            self.lists.append([tag, 0])
        elif tag == "li":
            self._flush()
            depth = max(len(self.lists) - 1, 0)
            kind = self.lists[-1] if self.lists else ["ul", 0]
            kind[1] += 1
            self.prefix = "   " * depth + (f"{kind[1]}. " if kind[0] == "ol" else "- ")
        elif tag == "a":
            href = (attrs.get("href") or "").strip()
            self.links.append(href if href.lower().startswith(("http://", "https://", "mailto:")) else "")
            if self.links[-1]:
                self._write("[")
        elif tag == "img":
            src = (attrs.get("src") or "").strip()
            if src.lower().startswith(("http://", "https://")):
                self._write(f"![{_escape(attrs.get('alt') or '')}]({_url(src)})")
        elif tag in {"td", "th"}:
            self._write(" ")

    def handle_endtag(self, tag):
        if tag in _SKIPPED:
            self.skip = max(self.skip - 1, 0)
            return
        if self.skip:
            return
        if tag in {"p", "div", "section", "article", "figure", "figcaption", "table", "tr", "dl", "dt", "dd", "li"}:
            self._flush()
        elif tag in _HEADINGS:
            self._flush()
        elif tag in {"strong", "b"}:
            self._write("**")
        elif tag in {"em", "i"}:
            self._write("*")
        elif tag == "code" and not self.pre:
            self.code = max(self.code - 1, 0)
            self._write("`")
        elif tag == "pre" and self.pre:
            code = "".join(self.line).strip("\n")
            self.line = []
            self.pre = False
            fence = "~~~~" if "```" in code else "```"
            self.blocks.append(f"{fence}\n{code}\n{fence}")
        elif tag == "blockquote":
            self._flush()
            self.quote = max(self.quote - 1, 0)
        elif tag in {"ul", "ol"}:
            self._flush()
            if self.lists:
                self.lists.pop()
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href:
                self._write(f"]({_url(href)})")

    def handle_data(self, data):
        if self.skip:
            return
        if self.pre:
            self.line.append(data)
            return
        # Line ends in HTML text are spaces; only <br> breaks a line.
        data = re.sub(r"\s+", " ", data)
        self.line.append(data if self.code else _escape(data))


def _escape(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _url(url: str) -> str:
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
