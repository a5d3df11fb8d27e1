"""The cross-site scripting corpus and the checks that rendered pages carry
none of it as markup: shared by tests/security/test_xss_corpus.py (parsed
HTML) and tests/browser/test_xss.py (Chromium)."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import quote

from django.urls import reverse

from chats.models import Author, Link
from summaries.models import Comment
from summaries.sanitise import comment_markdown_to_html, summary_markdown_to_html
from tests.browser.site_data import SEARCH_WORD, ArchiveSite, build_archive_site

# Each payload carries a marker, so a test can tell the content was rendered
# (as text) rather than dropped.
PAYLOADS = [
    "<script>alert('xss-1')</script>",
    '"><img src=x onerror=alert("xss-2")>',
    "'><svg onload=alert('xss-3')>",
    "</title><script>alert('xss-4')</script>",
    "</textarea></script><script>alert('xss-5')</script>",
    'javascript:alert("xss-6")',
    '" onmouseover="alert(\'xss-7\')" x="',
    "<a href=\"javascript:alert('xss-8')\">xss-8</a>",
    "<iframe src=\"javascript:alert('xss-9')\"></iframe>",
    "\u202e<scr\u200bipt>alert('xss-10')</scr\u200bipt>\uff1cscript\uff1ealert('xss-10b')",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('xss-11')>",
    "{{ 7|add:7 }} {% csrf_token %} xss-12",
    "<base href=\"javascript:alert('xss-13')//\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert('xss-14')\">",
]
TEXT = " ".join(PAYLOADS)
# Markdown: raw HTML, javascript: and data: links and images, an autolink.
MARKDOWN = (
    f"{SEARCH_WORD} **bold** {TEXT}\n\n"
    "[a link](javascript:alert('xss-15')) [another](JaVaScRiPt:alert('xss-16')) "
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgneHNzLTE3Jyk8L3NjcmlwdD4=) "
    "![img](x \"xss-18\" onerror=alert(1)) <javascript:alert('xss-19')> [ok](https://example.org/ok)\n\n"
    "<div onclick=\"alert('xss-20')\" style=\"background:url(javascript:alert(1))\">xss-20</div>\n"
)
# A handle goes into a URL path: no "/" in it.
HANDLE = "\"><svg onload=alert('xss-21')>"
TAG = "<script>alert('xss-22')</script>"
MARKER = re.compile(r"xss-\d+")


def build_hostile_site() -> ArchiveSite:
    """tests/browser/site_data.py's archive with every place user content
    appears replaced by the corpus."""
    site = build_archive_site()
    chat, other, summary = site.chat, site.other_chat, site.summary
    series = chat.series
    series.name, series.description = TEXT[:200], TEXT
    series.save(update_fields=["name", "description"])
    chat.title, chat.description = TEXT[:300], TEXT
    chat.save(update_fields=["title", "description"])
    chat.tags.add(TAG)
    other.tags.add(TAG)
    for post in site.posts.values():
        post.text = f"{post.text} {TEXT} https://example.org/ok?q=<b> javascript:alert('xss-23')"
        post.save(update_fields=["text"])
    Author.objects.filter(pk=site.participant.pk).update(
        display_name=TEXT[:300], handle=HANDLE, profile_url="javascript:alert('xss-24')",
        avatar_url="javascript:alert('xss-25')")
    Author.objects.exclude(pk=site.participant.pk).exclude(pk=site.host.pk).update(
        display_name=TEXT[:300], profile_url="data:text/html,<script>alert('xss-26')</script>")
    site.participant.refresh_from_db()
    Link.objects.update(title=TEXT)
    for each in (summary, site.open_summary):
        each.title = TEXT[:300]
        each.excerpt = TEXT
        each.body_markdown = MARKDOWN
        each.body_html = summary_markdown_to_html(MARKDOWN)
        each.save(update_fields=["title", "excerpt", "body_markdown", "body_html"])
        each.tags.add(TAG)
    Comment.objects.filter(summary=summary).update(
        author_name=TEXT[:100], author_url="javascript:alert('xss-27')",
        body=MARKDOWN, body_html=comment_markdown_to_html(MARKDOWN))
    # A comment waiting for moderation: the moderators' page shows it.
    Comment.objects.create(
        summary=site.open_summary, author_name=TEXT[:100], author_email="x@example.org",
        author_url="javascript:alert('xss-28')", body=MARKDOWN, body_html=comment_markdown_to_html(MARKDOWN),
        status=Comment.Status.PENDING)
    return site


def hostile_pages(site: ArchiveSite) -> dict[str, str]:
    """The HTML pages where the corpus appears: name -> path."""
    from taggit.models import Tag

    tag = Tag.objects.get(name=TAG)
    return {
        "home": reverse("chats:home"),
        "archive": reverse("chats:archive"),
        "archive-year": reverse("chats:archive-year", kwargs={"year": site.chat.start.year}),
        "archive-month": reverse("chats:archive-month",
                                 kwargs={"year": site.chat.start.year, "month": site.chat.start.month}),
        "series": reverse("chats:series", kwargs={"hashtag": site.chat.series.hashtag}),
        "tag": reverse("chats:tag", kwargs={"tag": tag.slug}),
        "chat": site.chat.get_absolute_url(),
        "chat-time-order": f"{site.chat.get_absolute_url()}?order=time",
        "participant": site.participant.get_absolute_url(),
        "resources": reverse("chats:resources"),
        "summaries": reverse("summaries:list"),
        "summary": site.summary.get_absolute_url(),
        "summary-comments-open": site.open_summary.get_absolute_url(),
        "summaries-tag": reverse("summaries:tag", kwargs={"tag": tag.slug}),
        "summaries-series": reverse("summaries:series", kwargs={"hashtag": site.chat.series.hashtag}),
        "summaries-month": reverse("summaries:month", kwargs={
            "year": f"{site.summary.published_at:%Y}", "month": f"{site.summary.published_at:%m}"}),
        "search": f"{reverse('chats:search')}?q={quote(SEARCH_WORD)}",
        "search-echo": f"{reverse('chats:search')}?q={quote(TEXT[:150])}",
    }


SAFE_URL = re.compile(r"^(https?://|/(?!/)|#|\?|[^:/?#]*(?:[/?#]|$))", re.IGNORECASE)
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "srcset", "poster", "xlink:href", "data", "background",
                  "cite", "manifest", "ping", "longdesc"}
FORBIDDEN_ELEMENTS = {"iframe", "object", "embed", "base", "svg", "math", "frame", "frameset", "applet", "style",
                      "animate", "set", "foreignobject", "handler", "listener"}
# Our own markup that a forbidden element may take: the chat page's activity
# chart (templates/chats/includes/activity_chart.html) is an inline <svg>.
OUR_ELEMENTS = {("svg", "activity-svg")}


class MarkupAudit(HTMLParser):
    """Collects what could run in a page: scripts other than our own static
    files, event-handler and style attributes, unsafe URLs, elements that
    load or redefine content; and the text, to see the corpus was shown."""

    def __init__(self, static_url: str = "/static/"):
        super().__init__(convert_charrefs=True)
        self.static_url = static_url
        self.problems: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            self._in_script = True
            if not (attributes.get("src") or "").startswith(self.static_url):
                self.problems.append(f"script not from our static files: {attrs}")
        if tag in FORBIDDEN_ELEMENTS and (tag, attributes.get("class")) not in OUR_ELEMENTS:
            self.problems.append(f"<{tag}> element")
        if tag == "meta" and attributes.get("http-equiv", "").lower() == "refresh":
            self.problems.append("<meta http-equiv=refresh>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…> event handler")
            elif name == "style":
                self.problems.append(f"<{tag} style=…> (the CSP refuses it)")
            elif name in URL_ATTRIBUTES and value is not None and not _safe_url(value, srcset=name == "srcset"):
                self.problems.append(f"<{tag} {name}={value!r}>")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append(f"inline script content: {data[:80]!r}")
        self.text.append(data)


def _safe_url(value: str, *, srcset: bool = False) -> bool:
    """http(s), relative to the site, or a fragment: no javascript:, data:
    or other scheme. Browsers drop tabs and newlines inside URLs and trim
    spaces and control characters around them, so this does too."""
    cleaned = re.sub(r"[\t\n\r]", "", value).strip("".join(map(chr, range(33))))
    candidates = [part.strip().split(" ")[0] for part in cleaned.split(",")] if srcset else [cleaned]
    return all(not url or SAFE_URL.match(url) for url in candidates)


def audit(html: str) -> MarkupAudit:
    parser = MarkupAudit()
    parser.feed(html)
    parser.close()
    return parser
