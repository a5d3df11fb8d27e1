"""Rendering of user content: everything is escaped, only http(s) URLs become links."""
import re

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from chats.safe_urls import http_url

register = template.Library()

register.filter("http_url", http_url)

# Stop at whitespace and at characters that end a sentence rather than a URL.
URL_RE = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]}]", re.IGNORECASE)


@register.filter(name="post_text")
def post_text(text: str) -> str:
    """Escape a post's text and turn its http(s) URLs into safe outbound links."""
    parts, last = [], 0
    for match in URL_RE.finditer(text or ""):
        parts.append(escape(text[last:match.start()]))
        url = match.group(0)
        parts.append(format_html('<a href="{}" rel="nofollow ugc noopener" class="post-link">{}</a>', url, url))
        last = match.end()
    parts.append(escape((text or "")[last:]))
    return mark_safe("".join(parts))  # nosec B703, B308 -- every part escaped above, links built by us
