"""The one place where HTML that people wrote becomes safe to show.

Summary bodies and comments are Markdown (CommonMark, raw HTML off) or, for
posts brought from the old WordPress blog, HTML. Either way the result is
cleaned by nh3 to an allow-list: no scripts, styles, forms, frames or event
handlers; only http(s) and mailto links, each with rel="nofollow ugc noopener".
"""
from __future__ import annotations

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


def clean_summary_html(html: str) -> SafeString:
    return mark_safe(nh3.clean(
        html or "", tags=SUMMARY_TAGS, attributes=SUMMARY_ATTRIBUTES, url_schemes=URL_SCHEMES,
        link_rel=LINK_REL, clean_content_tags={"script", "style"},
    ))


def clean_comment_html(html: str) -> SafeString:
    return mark_safe(nh3.clean(
        html or "", tags=COMMENT_TAGS, attributes=COMMENT_ATTRIBUTES, url_schemes=URL_SCHEMES,
        link_rel=LINK_REL, clean_content_tags={"script", "style"},
    ))


def summary_markdown_to_html(markdown: str) -> SafeString:
    """A summary body written in Markdown, rendered and cleaned."""
    return clean_summary_html(_markdown.render(markdown or ""))


def comment_markdown_to_html(markdown: str) -> SafeString:
    """A comment's light Markdown (no headings, images or tables), rendered and cleaned."""
    return clean_comment_html(_comment_markdown.render(markdown or ""))
