"""Summary pages (a permalink for now; lists, comments and feeds arrive with
the summaries issue)."""
from __future__ import annotations

import nh3
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.safestring import mark_safe

from chats.models import Chat
from summaries.models import Summary

# What a summary body may hold once sanitised: text formatting, headings below
# the page's h1, lists, quotes, code, tables, links and images. No scripts,
# styles, forms, frames or event handlers (nh3 drops what is not listed).
ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "b", "em", "i", "u", "s", "sub", "sup", "small",
    "mark", "abbr", "cite", "q", "blockquote", "code", "pre", "kbd", "ul", "ol", "li", "dl", "dt", "dd",
    "a", "img", "figure", "figcaption", "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "ol": {"start"},
}


def sanitised_body(body_html: str) -> str:
    """``body_html`` cleaned at render time: no write-time sanitiser exists
    yet, so stored HTML is not trusted. Links get rel="nofollow ugc noopener"
    and only http(s) and mailto URLs survive."""
    return mark_safe(nh3.clean(
        body_html or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener",
        clean_content_tags={"script", "style"},
    ))


def summary_detail(request, year: str, month: str, day: str, slug: str):
    summary = get_object_or_404(Summary.objects.published().select_related("author", "chat__series"), slug=slug)
    published = timezone.localtime(summary.published_at)
    if (published.year, published.month, published.day) != (int(year), int(month), int(day)):
        raise Http404("No summary at this date.")
    chat = summary.chat
    # A summary of a chat readers may not see does not link to it.
    if chat is not None and not (chat.status == Chat.Status.ARCHIVED and chat.visibility == Chat.Visibility.PUBLIC):
        chat = None
    author_name = ""
    if summary.author is not None:
        author_name = summary.author.get_full_name() or summary.author.get_username()
    return render(request, "summaries/summary_detail.html", {
        "summary": summary,
        "chat": chat,
        "author_name": author_name,
        "body": sanitised_body(summary.body_html),
        "tags": summary.tags.all(),
    })
