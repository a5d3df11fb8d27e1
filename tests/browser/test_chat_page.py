"""The chat page in a real browser: user content never runs, anchors work."""
from datetime import UTC, datetime, timedelta

import pytest

from chats.models import Author, Chat, Post, Question, Series

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.browser]

HOSTILE_NAME = '<img src=x onerror="alert(\'name\')">'
HOSTILE_TEXT = "A1 <script>alert('text')</script> see https://example.org/study?a=1&b=2 and javascript:alert('link')"


@pytest.fixture
def chat():
    series = Series.objects.create(hashtag="hcsmca", name="Health Care Social Media Canada")
    start = datetime(2025, 3, 12, 0, 0, tzinfo=UTC)
    chat = Chat.objects.create(series=series, number=116, slug="hcsmca-116", title="Self-care",
                               start=start, end=start + timedelta(hours=1))
    host = Author.objects.create(platform="twitter", platform_id="1", handle="hcsmca", display_name="HCSM Canada")
    guest = Author.objects.create(platform="twitter", platform_id="2", handle="guest", display_name=HOSTILE_NAME)
    asked = Post.objects.create(platform="twitter", external_id="1001", chat=chat, author=host, created_at=start,
                                text="T1: What helps?", original={}, content_hash="x")
    question = Question.objects.create(chat=chat, label="T1", text="What helps?", asked_by=asked, asked_at=start)
    for minute in range(1, 60):
        Post.objects.create(platform="twitter", external_id=str(2000 + minute), chat=chat, author=guest,
                            created_at=start + timedelta(minutes=minute), text=HOSTILE_TEXT, original={},
                            content_hash="x", question=question, question_source="label")
    return chat


def test_hostile_posts_render_as_text_and_run_nothing(live_server, chat, page):
    page.goto(f"{live_server.url}/chats/{chat.slug}/")
    assert page.dialogs == [] and page.errors == []
    first = page.locator("#post-2001")
    assert "<script>alert('text')</script>" in first.locator(".post-text").inner_text()
    assert HOSTILE_NAME in first.locator(".author").inner_text()
    assert page.locator("img[src=x]").count() == 0 and page.locator(".post-text script").count() == 0
    links = first.locator(".post-text a")
    assert links.count() == 1
    assert links.first.get_attribute("href") == "https://example.org/study?a=1&b=2"
    assert links.first.get_attribute("rel") == "nofollow ugc noopener"


def test_question_and_post_permalinks_take_the_reader_there(live_server, chat, page):
    page.goto(f"{live_server.url}/chats/{chat.slug}/")
    page.locator("#toc-T1 a.permalink").click()
    assert page.url.endswith("#T1")
    assert page.evaluate("document.querySelector(':target').id") == "T1"  # the section itself
    page.locator("#T1 h3 a.permalink").click()
    assert page.url.endswith("#T1")
    page.locator("#post-2030 a.permalink").click()
    assert page.url.endswith("#post-2030")
    assert page.evaluate("document.querySelector(':target').id") == "post-2030"


@pytest.fixture
def chat_with_retweets(chat):
    """The chat above, plus a retweet of an answer and a reply to it."""
    answer = Post.objects.get(external_id="2010")
    retweeter = Author.objects.create(platform="twitter", platform_id="3", handle="retweeter", display_name="Re Tweeter")
    Post.objects.create(platform="twitter", external_id="3001", chat=chat, author=retweeter,
                        created_at=answer.created_at + timedelta(seconds=20), text="RT @guest: A1", original={},
                        content_hash="x", repost_of=answer, repost_of_external_id="2010",
                        question=answer.question, question_source="repost")
    return chat


def test_the_time_order_link_lists_retweets_in_time_order(live_server, chat_with_retweets, page):
    page.goto(f"{live_server.url}/chats/{chat_with_retweets.slug}/")
    # By question, the retweet is folded into the post it retweets.
    assert page.locator("li.post#post-3001").count() == 0
    page.locator("#post-2010 .retweeters summary").click()
    assert "@retweeter" in page.locator("#post-2010 .retweeters").inner_text()

    page.get_by_role("link", name="by time (with retweets)").click()
    assert "order=time" in page.url
    assert page.get_by_role("link", name="by time (with retweets)").get_attribute("aria-current") == "page"
    ids = page.eval_on_selector_all("ol.posts-by-time > li.post", "items => items.map(item => item.id)")
    assert ids.index("post-2010") + 1 == ids.index("post-3001") < ids.index("post-2011")
    assert "Retweet of @guest" in page.locator("#post-3001 .post-meta").inner_text()
    assert page.errors == []


def test_times_also_show_in_the_readers_timezone(live_server, chat, tokyo_page):
    tokyo_page.goto(f"{live_server.url}/chats/{chat.slug}/")
    # The series is in Toronto (the factory default of Series is the site's
    # timezone); 00:00 UTC on 12 March 2025 is 09:00 in Tokyo.
    start = tokyo_page.locator(".chat-header time").first
    note = start.locator("xpath=following-sibling::span[1]")
    assert note.get_attribute("class") == "local-time"
    assert note.text_content() == " (09:00 your time, Asia/Tokyo)"
    assert tokyo_page.errors == []
