"""Webmention, pingback and trackback, end to end: the endpoint accepts,
the queued task (run eagerly, after commit) fetches the source from a real
local HTTP server and keeps the linkback for moderation only when the page
really links to the summary."""
from __future__ import annotations

import uuid
import xmlrpc.client
from datetime import timedelta

import pytest
from django.utils import timezone

from summaries.models import Comment
from summaries.services.linkbacks import linkback_verify
from tests.factories import SummaryFactory
from tests.summaries.linkback_site import Page, linking_page, source_site  # noqa: F401 (fixture)
from tests.summaries.workflow import eager_tasks  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _local_sources(settings):
    """The verifier may fetch the local server; short timeouts keep the slow cases quick."""
    settings.LINKBACK_ALLOW_PRIVATE_ADDRESSES = True
    settings.LINKBACK_FETCH_TIMEOUT = 1
    settings.LINKBACK_FETCH_TOTAL_TIMEOUT = 3


@pytest.fixture
def client(client):
    """A client with an address of its own (documentation range), so the
    rate limiter's counts in Redis never carry over between tests."""
    client.defaults["REMOTE_ADDR"] = f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"
    return client


@pytest.fixture
def summary():
    return SummaryFactory(published_at=timezone.now() - timedelta(days=2), comments_open=True)


def target_of(summary) -> str:
    return f"http://testserver{summary.get_absolute_url()}"


def linkbacks(summary):
    return list(Comment.objects.filter(summary=summary).order_by("pk"))


def send_webmention(client, source: str, target: str, capture):
    with capture(execute=True):
        return client.post("/webmention/", {"source": source, "target": target})


def pingback_body(source: str, target: str) -> bytes:
    return xmlrpc.client.dumps((source, target), methodname="pingback.ping", encoding="utf-8").encode()


def send_pingback(client, body: bytes, capture):
    with capture(execute=True):
        response = client.post("/xmlrpc/", body, content_type="text/xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    return response


def pingback_result(response):
    """The string answered, or the xmlrpc.client.Fault raised."""
    return xmlrpc.client.loads(response.content)[0][0]


# --- advertising ---------------------------------------------------------------------------


def test_the_summary_page_advertises_the_three_endpoints(client, summary):
    response = client.get(summary.get_absolute_url())
    assert response.status_code == 200
    assert response["Link"] == '<http://testserver/webmention/>; rel="webmention"'
    assert response["X-Pingback"] == "http://testserver/xmlrpc/"
    html = response.content.decode()
    assert '<link rel="webmention" href="http://testserver/webmention/">' in html
    assert '<link rel="pingback" href="http://testserver/xmlrpc/">' in html
    trackback_url = f"http://testserver{summary.get_absolute_url()}trackback/"
    assert f"Trackback URL: <code>{trackback_url}</code>" in html
    assert f'trackback:ping="{trackback_url}"' in html
    assert f'href="{summary.get_absolute_url()}comments/feed/"' in html


def test_closed_summaries_show_no_trackback_url(client):
    closed = SummaryFactory(published_at=timezone.now() - timedelta(days=2), comments_open=False)
    html = client.get(closed.get_absolute_url()).content.decode()
    assert "Trackback URL" not in html


# --- Webmention -----------------------------------------------------------------------------


def test_a_genuine_webmention_is_kept_for_moderation(client, summary, source_site, eager_tasks,
                                                     django_capture_on_commit_callbacks):
    source_site.pages["/post"] = Page(linking_page(target_of(summary), title="Nurse Jo's notes"))
    response = send_webmention(client, source_site.url("/post"), target_of(summary),
                               django_capture_on_commit_callbacks)
    assert response.status_code == 202
    [mention] = linkbacks(summary)
    assert mention.kind == Comment.Kind.WEBMENTION
    assert mention.status == Comment.Status.PENDING and mention.held_reason == "linkback"
    assert mention.author_name == "Nurse Jo's notes"
    assert mention.source_url == mention.author_url == source_site.url("/post")
    assert "this summary of the chat" in mention.body
    assert mention.body_html.startswith("<p>")


def test_a_false_webmention_is_dropped(client, summary, source_site, eager_tasks, django_capture_on_commit_callbacks):
    source_site.pages["/post"] = Page(linking_page("https://hcsmca.example/2019/01/16/another-summary/"))
    response = send_webmention(client, source_site.url("/post"), target_of(summary),
                               django_capture_on_commit_callbacks)
    # Accepted before checking (verification is asynchronous), then dropped.
    assert response.status_code == 202
    assert source_site.requests == ["/post"]
    assert linkbacks(summary) == []


def test_a_webmention_again_refreshes_it_and_a_withdrawn_one_is_deleted(
        client, summary, source_site, eager_tasks, django_capture_on_commit_callbacks):
    source, target = source_site.url("/post"), target_of(summary)
    source_site.pages["/post"] = Page(linking_page(target, after="first version."))
    send_webmention(client, source, target, django_capture_on_commit_callbacks)
    [first] = linkbacks(summary)
    Comment.objects.filter(pk=first.pk).update(status=Comment.Status.APPROVED)

    source_site.pages["/post"] = Page(linking_page(target, after="second version."))
    send_webmention(client, source, target, django_capture_on_commit_callbacks)
    [again] = linkbacks(summary)
    assert again.pk == first.pk
    assert "second version" in again.body
    assert again.status == Comment.Status.PENDING  # changed text is moderated again

    source_site.pages["/post"] = Page("<html><body><p>Link removed.</p></body></html>")
    send_webmention(client, source, target, django_capture_on_commit_callbacks)
    assert linkbacks(summary) == []


def test_a_source_that_fails_to_answer_does_not_withdraw_a_webmention(summary, source_site):
    source, target = source_site.url("/post"), target_of(summary)
    source_site.pages["/post"] = Page(linking_page(target))
    assert linkback_verify(summary_id=summary.pk, kind="webmention", source_url=source).status == "created"
    source_site.pages["/post"] = Page(linking_page(target), delay=2.5)
    assert linkback_verify(summary_id=summary.pk, kind="webmention", source_url=source).status == "dropped"
    assert len(linkbacks(summary)) == 1


@pytest.mark.parametrize(("data", "message"), [
    ({"target": "http://testserver/x/"}, "required"),
    ({"source": "http://blog.example/post"}, "required"),
    ({"source": "ftp://blog.example/post", "target": "{target}"}, "http or https"),
    ({"source": "javascript:alert(1)", "target": "{target}"}, "http or https"),
    ({"source": "{target}", "target": "{target}"}, "same URL"),
    ({"source": "http://blog.example/post", "target": "http://elsewhere.example{path}"}, "not on this site"),
    ({"source": "http://blog.example/post", "target": "http://testserver/2019/01/16/no-such-summary/"},
     "not a published summary"),
    ({"source": "http://blog.example/post", "target": "http://testserver/summaries/"}, "not a published summary"),
])
def test_webmentions_that_cannot_be_right_are_refused_at_once(client, summary, data, message):
    values = {key: value.format(target=target_of(summary), path=summary.get_absolute_url())
              for key, value in data.items()}
    response = client.post("/webmention/", values)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert linkbacks(summary) == []


def test_a_webmention_to_a_draft_or_a_closed_summary_is_refused(client):
    draft = SummaryFactory(status="draft", published_at=None)
    closed = SummaryFactory(published_at=timezone.now() - timedelta(days=2), comments_open=False)
    old = SummaryFactory(published_at=timezone.now() - timedelta(days=400), comments_open=True)
    for summary, message in ((draft, "not a published summary"), (closed, "no longer"), (old, "no longer")):
        response = client.post("/webmention/", {"source": "http://blog.example/post", "target": target_of(summary)})
        assert response.status_code == 400
        assert message in response.content.decode()


def test_webmention_takes_posts_only_and_no_csrf_token(summary):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True, REMOTE_ADDR="2001:db8::1:2")
    assert strict.get("/webmention/").status_code == 405
    response = strict.post("/webmention/", {"source": "http://blog.example/post", "target": target_of(summary)})
    assert response.status_code == 202


def test_linkback_requests_are_rate_limited_per_address(client, summary, settings):
    settings.LINKBACK_RATE_LIMIT = (2, 60)
    data = {"source": "http://blog.example/post", "target": target_of(summary)}
    assert [client.post("/webmention/", data).status_code for _ in range(3)] == [202, 202, 429]
    response = client.post("/xmlrpc/", pingback_body(data["source"], data["target"]), content_type="text/xml")
    assert fault_code(response) == 0x0031


def test_large_request_bodies_are_refused(client, summary):
    response = client.post("/webmention/", {"source": "http://blog.example/" + "a" * 70_000,
                                            "target": target_of(summary)})
    assert response.status_code == 413


# --- Pingback -------------------------------------------------------------------------------


def test_a_genuine_pingback_is_kept_for_moderation(client, summary, source_site, eager_tasks,
                                                   django_capture_on_commit_callbacks):
    source_site.pages["/post"] = Page(linking_page(summary.get_absolute_url(), title="Dr Amir's blog"))
    response = send_pingback(client, pingback_body(source_site.url("/post"), target_of(summary)),
                             django_capture_on_commit_callbacks)
    assert "received" in pingback_result(response)
    [pingback] = linkbacks(summary)
    assert (pingback.kind, pingback.status, pingback.author_name) == ("pingback", "pending", "Dr Amir's blog")

    # The same source again: already registered (0x0030).
    with pytest.raises(xmlrpc.client.Fault) as fault:
        pingback_result(send_pingback(client, pingback_body(source_site.url("/post"), target_of(summary)),
                                      django_capture_on_commit_callbacks))
    assert fault.value.faultCode == 0x0030
    assert len(linkbacks(summary)) == 1


def test_a_false_pingback_is_dropped(client, summary, source_site, eager_tasks, django_capture_on_commit_callbacks):
    source_site.pages["/post"] = Page(f"<html><body><p>We mention {target_of(summary)} unlinked.</p></body></html>")
    response = send_pingback(client, pingback_body(source_site.url("/post"), target_of(summary)),
                             django_capture_on_commit_callbacks)
    assert isinstance(pingback_result(response), str)
    assert source_site.requests == ["/post"]
    assert linkbacks(summary) == []


def fault_code(response) -> int:
    with pytest.raises(xmlrpc.client.Fault) as fault:
        pingback_result(response)
    return fault.value.faultCode


@pytest.mark.parametrize(("make_target", "code"), [
    (lambda summary: "http://testserver/2019/01/16/no-such-summary/", 0x0020),
    (lambda summary: "http://elsewhere.example/", 0x0020),
    (lambda summary: target_of(SummaryFactory(status="draft", published_at=None)), 0x0020),
    (lambda summary: target_of(SummaryFactory(published_at=timezone.now() - timedelta(days=1),
                                              comments_open=False)), 0x0021),
])
def test_pingbacks_to_targets_we_cannot_take_are_faults(client, summary, make_target, code,
                                                         django_capture_on_commit_callbacks):
    response = send_pingback(client, pingback_body("http://blog.example/post", make_target(summary)),
                             django_capture_on_commit_callbacks)
    assert fault_code(response) == code
    assert not Comment.objects.exists()


@pytest.mark.parametrize(("body", "code"), [
    (b"<methodCall><methodName>pingback.ping</methodName><params>", -32700),
    (b"not xml at all", -32700),
    (b"\xff\xfe<\x00m\x00", -32700),
    (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
     b"<methodCall><methodName>pingback.ping</methodName><params><param><value>&lol2;</value></param>"
     b"</params></methodCall>", -32700),
    (b'<?xml version="1.0" encoding="UTF-16"?><methodCall/>', -32700),
    (xmlrpc.client.dumps(("a",), methodname="system.listMethods").encode(), -32601),
    (xmlrpc.client.dumps(("http://blog.example/post",), methodname="pingback.ping").encode(), -32602),
    (xmlrpc.client.dumps((1, 2), methodname="pingback.ping").encode(), -32602),
    (xmlrpc.client.dumps(("ftp://blog.example/post", "http://testserver/"), methodname="pingback.ping").encode(),
     0x0010),
])
def test_malformed_or_hostile_xmlrpc_is_a_fault_never_an_error(client, body, code, django_capture_on_commit_callbacks):
    response = send_pingback(client, body, django_capture_on_commit_callbacks)
    assert fault_code(response) == code
    assert not Comment.objects.exists()


def test_doctype_is_refused_before_parsing(client, summary, django_capture_on_commit_callbacks):
    body = (b'<?xml version="1.0"?><!DOCTYPE methodCall SYSTEM "http://blog.example/evil.dtd">'
            + pingback_body("http://blog.example/post", target_of(summary)).split(b"?>", 1)[1])
    response = send_pingback(client, body, django_capture_on_commit_callbacks)
    assert fault_code(response) == -32700
    assert b"DOCTYPE" in response.content


# --- TrackBack --------------------------------------------------------------------------------


def send_trackback(client, summary, data, capture):
    with capture(execute=True):
        return client.post(f"{summary.get_absolute_url()}trackback/", data)


def test_a_genuine_trackback_is_kept_for_moderation(client, summary, source_site, eager_tasks,
                                                    django_capture_on_commit_callbacks):
    source_site.pages["/post"] = Page(linking_page(target_of(summary)))
    response = send_trackback(client, summary, {
        "url": source_site.url("/post"), "title": "Their title", "excerpt": "Their excerpt", "blog_name": "Health Blog",
    }, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert response.content.decode().split("?>", 1)[1].split() == ["<response>", "<error>0</error>", "</response>"]
    [trackback] = linkbacks(summary)
    assert (trackback.kind, trackback.status, trackback.author_name) == ("trackback", "pending", "Health Blog")
    # The stored text is what the page says, not what the ping claimed.
    assert "this summary of the chat" in trackback.body and "Their excerpt" not in trackback.body


def test_a_false_trackback_is_dropped(client, summary, source_site, eager_tasks, django_capture_on_commit_callbacks):
    source_site.pages["/post"] = Page(linking_page("/somewhere/else/"))
    response = send_trackback(client, summary, {"url": source_site.url("/post"), "blog_name": "Spam"},
                              django_capture_on_commit_callbacks)
    assert b"<error>0</error>" in response.content  # accepted, checked later
    assert source_site.requests == ["/post"]
    assert linkbacks(summary) == []


def test_trackback_errors(client, summary, django_capture_on_commit_callbacks):
    missing = send_trackback(client, summary, {"title": "no url"}, django_capture_on_commit_callbacks)
    assert b"<error>1</error>" in missing.content and b"url is required" in missing.content
    draft = SummaryFactory(status="draft", published_at=None)
    response = client.post(f"{draft.get_absolute_url()}trackback/", {"url": "http://blog.example/post"})
    assert response.status_code == 404 and b"<error>1</error>" in response.content
    closed = SummaryFactory(published_at=timezone.now() - timedelta(days=1), comments_open=False)
    response = send_trackback(client, closed, {"url": "http://blog.example/post"}, django_capture_on_commit_callbacks)
    assert b"<error>1</error>" in response.content and b"no longer" in response.content
    assert client.get(f"{summary.get_absolute_url()}trackback/").status_code == 405
    assert not Comment.objects.exists()


# --- hostile source pages ---------------------------------------------------------------------


def test_a_hostile_source_page_is_stored_as_escaped_text(summary, source_site):
    source_site.pages["/post"] = Page(
        "<html><head><title>&lt;script&gt;alert(1)&lt;/script&gt; Evil <b>blog</b></title></head><body>"
        "<p><img src=x onerror=alert(2)>Click &lt;a href=javascript:alert(3)&gt;here&lt;/a&gt; "
        f"<a href=\"{summary.get_absolute_url()}\" onclick=\"alert(4)\">our <em>link</em></a></p></body></html>"
    )
    outcome = linkback_verify(summary_id=summary.pk, kind="pingback", source_url=source_site.url("/post"))
    assert outcome.status == "created"
    [pingback] = linkbacks(summary)
    # Text only (entities decoded, tags dropped): templates and feeds escape it when shown.
    assert pingback.author_name == "<script>alert(1)</script> Evil blog"
    assert "<" not in pingback.body_html.removeprefix("<p>").removesuffix("</p>").replace("&lt;", "")
    assert "&lt;a href=javascript:alert(3)&gt;" in pingback.body_html
    assert "onerror" not in pingback.body_html and "onclick" not in pingback.body_html


def test_a_summary_gone_before_the_task_runs_drops_it(summary, source_site):
    source_site.pages["/post"] = Page(linking_page(target_of(summary)))
    summary_id = summary.pk
    summary.delete()
    assert linkback_verify(summary_id=summary_id, kind="webmention", source_url=source_site.url("/post")).status \
        == "dropped"
    assert source_site.requests == []


def test_with_private_addresses_refused_a_local_source_is_never_fetched(settings, summary, source_site):
    settings.LINKBACK_ALLOW_PRIVATE_ADDRESSES = False
    source_site.pages["/post"] = Page(linking_page(target_of(summary)))
    for source in (source_site.url("/post"), source_site.url("/post").replace("127.0.0.1", "localhost")):
        assert linkback_verify(summary_id=summary.pk, kind="webmention", source_url=source).status == "dropped"
    assert source_site.requests == []
    assert linkbacks(summary) == []


def test_one_source_keeps_one_linkback_per_summary_and_spam_stays_spam(summary, source_site):
    source = source_site.url("/post")
    source_site.pages["/post"] = Page(linking_page(target_of(summary), after="first."))
    assert linkback_verify(summary_id=summary.pk, kind="pingback", source_url=source).status == "created"
    # The same page notifying again by another protocol: still one linkback.
    assert linkback_verify(summary_id=summary.pk, kind="webmention", source_url=source).status == "unchanged"
    [linkback] = linkbacks(summary)
    assert linkback.kind == "pingback"

    Comment.objects.filter(pk=linkback.pk).update(status=Comment.Status.SPAM)
    source_site.pages["/post"] = Page(linking_page(target_of(summary), after="changed to look nicer."))
    assert linkback_verify(summary_id=summary.pk, kind="pingback", source_url=source).status == "unchanged"
    linkback.refresh_from_db()
    assert linkback.status == Comment.Status.SPAM and "first." in linkback.body


def test_an_approved_hostile_linkback_shows_on_the_page_as_text(client, summary, source_site):
    source_site.pages["/post"] = Page(
        "<html><head><title>&lt;script&gt;alert(1)&lt;/script&gt;</title></head><body>"
        f"<p>&lt;img src=x onerror=alert(2)&gt; <a href=\"{summary.get_absolute_url()}\">link</a></p></body></html>"
    )
    linkback_verify(summary_id=summary.pk, kind="webmention", source_url=source_site.url("/post"))
    Comment.objects.filter(summary=summary).update(status=Comment.Status.APPROVED)
    html = client.get(summary.get_absolute_url()).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html and "<img src=x" not in html
    assert f'href="{source_site.url("/post")}" rel="nofollow ugc noopener"' in html
