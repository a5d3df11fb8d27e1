"""Scrubbing redacted people out of other people's posts (pure: no Django).

When a participant is redacted, their own posts become placeholders
(chats.services.redactions). Their identity also sits inside posts by others:
``@handle`` in a reply's text, the mention list, and the original imported
record, which for a retweet or quote embeds the whole redacted post and
profile (``retweeted_status.user``), and for a reply names them
(``in_reply_to_screen_name``). ``Scrubber`` removes all of that, the same
way at redaction time and for every later import, so a re-import of an
unchanged file compares equal and changes nothing.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

REMOVED = "[removed]"
REMOVED_RECORD = {"removed": "at its author's request"}
# Keys under which an account object (or a mention entity) carries its own handle.
OWN_HANDLE_KEYS = frozenset({"screen_name", "username", "acct", "handle"})
# Keys under which a post refers to another account by handle or by id.
REFERENCE_HANDLE_KEYS = frozenset({"in_reply_to_screen_name"})
REFERENCE_ID_KEYS = frozenset({"in_reply_to_user_id", "in_reply_to_user_id_str", "author_id", "user_id", "user_id_str"})
# Keys under which a record nests the account that wrote it.
ACCOUNT_KEYS = frozenset({"user", "author", "account"})


class Scrubber:
    """Removes every trace of the accounts ``handles`` / ``account_ids``
    (handles compared case-insensitively, with or without a leading @) from
    texts, mention lists and records."""

    def __init__(self, handles: Iterable[str], account_ids: Iterable[str] = ()):
        self.handles = {handle.lower().lstrip("@") for handle in handles if handle and handle.strip("@")}
        self.account_ids = {str(account_id) for account_id in account_ids if str(account_id)}
        if self.handles:
            alternatives = "|".join(sorted(map(re.escape, self.handles), key=len, reverse=True))
            # Not inside a longer handle: handles carry letters, digits, _ . - @.
            self._mention = re.compile(rf"(?<![\w.@-])@({alternatives})(?![\w@-]|\.\w)", re.IGNORECASE)
            self._anywhere = re.compile(rf"(?<![\w.@-])@?({alternatives})(?![\w@-]|\.\w)", re.IGNORECASE)
        else:
            self._mention = self._anywhere = None

    def __bool__(self) -> bool:
        return bool(self.handles or self.account_ids)

    def touches(self, *texts: str) -> bool:
        """Whether any of ``texts`` (a post's text, its record as JSON) may
        name one of the accounts: a cheap test before scrubbing."""
        texts = [text for text in texts if text]
        if self._anywhere is not None and any(self._anywhere.search(text) for text in texts):
            return True
        return any(account_id in text for account_id in self.account_ids for text in texts)

    def is_handle(self, value: Any) -> bool:
        return isinstance(value, str) and value.lower().lstrip("@") in self.handles

    def is_account_id(self, value: Any) -> bool:
        return isinstance(value, (str, int)) and not isinstance(value, bool) and str(value) in self.account_ids

    def text(self, text: str) -> str:
        if self._mention is None or not text:
            return text
        return self._mention.sub("@" + REMOVED, text)

    def mentions(self, mentions: Iterable[str]) -> list[str]:
        return [REMOVED if self.is_handle(mention) else mention for mention in mentions]

    def record(self, value: Any) -> Any:
        """A copy of a decoded JSON record with the accounts, the posts they
        wrote that it embeds, and their mentions removed."""
        if not self:
            return value
        if isinstance(value, dict):
            if self._is_redacted_account(value) or any(
                    self._is_redacted_account(value.get(key)) for key in ACCOUNT_KEYS):
                # The account itself, a mention entity naming it, or a post
                # it wrote embedded in another's record (a retweet's
                # retweeted_status, a quote's quoted_status).
                return dict(REMOVED_RECORD)
            return {key: self._value(key, item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.record(item) for item in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def _value(self, key: str, item: Any) -> Any:
        if key in REFERENCE_HANDLE_KEYS and self.is_handle(item):
            return REMOVED
        if key in REFERENCE_ID_KEYS and self.is_account_id(item):
            return REMOVED
        return self.record(item)

    def _is_redacted_account(self, value: Any) -> bool:
        if not isinstance(value, dict):
            return False
        if any(self.is_handle(value.get(key)) for key in OWN_HANDLE_KEYS):
            return True
        # An account object named by id only (Twitter v2 includes.users, a
        # v1.1 user object): it has an id and a handle-like key or a name.
        return (self.is_account_id(value.get("id_str")) or self.is_account_id(value.get("id"))) and bool(
            OWN_HANDLE_KEYS.intersection(value) or "name" in value)
