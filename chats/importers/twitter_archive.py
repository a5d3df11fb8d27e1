"""Placeholder while the twitter-archive importer is written; refuses every file."""
from __future__ import annotations

from typing import BinaryIO, Iterator

from .base import ParseContext, ParseResult, TranscriptFormatError

format_name = "twitter-archive"
label = "twitter-archive"


def sniff(head: bytes) -> bool:
    return False


def parse(stream: BinaryIO, context: ParseContext = ParseContext()) -> Iterator[ParseResult]:
    raise TranscriptFormatError("the twitter-archive format is not supported yet")
