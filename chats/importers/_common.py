"""Small helpers the parsers share: reading values out of decoded JSON without
trusting their types, describing a value in a message, and making a tweet's
text readable.

No Django here: parsers must stay importable without it.
"""

from __future__ import annotations

import html
import re
from typing import AbstractSet, Any, Iterable, Mapping

# A t.co link, as Twitter writes every link of a tweet's text.
TCO_LINK = re.compile(r"https?://t\.co/[A-Za-z0-9]+")

_JSON_TYPE_NAMES = {list: "array", str: "string", int: "number", float: "number", bool: "boolean", type(None): "null"}


def text_of(value: Any) -> str:
    """``value`` if it is a string, else ""."""
    return value if isinstance(value, str) else ""


def is_int(value: Any) -> bool:
    """Whether ``value`` is a JSON integer (``True`` and ``False`` are not)."""
    return isinstance(value, int) and not isinstance(value, bool)


def list_of(value: Any) -> list:
    """``value`` if it is a list, else an empty one."""
    return value if isinstance(value, list) else []


def unique(values: Iterable[str]) -> tuple[str, ...]:
    """The values, each once, in the order they first come."""
    return tuple(dict.fromkeys(values))


def describe(value: Any) -> str:
    """What a JSON value is, for a message about a record that is not a post:
    an object's keys (the first ten), else its JSON type."""
    if isinstance(value, dict):
        keys = list(value)
        shown = ", ".join(repr(key) for key in keys[:10])
        more = f", ... ({len(keys)} keys)" if len(keys) > 10 else ""
        return f"keys: {shown}{more}" if keys else "an empty object"
    return f"a JSON {_JSON_TYPE_NAMES.get(type(value), type(value).__name__)}"


def expand_tco_links(text: str, expansions: Mapping[str, str], media_links: AbstractSet[str]) -> str:
    """A tweet's ``text`` as twitter.com shows it: HTML entities unescaped
    once, each t.co link replaced by the link it stands for (``expansions``;
    one without an expansion, or with an empty one, is kept), and the t.co
    links to attached media (``media_links``) dropped, with the white space
    they leave at the end."""
    removed_media_link = False

    def replace(match: re.Match[str]) -> str:
        nonlocal removed_media_link
        link = match.group(0)
        if link in media_links:
            removed_media_link = True
            return ""
        return expansions.get(link) or link

    # Unescape before expanding: an expanded URL is not escaped, and
    # html.unescape would turn its "&region=on" into "®ion=on".
    text = TCO_LINK.sub(replace, html.unescape(text))
    return text.rstrip() if removed_media_link else text
