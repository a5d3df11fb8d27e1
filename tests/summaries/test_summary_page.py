"""The summary permalink /YYYY/MM/DD/slug/: published summaries only, body
sanitised at render time."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from chats.models import Chat
from summaries.services.rendering import summary_render
from tests.factories import ChatFactory, SummaryFactory

pytestmark = pytest.mark.django_db

# 18 January 2019, 01:30 UTC is still 17 January in Toronto (the site's timezone).
LATE_EVENING = datetime(2019, 1, 18, 1, 30, tzinfo=UTC)


@pytest.fixture
def summary(django_user_model):
    author = django_user_model.objects.create_user("sam", first_name="Sam", last_name="Moderator")
    chat = ChatFactory(number=116, slug="hcsmca-116", title="Trusting health information online")
    summary = SummaryFactory(
        chat=chat, author=author, title="What we learned about trust", slug="what-we-learned-about-trust",
        published_at=LATE_EVENING,
        body_html='<h2>Takeaways</h2><p>Check <a href="https://example.org/x">sources</a>.</p>',
    )
    summary.tags.add("Trust", "Health literacy")
    return summary


def test_permalink_is_dated_in_the_site_timezone(summary, settings):
    assert settings.TIME_ZONE == "America/Toronto"
    assert summary.get_absolute_url() == "/2019/01/17/what-we-learned-about-trust/"


def test_summary_page(client, summary):
    response = client.get("/2019/01/17/what-we-learned-about-trust/")
    html = response.content.decode()

    assert response.status_code == 200
    assert "<h1>What we learned about trust</h1>" in html
    assert "17 January 2019" in html and "Sam Moderator" in html
    assert '<a href="/chats/hcsmca-116/">#hcsmca 116: Trusting health information online</a>' in html
    assert '<h2>Takeaways</h2>' in html
    assert '<a href="https://example.org/x" rel="nofollow ugc noopener">sources</a>' in html
    assert '<li><a rel="tag" href="/summaries/tags/trust/">Trust</a></li>' in html
    assert '<li><a rel="tag" href="/summaries/tags/health-literacy/">Health literacy</a></li>' in html
    assert "<title>What we learned about trust · #hcsmca archive</title>" in html
    assert html.count("<h1") == 1


def test_body_is_sanitised_at_render_time(client, summary):
    summary.body_html = (
        '<p onclick="steal()">Hi<script>alert(1)</script></p><img src="x" onerror="alert(2)">'
        '<a href="javascript:alert(3)">bad</a><style>body{display:none}</style><iframe src="https://e.x"></iframe>'
    )
    summary.save()
    html = client.get(summary.get_absolute_url()).content.decode()
    body = html[html.index('<div class="summary-body">'):]
    for danger in ("<script", "alert(1)", "onclick", "onerror", "javascript:", "<style", "<iframe"):
        assert danger not in body, danger
    assert "<p>Hi</p>" in body


def test_title_and_tags_are_escaped(client, summary):
    summary.title = "<script>alert('t')</script>"
    summary.save()
    summary.tags.add("<b>tag</b>")
    html = client.get(summary.get_absolute_url()).content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "<b>tag</b>" not in html


@pytest.mark.parametrize("status, published_at", [
    ("draft", None),
    ("scheduled", timezone.now() + timedelta(days=2)),
    ("published", timezone.now() + timedelta(days=2)),  # published, but not yet
])
def test_unpublished_summaries_are_not_found(client, summary, status, published_at):
    summary.status, summary.published_at = status, published_at
    summary.save()
    url = f"/{LATE_EVENING:%Y/%m}/17/{summary.slug}/"
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", [
    "/2019/01/18/what-we-learned-about-trust/",  # the UTC date, not the site's
    "/2018/01/17/what-we-learned-about-trust/",
    "/2019/1/17/what-we-learned-about-trust/",  # the old blog zero-padded
    "/2019/01/17/another-summary/",
])
def test_wrong_date_or_slug_is_not_found(client, summary, url):
    assert client.get(url).status_code == 404


def test_a_summary_of_a_hidden_chat_does_not_link_to_it(client, summary):
    Chat.objects.filter(pk=summary.chat_id).update(visibility=Chat.Visibility.HIDDEN)
    html = client.get(summary.get_absolute_url()).content.decode()
    assert "hcsmca-116" not in html and "Trusting health information online" not in html


def test_summary_without_chat_or_author(client):
    summary = SummaryFactory(chat=None, author=None, slug="standalone",
                             published_at=datetime(2019, 3, 1, 15, tzinfo=UTC))
    response = client.get("/2019/03/01/standalone/")
    assert response.status_code == 200
    assert "summary of" not in response.content.decode()


def test_summary_page_query_count(client, summary, django_assert_num_queries):
    # Served as the worker stored it on publishing.
    summary = summary_render(summary_id=summary.pk)
    # the summary (author and chat joined), its tags, featured studies and
    # links, the chat's questions, the previous and the next of the series,
    # and its comments (the whole thread in one)
    with django_assert_num_queries(9):  # 8 + the chat's dataset bundles (Data section)
        assert client.get(summary.get_absolute_url()).status_code == 200
