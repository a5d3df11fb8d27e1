"""What the parser tests share: reading a file through a parser, picking out
the posts, writing JSON Lines, and a stream that must be read line by line.
No database, no Django.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from types import ModuleType

from chats.importers.base import ParseContext, ParsedPost

# Where each format's test files live: tests/fixtures/<folder> here and
# ../shared/data/samples/<folder> beside the checkout.
FIXTURES_DIR = Path(__file__).resolve().parents[2] / "fixtures"


def parse_file(parser: ModuleType, path: Path, context: ParseContext = ParseContext()) -> list:
    """Every result ``parser`` yields for the file at ``path``."""
    with open(path, "rb") as stream:
        return list(parser.parse(stream, context))


def posts_in(results: list) -> list[ParsedPost]:
    """The posts among a parser's results, skipped records left out."""
    return [result for result in results if isinstance(result, ParsedPost)]


def posts_by_record(results: list) -> dict[int, ParsedPost]:
    return {post.record: post for post in posts_in(results)}


def jsonl(*values, ensure_ascii: bool = True) -> bytes:
    """``values`` as JSON Lines, one value a line."""
    return b"".join(json.dumps(value, ensure_ascii=ensure_ascii).encode() + b"\n" for value in values)


class LineByLineOnly(io.BytesIO):
    """A stream that counts the lines read from it and fails when read whole:
    a parser of JSON Lines must hand out each post before reading further."""

    lines_read = 0

    def readline(self, *args):
        self.lines_read += 1
        return super().readline(*args)

    def read(self, *args):
        raise AssertionError("JSON Lines must not be read whole")
