"""Transcript parsers: one pure module per format, a registry and detection.

Every parser module exposes ``format_name``, ``label``, ``sniff(head)`` and
``parse(stream)`` (see ``base.Parser``). Add a format by writing a module and
listing it in ``PARSERS``; ``detect`` asks each in order.
"""
from __future__ import annotations

from types import ModuleType

from . import bluesky, csv_exports, mastodon, twitter_archive, twitter_v1, twitter_v2
from .base import (
    HEAD_SIZE,
    ParseContext,
    ParsedAuthor,
    ParsedMedia,
    ParsedPost,
    ParseResult,
    SkippedRecord,
    TranscriptFormatError,
)

# Every format name the import contract accepts (architecture.md, section 4).
# Those without a parser yet are refused with a clear message.
FORMAT_NAMES = ("twitter-v1", "twitter-v2", "twitter-archive", "csv", "mastodon", "bluesky", "wxr")

# Detection asks in this order: the most specific signatures first.
PARSERS: dict[str, ModuleType] = {
    module.format_name: module
    for module in (twitter_archive, twitter_v2, mastodon, bluesky, twitter_v1, csv_exports)
}


def expected_formats() -> str:
    return "; ".join(f"{name} ({module.label})" for name, module in PARSERS.items())


def detect(head: bytes) -> str | None:
    """The format name of a file whose first bytes are ``head``, or None."""
    for name, module in PARSERS.items():
        if module.sniff(head):
            return name
    return None


def get_parser(format_name: str) -> ModuleType:
    if format_name in PARSERS:
        return PARSERS[format_name]
    if format_name in FORMAT_NAMES:
        raise TranscriptFormatError(f"the {format_name!r} format is not supported yet; supported: {expected_formats()}")
    raise TranscriptFormatError(f"unknown format {format_name!r}; expected one of {', '.join(FORMAT_NAMES)}")


__all__ = [
    "FORMAT_NAMES",
    "HEAD_SIZE",
    "PARSERS",
    "ParseContext",
    "ParseResult",
    "ParsedAuthor",
    "ParsedMedia",
    "ParsedPost",
    "SkippedRecord",
    "TranscriptFormatError",
    "detect",
    "expected_formats",
    "get_parser",
]
