"""Reader browsing pages: participants (more pages join here). Views stay
thin: QuerySet methods and small helpers here do the reading."""
from __future__ import annotations

from django.db.models import Exists, F, OuterRef
from django.http import Http404
from django.shortcuts import render

from chats.models import Author, Chat, Post


def public_posts():
    """Posts readers may see: those of public, archived chats (never a post
    outside any chat, never a hidden or scheduled chat's)."""
    return Post.objects.filter(chat__in=Chat.objects.archived())


def participant(request, platform: str, handle: str):
    # Several Author rows can share a handle (an account renamed, the old
    # handle reused): the most recently seen profile is the one meant.
    author = (
        Author.objects.filter(platform=platform, handle=handle)
        .filter(Exists(public_posts().filter(author=OuterRef("pk"))))
        .order_by(F("profile_seen_at").desc(nulls_last=True), "-pk")
        .first()
    )
    if author is None:
        raise Http404("No such participant in the public archive.")
    posts = public_posts().filter(author=author).select_related("chat__series").order_by("-created_at", "-external_id")
    return render(request, "chats/participant.html", {"author": author, "posts": posts[:50]})
