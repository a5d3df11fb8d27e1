"""URLs that came from outside (imported files, commenters) are linked only
when they are http(s): a ``javascript:`` or ``data:`` profile URL in a
hostile transcript must stay text."""
from __future__ import annotations


def http_url(url: str | None) -> str:
    """``url`` when it is http(s), else "" (shown as text, never linked)."""
    return url if (url or "").strip().lower().startswith(("http://", "https://")) else ""
