"""Placeholder while the twitter-v2 importer is written; refuses every file."""
from __future__ import annotations

from typing import BinaryIO, Iterator

from .base import ParseContext, ParseResult, TranscriptFormatError

format_name = "twitter-v2"
label = "twitter-v2"


def sniff(head: bytes) -> bool:
    return False


def parse(stream: BinaryIO, context: ParseContext = ParseContext()) -> Iterator[ParseResult]:
    raise TranscriptFormatError("the twitter-v2 format is not supported yet")
