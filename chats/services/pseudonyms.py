"""Pseudonyms for a research export (pure: no ORM).

One ``Pseudonymiser`` per export: the people in it are numbered in the order
the export meets them (authors by their first post, then people only
mentioned, by their first mention), ``participant-0001`` onwards. The numbers
are stable within that export and say nothing beyond it; two builds of the
same data give the same numbers, so an unchanged rebuild is byte-identical.

What it replaces: ``@handle`` mentions in texts (of people in the export or
not), bare handles of people it knows in free text (``RT @x`` and ``via x``)
and links to profiles or posts on the platforms (their paths carry
handles). What it cannot: a person's own name written in a post's words
("Kate here, from Halifax"). The README of the bundle says so.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

PSEUDONYM_FORMAT = "participant-{:04d}"
# What a link that would reveal a handle is replaced with.
REMOVED_LINK = "[link to a profile or post removed]"

# A mention: @ not preceded by a word character, @ or / (an email address,
# a URL path), then a handle: Twitter's letters/digits/_, Bluesky's domain
# (name.bsky.social) or Mastodon's user@instance. A trailing dot is
# punctuation, not part of the handle.
MENTION_RE = re.compile(
    r"(?<![\w@/])@([A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?)"
)
URL_RE = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
# Hosts whose URLs name accounts: in the path (twitter.com/<handle>/status/1,
# bsky.app/profile/<handle>), or as the host itself (<handle>.bsky.social).
PROFILE_HOSTS = ("twitter.com", "x.com", "bsky.app", "bsky.social", "facebook.com", "instagram.com",
                 "threads.net", "linkedin.com", "tiktok.com", "youtube.com")


def handle_key(platform: str, handle: str) -> tuple[str, str]:
    """Handles are case-insensitive on every platform we import."""
    return (platform, handle.lstrip("@").lower())


def reveals_account(url: str) -> bool:
    """Whether ``url`` points at a person's profile or posts: a social
    platform's host, or a Mastodon-style ``/@user`` path."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return True  # a URL we cannot read is not kept in a pseudonymised export
    host = (parts.hostname or "").lower()
    if any(host == known or host.endswith("." + known) for known in PROFILE_HOSTS):
        return True
    return "/@" in parts.path or parts.path.startswith("@")


class Pseudonymiser:
    def __init__(self) -> None:
        self._names: dict[tuple[str, str], str] = {}
        # Every handle known, for the bare-handle pass, longest first.
        self._bare: dict[str, re.Pattern] = {}

    def __len__(self) -> int:
        return len(self._names)

    def pseudonym(self, platform: str, handle: str) -> str:
        """The pseudonym of ``handle`` on ``platform`` (numbered on first
        sight). An empty handle (a redacted author) has none: ''."""
        if not handle or not handle.lstrip("@"):
            return ""
        key = handle_key(platform, handle)
        name = self._names.get(key)
        if name is None:
            name = self._names[key] = PSEUDONYM_FORMAT.format(len(self._names) + 1)
            self._bare.pop(platform, None)  # rebuilt with the new handle
        return name

    def see_mentions(self, platform: str, text: str) -> None:
        """Number the people ``text`` mentions, in order (the first pass)."""
        for match in MENTION_RE.finditer(text or ""):
            self.pseudonym(platform, match.group(1))

    def text(self, platform: str, text: str) -> str:
        """``text`` with mentions, known handles and account links replaced."""
        if not text:
            return text
        text = URL_RE.sub(lambda match: REMOVED_LINK if reveals_account(match.group(0)) else match.group(0), text)
        text = MENTION_RE.sub(lambda match: "@" + self.pseudonym(platform, match.group(1)), text)
        return self._bare_pattern(platform).sub(lambda match: self._names[handle_key(platform, match.group(0))],
                                                text) if self._has_handles(platform) else text

    def url(self, url: str) -> str:
        return REMOVED_LINK if reveals_account(url) else url

    def _has_handles(self, platform: str) -> bool:
        return any(key[0] == platform for key in self._names)

    def _bare_pattern(self, platform: str) -> re.Pattern:
        """Known handles of ``platform`` as whole tokens, not after # (the
        series' hashtag may be an account's handle too: #hcsmca stays)."""
        pattern = self._bare.get(platform)
        if pattern is None:
            handles = sorted((handle for (known, handle) in self._names if known == platform and
                              not handle.startswith("participant-")), key=len, reverse=True)
            alternatives = "|".join(re.escape(handle) for handle in handles) or r"(?!)"
            pattern = self._bare[platform] = re.compile(
                rf"(?<![\w#@.-])(?:{alternatives})(?![\w-]|\.\w)", re.IGNORECASE)
        return pattern
