"""Placeholder while the mastodon importer is written; refuses every file."""
from __future__ import annotations

from typing import BinaryIO, Iterator

from .base import ParseContext, ParseResult, TranscriptFormatError

format_name = "mastodon"
label = "mastodon"


def sniff(head: bytes) -> bool:
    return False


def parse(stream: BinaryIO, context: ParseContext = ParseContext()) -> Iterator[ParseResult]:
    raise TranscriptFormatError("the mastodon format is not supported yet")
