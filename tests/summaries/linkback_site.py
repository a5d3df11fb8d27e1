"""A real HTTP server on 127.0.0.1 playing the other site in linkback
tests: each test puts the pages it needs in ``site.pages`` (path -> Page)
and the verifier fetches them over a socket like any other site.

Imported by the linkback test modules (tests/summaries/test_linkbacks*.py).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Page:
    body: bytes | str = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering: a slow site


@dataclass
class SourceSite:
    base: str
    pages: dict[str, Page]
    requests: list[str]

    def url(self, path: str) -> str:
        return self.base + path


def linking_page(href: str, *, title: str = "A blog about health", before: str = "Read", after: str = "today.") -> str:
    return (
        f"<!doctype html><html><head><title>{title}</title></head><body>"
        f"<script>var noise = 'not text';</script>"
        f"<p>{before} <a href=\"{href}\">this summary of the chat</a> {after}</p></body></html>"
    )


@pytest.fixture
def source_site():
    pages: dict[str, Page] = {}
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the http.server API)
            requests.append(self.path)
            page = pages.get(self.path)
            if page is None:
                self.send_error(404)
                return
            if page.delay:
                time.sleep(page.delay)
            body = page.body.encode() if isinstance(page.body, str) else page.body
            try:
                self.send_response(page.status)
                self.send_header("Content-Type", page.content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in page.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the verifier gave up first, as it should

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield SourceSite(base=f"http://127.0.0.1:{server.server_address[1]}", pages=pages, requests=requests)
    finally:
        server.shutdown()
        server.server_close()
