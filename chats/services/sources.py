"""Compressed transcripts: a ``.gz`` file or a ``.zip`` of transcript files
becomes one source per transcript, decompressed lazily while the import reads.

Why it looks like this:

- Nothing is extracted to disk: a zip member's name (``../evil.json`` or
  ``/etc/passwd``) is only ever a label in messages, never a path.
- The kind is told by the file's first bytes, not by its name, which the
  uploader chose.
- A small file can decompress to an enormous one (a "zip bomb"). Every
  decompressed stream counts what it yields and stops past
  ``HCSMCA_MAX_DECOMPRESSED_BYTES`` (shared by all members of one archive),
  or when it has grown more than ``HCSMCA_MAX_DECOMPRESSION_RATIO`` times the
  compressed size, so a bomb fails after a bounded amount of work. The
  sizes a zip declares are not trusted: they are what the bomb lies about.
"""
from __future__ import annotations

import gzip
import io
import struct
import zipfile
import zlib
from contextlib import ExitStack
from dataclasses import dataclass
from typing import BinaryIO

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
# Below this many bytes the ratio is not checked: a small, very repetitive
# transcript (a test file, a quiet chat) compresses far better than a big one.
RATIO_FLOOR_BYTES = 16 * 1024 * 1024


class DecompressionRefused(Exception):
    """A compressed source that is unreadable or grows past the limits."""


@dataclass
class Budget:
    """What one compressed file may still yield, shared by its members."""

    limit: int
    max_ratio: int
    compressed_size: int
    used: int = 0

    def spend(self, count: int, label: str) -> None:
        self.used += count
        if self.used > self.limit:
            raise DecompressionRefused(
                f"{label}: decompresses to more than {self.limit:,} bytes, the limit (a zip bomb?); nothing was imported")
        if self.used > RATIO_FLOOR_BYTES and self.used > self.max_ratio * max(self.compressed_size, 1):
            raise DecompressionRefused(
                f"{label}: decompresses to more than {self.max_ratio} times its compressed size "
                f"({self.compressed_size:,} bytes), which no transcript does (a zip bomb?); nothing was imported")


class LimitedReader(io.RawIOBase):
    """A decompressed stream that charges what it yields to a ``Budget``, and
    turns the decompressor's own errors into ``DecompressionRefused``.

    Seeking back to the start (the importer reads a file's head, then
    rewinds) re-reads from the start; only bytes beyond the furthest point
    already read are charged again, so a rewind costs no budget."""

    def __init__(self, stream: BinaryIO, budget: Budget, label: str):
        self._stream = stream
        self._budget = budget
        self._label = label
        self._position = 0
        self._furthest = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence != io.SEEK_SET:
            raise io.UnsupportedOperation("a decompressed stream seeks from its start only")
        self._position = self._call(self._stream.seek, offset)
        return self._position

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            # Read in pieces so the budget stops a bomb before it is in memory.
            parts = []
            while chunk := self.read(1024 * 1024):
                parts.append(chunk)
            return b"".join(parts)
        return self._charge(self._call(self._stream.read, size))

    def readline(self, size: int = -1) -> bytes:
        if size is not None and size >= 0:
            return self._charge(self._call(self._stream.readline, size))
        # An endless line is read in pieces, each charged, so a bomb of one
        # line stops at the limits like any other.
        parts = []
        while True:
            part = self._charge(self._call(self._stream.readline, 1024 * 1024))
            parts.append(part)
            if not part or part.endswith(b"\n"):
                return b"".join(parts)

    def _charge(self, data: bytes) -> bytes:
        self._position += len(data)
        if self._position > self._furthest:
            self._budget.spend(self._position - self._furthest, self._label)
            self._furthest = self._position
        return data

    def _call(self, function, *args):
        try:
            return function(*args)
        except (OSError, EOFError, zlib.error, zipfile.BadZipFile, NotImplementedError, RuntimeError) as exc:
            raise DecompressionRefused(f"{self._label}: cannot be decompressed: {exc}") from exc


def compression_of(head: bytes) -> str | None:
    """"gzip", "zip" or None (not compressed), by the file's first bytes."""
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZIP_MAGICS):
        return "zip"
    return None


def decompressed(name: str, stream: BinaryIO, size: int, *, stack: ExitStack, limit: int,
                 max_ratio: int) -> list[tuple[str, BinaryIO, int]]:
    """``(name, stream, size)`` of each transcript in a compressed file, or the
    file itself when it is not compressed. The streams are closed with ``stack``."""
    head = stream.read(4)
    stream.seek(0)
    kind = compression_of(head)
    if kind is None:
        return [(name, stream, size)]
    if not size:
        # Not given (a caller with an open stream): the guards need it.
        size = stream.seek(0, io.SEEK_END)
        stream.seek(0)
    budget = Budget(limit=limit, max_ratio=max_ratio, compressed_size=size)
    if kind == "gzip":
        declared = _gzip_size(stream, size)
        gz = stack.enter_context(gzip.GzipFile(fileobj=stream, mode="rb"))
        return [(name, LimitedReader(gz, budget, name), declared)]
    try:
        archive = stack.enter_context(zipfile.ZipFile(stream))
        members = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise DecompressionRefused(f"{name}: not a readable zip file: {exc}") from exc
    if not members:
        raise DecompressionRefused(f"{name}: the zip file holds no files")
    if sum(info.compress_size for info in members) > size:
        raise DecompressionRefused(f"{name}: the zip file's members are larger than the file (a damaged zip?)")
    sources = []
    for info in members:
        # The member's name is a label only: it is never joined to a directory.
        label = f"{name}: {info.filename}"
        member = stack.enter_context(archive.open(info))
        sources.append((label, LimitedReader(member, budget, label), min(info.file_size, limit)))
    return sources


def _gzip_size(stream: BinaryIO, size: int) -> int:
    """The size a gzip file declares in its trailer (modulo 4 GiB): only for
    the progress bar, never trusted as a limit."""
    if size < 18:
        return 0
    stream.seek(size - 4)
    declared = struct.unpack("<I", stream.read(4))[0]
    stream.seek(0)
    return declared
