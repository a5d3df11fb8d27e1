"""The safe fetcher (summaries/fetch.py) against a real local server, and
its refusal of private addresses when the tests' exemption is off. No
database."""
from __future__ import annotations

import socket

import pytest

from summaries.fetch import FetchedPage, FetchRefused, address_allowed, fetch_html, find_link, same_target
from tests.summaries.linkback_site import Page, linking_page, source_site  # noqa: F401 (fixture)

TARGET = "/2019/01/16/trusting-health-information-online/"


@pytest.fixture
def local_allowed(settings):
    settings.LINKBACK_ALLOW_PRIVATE_ADDRESSES = True
    settings.LINKBACK_FETCH_TIMEOUT = 1
    settings.LINKBACK_FETCH_TOTAL_TIMEOUT = 3


# --- refusing addresses -------------------------------------------------------------


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
    "224.0.0.1", "240.0.0.1", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "::",
])
def test_non_public_addresses_are_not_allowed(address):
    assert not address_allowed(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address):
    assert address_allowed(address)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:{port}/page",
    "http://localhost:{port}/page",  # a name that resolves to loopback
    "http://[::1]:{port}/page",
    "http://10.0.0.1:{port}/page",
    "http://169.254.169.254/latest/meta-data/",
])
def test_private_sources_are_refused_before_any_request(settings, source_site, url):
    settings.LINKBACK_ALLOW_PRIVATE_ADDRESSES = False
    source_site.pages["/page"] = Page(linking_page(TARGET))
    port = source_site.base.rsplit(":", 1)[1]
    with pytest.raises(FetchRefused, match="non-public|resolve"):
        fetch_html(url.format(port=port))
    assert source_site.requests == []


@pytest.mark.parametrize("url", ["ftp://example.org/page", "file:///etc/passwd", "gopher://example.org/", "http:///x",
                                 "http://user:pw@example.org/"])
def test_only_plain_http_urls_are_fetched(url):
    with pytest.raises(FetchRefused):
        fetch_html(url)


def test_the_connection_goes_to_the_address_checked(settings, source_site, monkeypatch):
    """A second DNS answer (rebinding) cannot send the request elsewhere:
    the socket is opened to the first, checked, address."""
    settings.LINKBACK_ALLOW_PRIVATE_ADDRESSES = True
    source_site.pages["/page"] = Page(linking_page(TARGET))
    port = int(source_site.base.rsplit(":", 1)[1])
    answers = iter(["127.0.0.1", "10.255.255.1"])
    real = socket.getaddrinfo

    def rebinding(host, *args, **kwargs):
        if host == "rebind.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    page = fetch_html(f"http://rebind.test:{port}/page")
    assert "this summary" in page.text
    assert source_site.requests == ["/page"]


# --- limits -------------------------------------------------------------------------------


def test_an_html_page_is_read(local_allowed, source_site):
    source_site.pages["/page"] = Page(linking_page(TARGET))
    page = fetch_html(source_site.url("/page"))
    assert page.status == 200 and page.content_type == "text/html"
    assert TARGET in page.text


def test_redirects_are_followed_and_relative_links_resolve_against_the_last_url(local_allowed, source_site):
    source_site.pages["/old"] = Page(status=301, headers={"Location": "/posts/new"})
    source_site.pages["/posts/new"] = Page(linking_page("../2019/01/16/trusting-health-information-online"))
    page = fetch_html(source_site.url("/old"))
    assert page.url == source_site.url("/posts/new")
    assert find_link(page, TARGET) is not None


def test_too_many_redirects_are_refused(local_allowed, settings, source_site):
    settings.LINKBACK_FETCH_MAX_REDIRECTS = 2
    for hop in range(4):
        source_site.pages[f"/r{hop}"] = Page(status=302, headers={"Location": f"/r{hop + 1}"})
    source_site.pages["/r4"] = Page(linking_page(TARGET))
    with pytest.raises(FetchRefused, match="redirects"):
        fetch_html(source_site.url("/r0"))
    assert source_site.requests == ["/r0", "/r1", "/r2"]


def test_a_redirect_to_another_scheme_is_refused(local_allowed, source_site):
    source_site.pages["/old"] = Page(status=302, headers={"Location": "file:///etc/passwd"})
    with pytest.raises(FetchRefused, match="only http"):
        fetch_html(source_site.url("/old"))


def test_a_redirect_to_a_private_address_is_refused(settings, source_site, monkeypatch):
    """Each hop is checked again: the first host passes the check (standing
    for a public site), its redirect to loopback is refused unfetched."""
    settings.LINKBACK_ALLOW_PRIVATE_ADDRESSES = False
    port = int(source_site.base.rsplit(":", 1)[1])
    source_site.pages["/old"] = Page(status=302, headers={"Location": f"http://localhost:{port}/inside"})
    source_site.pages["/inside"] = Page(linking_page(TARGET))
    verdicts = iter([True])
    monkeypatch.setattr("summaries.fetch.address_allowed", lambda address: next(verdicts, False))
    with pytest.raises(FetchRefused, match="non-public"):
        fetch_html(f"http://127.0.0.1:{port}/old")
    assert source_site.requests == ["/old"]


def test_a_page_over_the_size_limit_is_refused(local_allowed, settings, source_site):
    settings.LINKBACK_FETCH_MAX_BYTES = 10_000
    source_site.pages["/big"] = Page(linking_page(TARGET) + "x" * 20_000)
    with pytest.raises(FetchRefused, match="bytes"):
        fetch_html(source_site.url("/big"))


def test_a_page_over_the_size_limit_without_a_length_is_refused_while_reading(local_allowed, settings, source_site):
    settings.LINKBACK_FETCH_MAX_BYTES = 10_000
    # No Content-Length: the limit is applied to what is read.
    source_site.pages["/big"] = Page(linking_page(TARGET) + "x" * 20_000, headers={})
    from http.server import BaseHTTPRequestHandler

    original = BaseHTTPRequestHandler.send_header

    def without_length(self, name, value):
        if name != "Content-Length":
            original(self, name, value)

    BaseHTTPRequestHandler.send_header = without_length
    try:
        with pytest.raises(FetchRefused, match="bytes"):
            fetch_html(source_site.url("/big"))
    finally:
        BaseHTTPRequestHandler.send_header = original


def test_a_slow_site_times_out(local_allowed, source_site):
    source_site.pages["/slow"] = Page(linking_page(TARGET), delay=2.5)
    with pytest.raises(FetchRefused, match="failed|longer"):
        fetch_html(source_site.url("/slow"))


@pytest.mark.parametrize("content_type", ["application/json", "image/png", "application/octet-stream"])
def test_only_html_is_read(local_allowed, source_site, content_type):
    source_site.pages["/data"] = Page(linking_page(TARGET), content_type=content_type)
    with pytest.raises(FetchRefused, match="not HTML"):
        fetch_html(source_site.url("/data"))


def test_a_missing_page_is_gone(local_allowed, source_site):
    with pytest.raises(FetchRefused) as refused:
        fetch_html(source_site.url("/nothing"))
    assert refused.value.gone


# --- finding the link -------------------------------------------------------------------


@pytest.mark.parametrize("href", [
    f"https://hcsmca.example{TARGET}",
    f"http://other-name.example{TARGET.rstrip('/')}",
    TARGET,
    f"{TARGET}#comments",
])
def test_links_to_the_permalink_match_whatever_the_host_or_last_slash(href):
    assert same_target(href, "https://blog.example/post/", TARGET)


@pytest.mark.parametrize("href", [
    "https://hcsmca.example/2019/01/16/another-summary/",
    f"https://hcsmca.example{TARGET}comments/",
    f"javascript:location='{TARGET}'",
    "mailto:someone@example.org",
])
def test_other_links_do_not_match(href):
    assert not same_target(href, "https://blog.example/post/", TARGET)


def test_find_link_gives_the_title_and_the_text_around_the_link():
    page = FetchedPage(url="https://blog.example/post/", status=200, content_type="text/html",
                       text=linking_page(TARGET, before="Before " * 60, after="After " * 60))
    found = find_link(page, TARGET)
    assert found.title == "A blog about health"
    assert "this summary of the chat" in found.excerpt
    assert found.excerpt.startswith("… Before") and found.excerpt.endswith("…")
    assert "noise" not in found.excerpt  # script text is not page text
    assert len(found.excerpt) < 320


def test_a_page_mentioning_the_url_only_as_text_has_no_link():
    page = FetchedPage(url="https://blog.example/post/", status=200, content_type="text/html",
                       text=f"<p>See https://hcsmca.example{TARGET} (not a link)</p><a href='/elsewhere/'>x</a>")
    assert find_link(page, TARGET) is None


def test_non_ascii_paths_are_sent_percent_encoded(local_allowed, source_site):
    source_site.pages["/billets/sant%C3%A9%20publique"] = Page(linking_page(TARGET))
    page = fetch_html(source_site.url("/billets/santé publique"))
    assert source_site.requests == ["/billets/sant%C3%A9%20publique"]
    assert find_link(page, TARGET) is not None
