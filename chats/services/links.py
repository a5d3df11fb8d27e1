"""URL normalisation shared by the loader and (later) link pages."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that only track the click; dropping them makes the same
# article shared from two newsletters one link.
TRACKING_PARAMS = {"fbclid", "gclid", "mc_cid", "mc_eid", "igshid", "ref_src", "ref_url"}


def normalise_url(url: str) -> str:
    """A canonical form of ``url`` for counting shares, or "" if it is not http(s)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"} or not parts.hostname:
        return ""
    host = parts.hostname.lower()
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
         if not k.lower().startswith("utm_") and k.lower() not in TRACKING_PARAMS]
    )
    return urlunsplit((scheme, host, parts.path or "/", query, ""))


def domain_of(normalised_url: str) -> str:
    host = urlsplit(normalised_url).hostname or ""
    return host.removeprefix("www.")
