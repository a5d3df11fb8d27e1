"""Search engines and chats marked noindex: pages carry the robots meta
(templates); downloads, which have no <head>, carry the header."""
from __future__ import annotations

from django.http import HttpResponseBase

from chats.models import Chat


def noindex_header(response: HttpResponseBase, chat: Chat) -> HttpResponseBase:
    """``response`` with ``X-Robots-Tag: noindex`` when ``chat`` is marked noindex."""
    if chat.noindex:
        response["X-Robots-Tag"] = "noindex"
    return response
