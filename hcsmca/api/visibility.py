"""What the API shows: exactly what the reader pages show.

Chats archived and public (``Chat.objects.archived()``), their posts (never a
post outside any chat), published summaries (``Summary.objects.published()``)
and their approved comments. A redacted author (``Author.redacted_at``) and
the author of a post removed at its author's request are never named.

These QuerySets live here, not on the models' QuerySets, because chats/ and
summaries/ are not the API's to change; they can move there when something
else needs them.
"""
from __future__ import annotations

from django.db.models import Exists, OuterRef

from chats.browse import public_posts
from chats.models import Author, Chat, Link, PostLink, Removal, Study
from summaries.models import Comment, Summary


def reader_chats():
    return Chat.objects.archived()


def reader_posts():
    """Posts of public archived chats, removed ones included (as placeholders:
    they keep thread structure and counts)."""
    return public_posts()


def attributed_posts():
    """Public posts whose author may be named."""
    return public_posts().exclude(removed=Removal.AUTHOR_REQUEST).filter(author__redacted_at__isnull=True)


def reader_authors():
    """Participants: not redacted, with a public post they may be named on."""
    return Author.objects.filter(redacted_at__isnull=True).filter(
        Exists(attributed_posts().filter(author=OuterRef("pk"))))


def public_shares():
    """Shares of links in public posts whose content is there (a removed
    post's URLs are gone with its text)."""
    return PostLink.objects.filter(post__in=public_posts().filter(removed=""))


def published_summaries():
    return Summary.objects.published()


def reader_links():
    """Links shared in public posts. (A link a summary features is given
    inline with the summary.) One EXISTS, not EXISTS ... OR EXISTS: with
    the OR, PostgreSQL hashed every public share before the first page."""
    return Link.objects.filter(Exists(public_shares().filter(link=OuterRef("pk"))))


def reader_studies():
    """Studies a link shared in a public post points to."""
    return Study.objects.filter(Exists(public_shares().filter(link__study=OuterRef("pk"))))


def approved_comments():
    return Comment.objects.filter(status=Comment.Status.APPROVED, summary__in=published_summaries())
