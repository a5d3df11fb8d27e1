"""Fetching a page named by someone else (a linkback's source) without
letting them aim this server at itself or the private network behind it.

Only http and https. The host is resolved once and every address checked:
private, loopback, link-local, multicast, reserved and unspecified addresses
are refused (settings.LINKBACK_ALLOW_PRIVATE_ADDRESSES lifts that, for tests
against a local server only). The connection then goes to the checked address
itself, while TLS and the Host header still name the host, so a second DNS
answer cannot swap in another address between check and connect. Redirects
are followed by hand, a few at most, each checked the same way. Every socket
operation has a timeout, the whole fetch a deadline, and the body a size
limit; only HTML is read.

Standard library only (http.client, socket, ipaddress, html.parser).
"""
from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import ssl
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import quote, urljoin, urlsplit

from django.conf import settings

HTML_TYPES = {"text/html", "application/xhtml+xml"}
USER_AGENT = "hcsmca-archive linkback verifier (+https://github.com/hcsmca)"


class FetchRefused(Exception):
    """The source may not or could not be fetched; the message says why (for
    logs). ``gone`` when the page answered 404 or 410: it no longer exists,
    as opposed to a fetch that failed."""

    def __init__(self, message: str, *, gone: bool = False):
        super().__init__(message)
        self.gone = gone


@dataclass(frozen=True)
class FetchedPage:
    url: str  # after redirects: relative links resolve against it
    status: int
    content_type: str
    text: str


def address_allowed(address: str) -> bool:
    """Whether a resolved address is on the public internet."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback
    return not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
        or ip.is_reserved or ip.is_unspecified or not ip.is_global
    )


def resolve_public(host: str, port: int) -> str:
    """The address to connect to for ``host``: refused if any of its
    addresses is not public (a name that also points inside is not trusted)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise FetchRefused(f"cannot resolve {host!r}: {error}") from None
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise FetchRefused(f"{host!r} has no address")
    if not settings.LINKBACK_ALLOW_PRIVATE_ADDRESSES:
        refused = [address for address in addresses if not address_allowed(address)]
        if refused:
            raise FetchRefused(f"{host!r} resolves to a non-public address {refused[0]}")
    return addresses[0]


def _connection(scheme: str, host: str, port: int, address: str, timeout: float) -> http.client.HTTPConnection:
    if scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)

    # http.client connects to (self.host, port) and, for https, wraps the
    # socket with server_hostname=self.host: only the TCP connection is
    # redirected to the address already checked.
    def connect_to_checked(_address, connect_timeout, source_address=None):
        return socket.create_connection((address, port), connect_timeout, source_address)

    conn._create_connection = connect_to_checked  # type: ignore[attr-defined]
    return conn


def _split(url: str):
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchRefused(f"only http and https may be fetched, not {parts.scheme!r}")
    if not parts.hostname:
        raise FetchRefused("no host in the URL")
    if parts.username or parts.password:
        raise FetchRefused("credentials in the URL")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise FetchRefused("bad port") from None
    try:
        host = parts.hostname.encode("idna").decode("ascii")  # IDN hosts as the wire wants them
    except UnicodeError:
        raise FetchRefused(f"bad host name {parts.hostname!r}") from None
    # Non-ASCII in the path percent-encoded; what is already encoded stays.
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=~-._")
    if parts.query:
        path += "?" + quote(parts.query, safe="/%:@!$&'()*+,;=?~-._")
    return parts.scheme, host, port, path


def fetch_html(url: str) -> FetchedPage:
    """GET ``url`` within the limits in settings (LINKBACK_FETCH_TIMEOUT per
    socket operation, LINKBACK_FETCH_TOTAL_TIMEOUT overall,
    LINKBACK_FETCH_MAX_BYTES of body, LINKBACK_FETCH_MAX_REDIRECTS); raises
    FetchRefused for anything else than an HTML page read in full."""
    timeout = settings.LINKBACK_FETCH_TIMEOUT
    deadline = time.monotonic() + settings.LINKBACK_FETCH_TOTAL_TIMEOUT
    max_bytes = settings.LINKBACK_FETCH_MAX_BYTES
    for _hop in range(settings.LINKBACK_FETCH_MAX_REDIRECTS + 1):
        scheme, host, port, path = _split(url)
        address = resolve_public(host, port)
        conn = _connection(scheme, host, port, address, timeout)
        try:
            conn.request("GET", path, headers={
                "User-Agent": USER_AGENT, "Accept": "text/html, application/xhtml+xml;q=0.9",
                "Accept-Encoding": "identity",
            })
            response = conn.getresponse()
            if response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location")
                if not location:
                    raise FetchRefused(f"redirect without a Location from {url}")
                url = urljoin(url, location)
                continue
            if response.status != 200:
                raise FetchRefused(f"{url} answered {response.status}", gone=response.status in (404, 410))
            content_type = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
            if content_type not in HTML_TYPES:
                raise FetchRefused(f"{url} is {content_type or 'of no type'}, not HTML")
            declared = response.getheader("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchRefused(f"{url} is {declared} bytes, over {max_bytes}")
            body = bytearray()
            while True:
                if time.monotonic() > deadline:
                    raise FetchRefused(f"{url} took longer than {settings.LINKBACK_FETCH_TOTAL_TIMEOUT} s")
                chunk = response.read(min(65536, max_bytes + 1 - len(body)))
                if not chunk:
                    break
                body += chunk
                if len(body) > max_bytes:
                    raise FetchRefused(f"{url} is over {max_bytes} bytes")
            charset = response.headers.get_content_charset() or "utf-8"
            try:
                text = bytes(body).decode(charset, errors="replace")
            except LookupError:
                text = bytes(body).decode("utf-8", errors="replace")
            return FetchedPage(url=url, status=response.status, content_type=content_type, text=text)
        # socket.timeout is an OSError; a URL http.client will not send is a ValueError.
        except (OSError, http.client.HTTPException, ValueError) as error:
            raise FetchRefused(f"fetching {url} failed: {error!r}") from None
        finally:
            conn.close()
    raise FetchRefused(f"more than {settings.LINKBACK_FETCH_MAX_REDIRECTS} redirects")


# --- Does the page link to us? ------------------------------------------------

EXCERPT_CHARS = 280
_SPACE = re.compile(r"\s+")


def same_target(href: str, base_url: str, target_path: str) -> bool:
    """Whether ``href`` (relative ones resolved against ``base_url``) names
    the page at ``target_path``: the path alone is compared, with or without
    its trailing slash, whatever the scheme or host (the site answers on
    more than one name, and the path is unique to the summary)."""
    try:
        resolved = urlsplit(urljoin(base_url, href.strip()))
    except ValueError:
        return False
    if resolved.scheme not in ("http", "https"):
        return False
    return resolved.path.rstrip("/") == target_path.rstrip("/")


class _LinkFinder(HTMLParser):
    """Collects the page's title and visible text, and where in that text
    the first link to the target is."""

    SKIP = {"script", "style", "noscript", "template"}

    def __init__(self, base_url: str, target_path: str):
        super().__init__(convert_charrefs=True)
        self.base_url = base_url
        self.target_path = target_path
        self.title_parts: list[str] = []
        self.text_parts: list[str] = []
        self.text_length = 0
        self.link_at: int | None = None
        self._in_title = False
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skipping += 1
        elif tag == "title":
            self._in_title = True
        elif tag == "base":
            href = dict(attrs).get("href")
            if href:
                self.base_url = urljoin(self.base_url, href)
        elif tag == "a" and self.link_at is None:
            href = dict(attrs).get("href")
            if href and same_target(href, self.base_url, self.target_path):
                self.link_at = self.text_length

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skipping:
            self._skipping -= 1
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title_parts.append(data)
        elif not self._skipping:
            piece = data if data.strip() else " "
            self.text_parts.append(piece)
            self.text_length += len(piece)


@dataclass(frozen=True)
class LinkFound:
    title: str  # plain text, unescaped: escape when showing
    excerpt: str  # plain text around the link


def find_link(page: FetchedPage, target_path: str) -> LinkFound | None:
    """The page's title and an excerpt around its first link to
    ``target_path``, or None when it has no such link."""
    finder = _LinkFinder(page.url, target_path)
    finder.feed(page.text)
    finder.close()
    if finder.link_at is None:
        return None
    text = "".join(finder.text_parts)
    half = EXCERPT_CHARS // 2
    start = max(0, finder.link_at - half)
    end = finder.link_at + half
    words = _SPACE.sub(" ", text[start:end]).strip().split(" ")
    # Whole words only: a cut word at either end is left out.
    if start > 0 and len(words) > 1 and not text[start - 1].isspace():
        words = words[1:]
    if end < len(text) and len(words) > 1 and not text[end].isspace():
        words = words[:-1]
    excerpt = " ".join(words)
    if start > 0:
        excerpt = "… " + excerpt
    if end < len(text):
        excerpt += " …"
    title = _SPACE.sub(" ", "".join(finder.title_parts)).strip()
    return LinkFound(title=title, excerpt=excerpt)
