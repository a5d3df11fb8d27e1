"""Reader pages: the chat list and a chat's transcript."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from chats.models import Chat, Post
from tests.factories import AuthorFactory, ChatFactory, PostFactory, QuestionFactory, SeriesFactory

pytestmark = pytest.mark.django_db


def html_of(response) -> str:
    return response.content.decode()


def post_ids_in_order(html: str) -> list[str]:
    return re.findall(r'<li id="post-(\d+)" class="post', html)


# --- the chat list -------------------------------------------------------------

def test_home_lists_archived_public_chats_newest_first(client):
    series = SeriesFactory()
    older = ChatFactory(series=series, number=115, title="Patient voices in research",
                        start=datetime(2019, 1, 9, 18, tzinfo=UTC))
    newer = ChatFactory(series=series, number=116, title="Trusting health information online",
                        start=datetime(2019, 1, 16, 18, tzinfo=UTC))
    hidden = ChatFactory(series=series, number=117, title="Withdrawn at the hosts' request",
                         visibility=Chat.Visibility.HIDDEN, start=datetime(2019, 1, 23, 18, tzinfo=UTC))
    scheduled = ChatFactory(series=series, number=118, title="Next week", status=Chat.Status.SCHEDULED,
                            start=datetime(2019, 1, 30, 18, tzinfo=UTC))
    jo, amir = AuthorFactory(handle="nurse_jo"), AuthorFactory(handle="dr_amir")
    for author in (jo, jo, amir):
        PostFactory(chat=newer, author=author)
    PostFactory(chat=older, author=jo)
    PostFactory(chat=hidden, author=jo)

    response = client.get("/")

    assert response.status_code == 200
    html = html_of(response)
    assert [chat.slug for chat in response.context["chats"]] == ["hcsmca-116", "hcsmca-115"]
    assert html.index('href="/chats/hcsmca-116/"') < html.index('href="/chats/hcsmca-115/"')
    assert "#hcsmca 116: Trusting health information online" in html
    assert re.search(r"hcsmca-116/\">.*?</a>\s*<span class=\"meta\">.*?· 3 posts\s*· 2 participants", html, re.S)
    assert re.search(r"hcsmca-115/\">.*?</a>\s*<span class=\"meta\">.*?· 1 post\s*· 1 participant\b", html, re.S)
    assert "16 January 2019, 13:00 EST" in html  # shown in the series' timezone
    assert hidden.slug not in html and "Withdrawn" not in html
    assert scheduled.slug not in html


def test_home_without_chats_says_so(client):
    response = client.get("/")

    assert response.status_code == 200
    assert "No chats are archived yet." in html_of(response)


# --- a chat's page ---------------------------------------------------------------

@pytest.fixture
def chat_with_posts():
    chat = ChatFactory(number=116, slug="hcsmca-116", title="Trusting health information online",
                       start=datetime(2019, 1, 16, 18, tzinfo=UTC), end=datetime(2019, 1, 16, 19, tzinfo=UTC))
    host = AuthorFactory(handle="hcsmca_mod", display_name="HCSM Canada chat")
    jo = AuthorFactory(handle="nurse_jo", display_name="Jo Tremblay, RN")
    t1 = QuestionFactory(chat=chat, label="T1", text="Where do you look first?", position=0)
    QuestionFactory(chat=chat, label="T1a", text="And for your family?", position=1, parent=t1)
    at = chat.start
    # Created out of order on purpose: the page orders by time.
    answer = PostFactory(chat=chat, author=jo, external_id="1085624902431494145", created_at=at + timedelta(minutes=2),
                         text="A1 I check who wrote it & who paid for it #hcsmca", question=t1,
                         question_source=Post.QuestionSource.LABEL)
    question = PostFactory(chat=chat, author=host, external_id="1085624398153904128", created_at=at,
                           text="T1: Where do you look first? #hcsmca")
    retweet = PostFactory(chat=chat, author=host, external_id="1085625658984456193",
                          created_at=at + timedelta(minutes=5), text=f"RT @nurse_jo: {answer.text}",
                          repost_of=answer, repost_of_external_id=answer.external_id)
    return {"chat": chat, "question": question, "answer": answer, "retweet": retweet}


def test_chat_page_lists_questions_and_links_them_to_their_sections(client, chat_with_posts):
    response = client.get("/chats/hcsmca-116/")

    assert response.status_code == 200
    html = html_of(response)
    assert '<li id="toc-T1" class="question">' in html
    assert '<li id="toc-T1a" class="question sub-question">' in html
    assert '<a href="#T1" class="permalink">T1</a>: Where do you look first?' in html
    assert "(1 answer)" in html and "(0 answers)" in html
    # One element per id: the section carries the label, the list item "toc-".
    assert html.count('id="T1"') == 1 and html.count('id="T1a"') == 1
    assert '<section class="transcript-section" id="T1"' in html
    assert "3 posts by 2 participants" in html


def test_chat_page_by_time_lists_every_post_in_time_order(client, chat_with_posts):
    html = html_of(client.get("/chats/hcsmca-116/", {"order": "time"}))

    assert post_ids_in_order(html) == ["1085624398153904128", "1085624902431494145", "1085625658984456193"]
    assert '<a class="badge question-label" href="?page=1#T1">T1</a>' in html
    assert '<a href="?order=time" aria-current="page">' in html
    assert '<a href="?order=question">' in html


def test_chat_page_links_each_post_to_its_original(client, chat_with_posts):
    html = html_of(client.get("/chats/hcsmca-116/"))

    assert ('<a href="https://twitter.com/nurse_jo/status/1085624902431494145" rel="nofollow ugc noopener">'
            "View original</a>") in html
    assert 'href="#post-1085624902431494145"' in html


def test_chat_page_by_time_marks_retweets(client, chat_with_posts):
    html = html_of(client.get("/chats/hcsmca-116/", {"order": "time"}))

    assert '<li id="post-1085625658984456193" class="post repost">' in html
    assert '<li id="post-1085624902431494145" class="post">' in html
    assert ('<span class="badge">Retweet of <a href="#post-1085624902431494145">@nurse_jo</a></span>') in html
    assert html.count('class="badge">Retweet') == 1


def test_hidden_chat_is_not_found(client):
    ChatFactory(slug="hcsmca-117", number=117, visibility=Chat.Visibility.HIDDEN)

    assert client.get("/chats/hcsmca-117/").status_code == 404


def test_unknown_chat_is_not_found(client):
    assert client.get("/chats/hcsmca-999/").status_code == 404


# --- user content is escaped -----------------------------------------------------

def test_post_text_and_display_name_are_escaped(client):
    chat = ChatFactory(slug="hcsmca-116", number=116)
    mallory = AuthorFactory(handle="mallory", display_name="<img src=x onerror=alert(1)>")
    PostFactory(chat=chat, author=mallory, text="A1 <script>alert(1)</script> & more #hcsmca")

    html = html_of(client.get("/chats/hcsmca-116/"))

    assert "<script>alert(1)</script>" not in html
    assert "<img src=x onerror=alert(1)>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_urls_in_text_become_safe_links(client):
    chat = ChatFactory(slug="hcsmca-116", number=116)
    PostFactory(chat=chat, text="A1 see https://www.canada.ca/en/public-health.html?a=1&b=2. Or javascript:alert(1) #hcsmca")

    html = html_of(client.get("/chats/hcsmca-116/"))

    assert ('<a href="https://www.canada.ca/en/public-health.html?a=1&amp;b=2" rel="nofollow ugc noopener" '
            'class="post-link">https://www.canada.ca/en/public-health.html?a=1&amp;b=2</a>. Or javascript:alert(1)') in html
    assert 'href="javascript:' not in html


def test_javascript_url_alone_is_not_a_link(client):
    chat = ChatFactory(slug="hcsmca-116", number=116)
    PostFactory(chat=chat, text="javascript:alert(1)")

    html = html_of(client.get("/chats/hcsmca-116/"))

    assert '<p class="post-text" lang="en" dir="auto">javascript:alert(1)</p>' in html


# --- pagination and queries ------------------------------------------------------

@pytest.fixture
def long_chat():
    chat = ChatFactory(slug="hcsmca-116", number=116, start=datetime(2019, 1, 16, 18, tzinfo=UTC))
    authors = [AuthorFactory() for _ in range(7)]
    questions = [QuestionFactory(chat=chat, label=f"T{n}", position=n) for n in (1, 2, 3)]
    posts = []
    for n in range(50):
        kwargs = {}
        if n % 5 == 1:
            kwargs = {"question": questions[n % 3], "question_source": Post.QuestionSource.LABEL}
        if n % 10 == 9:
            kwargs.update(repost_of=posts[n - 1], repost_of_external_id=posts[n - 1].external_id,
                          text=f"RT @{posts[n - 1].author.handle}: {posts[n - 1].text}")
        if n % 10 == 4:
            kwargs.update(reply_to=posts[n - 1], reply_to_external_id=posts[n - 1].external_id)
        posts.append(PostFactory(chat=chat, author=authors[n % 7], external_id=str(1085624398153904128 + n),
                                 created_at=chat.start + timedelta(seconds=60 * n), **kwargs))
    return posts


def test_transcript_by_time_is_paginated(client, long_chat, monkeypatch):
    monkeypatch.setattr("chats.views.POSTS_PER_PAGE", 20)

    first = html_of(client.get("/chats/hcsmca-116/?order=time"))
    second = html_of(client.get("/chats/hcsmca-116/?order=time&page=2"))
    last = html_of(client.get("/chats/hcsmca-116/?order=time&page=3"))

    ids = [post.external_id for post in long_chat]
    assert post_ids_in_order(first) == ids[:20]
    assert post_ids_in_order(second) == ids[20:40]
    assert post_ids_in_order(last) == ids[40:]
    assert "Page 2 of 3" in second
    assert '<a rel="prev" href="?order=time&amp;page=1">Previous</a>' in second
    assert '<a rel="next" href="?order=time&amp;page=3">Next</a>' in second
    assert "50 posts" in second  # the chat's total, not the page's


@pytest.mark.parametrize("page", ["abc", "0", "-1", "99", "2.5", ""])
def test_odd_page_numbers_do_not_fail(client, long_chat, monkeypatch, page):
    monkeypatch.setattr("chats.views.POSTS_PER_PAGE", 20)

    response = client.get("/chats/hcsmca-116/", {"page": page, "order": "time"})

    assert response.status_code == 200
    shown = post_ids_in_order(html_of(response))
    ids = [post.external_id for post in long_chat]
    assert shown == (ids[40:] if page in {"99", "0", "-1"} else ids[:20])


@pytest.mark.parametrize("order", ["time", "question"])
def test_chat_page_queries_do_not_grow_with_posts(client, long_chat, django_assert_max_num_queries, order):
    # A bounded number (counted exactly in test_chat_transcript.py); 50 posts
    # with retweets and answers would add dozens if any of them were lazy.
    with django_assert_max_num_queries(15):  # 14 + the Data section's bundles
        response = client.get("/chats/hcsmca-116/", {"order": order})
    assert response.status_code == 200
    assert len(post_ids_in_order(html_of(response))) == (50 if order == "time" else 45)  # 5 retweets folded


def test_home_queries_do_not_grow_with_chats(client, django_assert_max_num_queries):
    for number in range(20):
        chat = ChatFactory(number=200 + number)
        PostFactory(chat=chat)

    # Two today: the count for the paginator and the annotated list.
    with django_assert_max_num_queries(4):
        response = client.get("/")
    assert response.status_code == 200
    assert len(response.context["chats"]) == 10  # the latest ten; the archive has the rest
