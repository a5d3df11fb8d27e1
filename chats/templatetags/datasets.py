"""The "Data" and "Cite" sections of chat and summary pages
(templates/chats/includes/datasets.html)."""
from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from chats.models import Chat
from chats.services import citations
from chats.services.bundles import bundle_downloads

register = template.Library()


def _around(text: str, marker: str) -> tuple[str, str, str]:
    """``text`` split around its last ``marker`` (the access date), so the
    template can wrap the date in an element a script keeps current."""
    before, found, after = text.rpartition(marker)
    return (before, found, after) if found else (text, "", "")


def _citation_parts(citation: citations.Citation, today) -> dict:
    apa_date, iso_date = citations.apa_date(today), today.isoformat()
    return {
        "apa": _around(citations.apa(citation, accessed=today), apa_date),
        "bibtex": _around(citations.bibtex(citation, accessed=today), iso_date),
    }


@register.simple_tag
def data_and_citation(chat=None, summary=None) -> dict:
    """Downloads of ``chat`` (a public one, or None) and the citations of the
    chat and of ``summary``. The access date is the server's today: the chat
    page is cached, so static/chats/datasets.js replaces it with the reader's."""
    today = timezone.localdate()
    data = {"chat": chat, "today": today}
    if chat is not None:
        # A scheduled chat has no data yet (bundles are built once archived).
        data["archived"] = chat.status == Chat.Status.ARCHIVED
        downloads = bundle_downloads(chat) if data["archived"] else []
        for download in downloads:
            download["built"] = parse_datetime(download["built_at"]) if download["built_at"] else None
        data.update(
            downloads=downloads,
            json_url=reverse("datasets:chat-json", kwargs={"slug": chat.slug}),
            chat_citation=_citation_parts(citations.chat_citation(chat), today),
        )
    if summary is not None:
        author_name = getattr(summary, "author_name", "") or ""
        data["summary_citation"] = _citation_parts(citations.summary_citation(summary, author_name=author_name),
                                                   today)
    return data
