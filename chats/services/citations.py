"""How to cite a chat or a summary: APA 7 and BibTeX, and the site's absolute
URL that both (and the dataset bundles' CITATION.cff) carry.

The formatting functions are pure: a ``Citation`` and the access date in, a
string out. ``chat_citation`` / ``summary_citation`` build the ``Citation``
from the rows (no query beyond the chat's series, usually already selected).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings

# APA spells the months out in English whatever the page's locale.
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
PUBLISHER = "hcsmca archive"
DEV_SITE_URL = "http://127.0.0.1:8000"


def site_url() -> str:
    """The archive's public origin (``https://host``, no trailing slash).

    Permanent URLs go into citations and into bundles built by a worker,
    where there is no request to take the host from; and a chat page is
    cached whole, so one request's host must not show in another's. So it
    is a setting, ``SITE_URL``; without it, the development server's
    address (which a deployment must not keep)."""
    configured = getattr(settings, "SITE_URL", "") or ""
    return configured.rstrip("/") if configured else DEV_SITE_URL


def absolute_url(path: str) -> str:
    return site_url() + path


@dataclass(frozen=True)
class Citation:
    author: str  # a group ("hcsmca") or a person's name, as it should be printed
    bibtex_author: str  # the same for BibTeX; a group is braced whole so it is not split into names
    published: date
    title: str
    kind: str  # APA's bracketed description: "Tweet chat transcript", "Blog post"
    publisher: str
    url: str
    key: str  # the BibTeX key, ASCII


def apa_date(day: date) -> str:
    return f"{MONTHS[day.month - 1]} {day.day}, {day.year}"


def apa(citation: Citation, *, accessed: date | None = None) -> str:
    """An APA 7 reference (plain text: HTML escaping is the template's job).

    The retrieval date is included because the archive's pages change (new
    imports, redactions): APA asks for it for content designed to change."""
    author = citation.author.rstrip(".") + "."
    published = f"({citation.published.year}, {MONTHS[citation.published.month - 1]} {citation.published.day})."
    title = citation.title.rstrip(".")
    reference = f"{author} {published} {title} [{citation.kind}]. {citation.publisher}. "
    if accessed is None:  # where the reader adds the date (a bundle's README)
        return reference + citation.url
    return reference + f"Retrieved {apa_date(accessed)}, from {citation.url}"


# LaTeX's special characters, as BibTeX field text must carry them.
_BIBTEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}
_BIBTEX_SPECIALS_RE = re.compile("|".join(re.escape(char) for char in _BIBTEX_SPECIALS))
# Inside \url{} only these break the argument (hyperref reads the rest verbatim).
_URL_SPECIALS_RE = re.compile(r"[\\{}%#]")


def bibtex_escape(text: str) -> str:
    """``text`` safe inside a braced BibTeX field: LaTeX specials escaped,
    line breaks folded (a field is one logical line)."""
    text = " ".join(text.split())
    return _BIBTEX_SPECIALS_RE.sub(lambda match: _BIBTEX_SPECIALS[match.group(0)], text)


def bibtex_url(url: str) -> str:
    return _URL_SPECIALS_RE.sub(lambda match: "\\" + match.group(0), url)


def bibtex_key(*parts: str) -> str:
    """A BibTeX key from ``parts``: ASCII letters, digits and ``_`` only."""
    return "_".join(re.sub(r"[^A-Za-z0-9]+", "", part) for part in parts if part) or "hcsmca"


def bibtex(citation: Citation, *, accessed: date) -> str:
    # The title is double-braced: BibTeX styles would otherwise lower-case it
    # (a hashtag, a drug name and "COVID-19" must keep their case).
    return "\n".join([
        f"@misc{{{citation.key},",
        f"  title = {{{{{bibtex_escape(citation.title)}}}}},",
        f"  author = {{{citation.bibtex_author}}},",
        f"  year = {{{citation.published.year}}},",
        f"  month = {{{citation.published.month}}},",
        f"  howpublished = {{\\url{{{bibtex_url(citation.url)}}}}},",
        f"  publisher = {{{bibtex_escape(citation.publisher)}}},",
        f"  note = {{Accessed: {accessed.isoformat()}}}",
        "}",
    ])


def local_date(moment, zone_name: str) -> date:
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return moment.astimezone(zone).date()


def chat_title(chat) -> str:
    """``#hcsmca chat 116: Title`` (without the title when it has none)."""
    base = f"#{chat.series.hashtag} chat {chat.number}"
    return f"{base}: {chat.title}" if chat.title else base


def chat_citation(chat) -> Citation:
    """A chat as the group (its series' community) published it on its day,
    in its series' timezone."""
    hashtag = chat.series.hashtag
    published = local_date(chat.start, chat.series.timezone)
    return Citation(
        author=hashtag,
        bibtex_author="{" + bibtex_escape(f"#{hashtag} community") + "}",
        published=published,
        title=chat_title(chat),
        kind="Tweet chat transcript",
        publisher=PUBLISHER,
        url=absolute_url(chat.get_absolute_url()),
        key=bibtex_key(f"{hashtag}{chat.number}", str(published.year)),
    )


def summary_citation(summary, *, author_name: str = "") -> Citation:
    """A summary as its author (or, without one, the archive) published it."""
    published = summary.published_at.astimezone(ZoneInfo(settings.TIME_ZONE)).date()
    author = author_name or PUBLISHER
    return Citation(
        author=author,
        # A person's name goes to BibTeX as is (it splits "First Last"); the
        # archive is braced as a group.
        bibtex_author=bibtex_escape(author) if author_name else "{" + bibtex_escape(author) + "}",
        published=published,
        title=summary.title,
        kind="Blog post",
        publisher=PUBLISHER,
        url=absolute_url(summary.get_absolute_url()),
        key=bibtex_key(summary.slug[:40], str(published.year)),
    )
