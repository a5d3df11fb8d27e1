"""Transcript downloads as CSV and Markdown (architecture.md, section 4).

Thin views: ``chats.services.transcripts`` builds the documents; they carry
the same posts as ``transcript.json``.
"""
from __future__ import annotations

from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404

from chats.models import Chat
from chats.robots import noindex_header
from chats.services.transcripts import transcript_csv_chunks, transcript_markdown


def _visible_chat(slug: str) -> Chat:
    return get_object_or_404(Chat.objects.visible().select_related("series"), slug=slug)


def chat_transcript_csv(request, slug: str):
    chat = _visible_chat(slug)
    # Streamed: rows are written as the posts are read (see transcript_csv_chunks).
    response = StreamingHttpResponse(transcript_csv_chunks(chat), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{chat.slug}.csv"'
    return noindex_header(response, chat)


def chat_transcript_md(request, slug: str):
    chat = _visible_chat(slug)
    response = HttpResponse(transcript_markdown(chat), content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{chat.slug}.md"'
    return noindex_header(response, chat)
