"""The one place where HTML that people wrote becomes safe to show.

Summary bodies and comments are Markdown (CommonMark, raw HTML off) or, for
posts brought from the old WordPress blog, HTML. Either way the result is
cleaned by nh3 to an allow-list: no scripts, styles, forms, frames or event
handlers; only http(s) and mailto links, each with rel="nofollow ugc noopener".
"""
from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt
from django.utils.safestring import SafeString, mark_safe

URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow ugc noopener"

# Summaries: text formatting, headings below the page's h1, lists, quotes,
# code, tables, links and images.
SUMMARY_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "b", "em", "i", "u", "s", "sub", "sup", "small",
    "mark", "abbr", "cite", "q", "blockquote", "code", "pre", "kbd", "ul", "ol", "li", "dl", "dt", "dd",
    "a", "img", "figure", "figcaption", "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
}
SUMMARY_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "ol": {"start"},
}
# Comments: light Markdown only (paragraphs, emphasis, links, quotes, code).
COMMENT_TAGS = {"p", "br", "strong", "b", "em", "i", "a", "blockquote", "code", "pre", "ul", "ol", "li"}
COMMENT_ATTRIBUTES = {"a": {"href", "title"}}

# html=False: raw HTML in the Markdown source is shown as text, not passed on.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")
_comment_markdown = MarkdownIt("commonmark", {"html": False}).disable(["image", "heading", "lheading", "hr", "table"])


def _is_absolute(url: str) -> bool:
    # nh3 checks the scheme of absolute URLs; this tells them from relative ones.
    return bool(_SCHEME.match(url))


_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def _site_or_absolute_urls(element: str, attribute: str, value: str) -> str | None:
    """Summaries may link within the site ("/chats/hcsmca-116/#T1") or to a
    fragment, but never protocol-relative ("//elsewhere.example"), which
    nh3 would otherwise keep as a relative URL."""
    if attribute not in {"href", "src"}:
        return value
    url = value.strip()
    if _is_absolute(url) or url.startswith("#") or (url.startswith("/") and not url.startswith("//")):
        return value
    return None


def _absolute_urls_only(element: str, attribute: str, value: str) -> str | None:
    """Comments link only to absolute http(s) or mailto URLs."""
    if attribute not in {"href", "src"}:
        return value
    return value if _is_absolute(value.strip()) else None


def clean_summary_html(html: str) -> SafeString:
    return mark_safe(nh3.clean(  # nosec B703, B308 -- nh3 allow-list output
        html or "", tags=SUMMARY_TAGS, attributes=SUMMARY_ATTRIBUTES, url_schemes=URL_SCHEMES,
        link_rel=LINK_REL, clean_content_tags={"script", "style"}, attribute_filter=_site_or_absolute_urls,
    ))


def clean_comment_html(html: str) -> SafeString:
    return mark_safe(nh3.clean(  # nosec B703, B308 -- nh3 allow-list output
        html or "", tags=COMMENT_TAGS, attributes=COMMENT_ATTRIBUTES, url_schemes=URL_SCHEMES,
        link_rel=LINK_REL, clean_content_tags={"script", "style"}, attribute_filter=_absolute_urls_only,
    ))


def summary_markdown_to_html(markdown: str) -> SafeString:
    """A summary body written in Markdown, rendered and cleaned."""
    return clean_summary_html(_markdown.render(markdown or ""))


def comment_markdown_to_html(markdown: str) -> SafeString:
    """A comment's light Markdown (no headings, images or tables), rendered and cleaned."""
    return clean_comment_html(_comment_markdown.render(markdown or ""))
