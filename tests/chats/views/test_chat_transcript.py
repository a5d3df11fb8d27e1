"""The chat page's transcript: by question (sections, nested replies, folded
retweets, pages of items) and by time; the header; constant query counts."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chats.chat_transcript import MAX_DEPTH, build_threads, reading_order
from chats.models import Post, Question
from summaries.models import Summary
from tests.factories import AuthorFactory, ChatFactory, PostFactory, QuestionFactory, SeriesFactory

START = datetime(2019, 1, 16, 18, tzinfo=UTC)  # 13:00 in Toronto


def html_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def post_ids(html: str) -> list[str]:
    return re.findall(r'<li id="post-(\d+)" class="post', html)


def section_of(html: str, anchor: str) -> str:
    match = re.search(rf'<section class="transcript-section[^"]*" id="{anchor}".*?</section>', html, re.S)
    assert match, anchor
    return match.group(0)


# --- pure parts (no database) ------------------------------------------------------

def fake(pk, reply_to=None):
    return SimpleNamespace(pk=pk, reply_to_id=reply_to, reply_to_external_id=str(reply_to) if reply_to else "")


def shape(nodes):
    return [(node.post.pk, node.depth, node.show_reply_to, shape(node.children)) for node in nodes]


def test_replies_nest_under_their_parent_in_the_same_section():
    posts = [fake(1), fake(2, reply_to=1), fake(3), fake(4, reply_to=2), fake(5, reply_to=1)]

    roots = build_threads(posts, section_of={pk: 0 for pk in range(1, 6)})

    assert shape(roots) == [
        (1, 0, False, [(2, 1, False, [(4, 2, False, [])]), (5, 1, False, [])]),
        (3, 0, False, []),
    ]


def test_a_reply_to_another_section_or_page_stays_at_the_top_and_says_so():
    posts = [fake(1), fake(2, reply_to=1), fake(3, reply_to=99)]

    roots = build_threads(posts, section_of={1: 0, 2: 1, 3: 1})

    assert shape(roots) == [(1, 0, False, []), (2, 0, True, []), (3, 0, True, [])]


def test_deep_replies_stay_at_the_last_level():
    posts = [fake(1)] + [fake(n, reply_to=n - 1) for n in range(2, 9)]

    roots = build_threads(posts, section_of={n: 0 for n in range(1, 9)})

    depths = {}

    def walk(nodes, container):
        for node in nodes:
            depths[node.post.pk] = (node.depth, container, node.show_reply_to)
            walk(node.children, node.post.pk)

    walk(roots, None)
    assert [depths[n][0] for n in range(1, 9)] == [0, 1, 2, 3, 4, 4, 4, 4]
    # Beyond the cap, replies sit beside the last nested one and name whom they answer.
    assert depths[6][1] == depths[5][1] == 4 and depths[6][2] and not depths[5][2]
    assert MAX_DEPTH == 4


def test_sub_questions_follow_their_parent_whatever_the_positions():
    t1 = Question(pk=1, label="T1", position=0)
    t2 = Question(pk=2, label="T2", position=1)
    t1a = Question(pk=3, label="T1a", position=7, parent_id=1)
    t2a = Question(pk=4, label="T2a", position=2, parent_id=2)

    ordered = reading_order([t2a, t1a, t2, t1])

    assert [(q.label, q.depth) for q in ordered] == [("T1", 0), ("T1a", 1), ("T2", 0), ("T2a", 1)]


# --- the page by question ------------------------------------------------------------

@pytest.fixture
def discussion(db):
    """Greetings, T1 with a sub-question and T2; replies, retweets, a reply
    across questions and a retweet of a post the archive does not hold."""
    chat = ChatFactory(number=116, slug="hcsmca-116", title="Trusting health information online",
                       start=START, end=START + timedelta(hours=1))
    host = AuthorFactory(handle="hcsmca_mod", display_name="HCSM Canada chat")
    jo = AuthorFactory(handle="nurse_jo", display_name="Jo Tremblay, RN")
    amir = AuthorFactory(handle="dr_amir", display_name="Amir")
    kim = AuthorFactory(handle="kim", display_name="Kim")
    t1 = QuestionFactory(chat=chat, label="T1", text="Where do you look first?", position=0, asked_at=START)
    t1a = QuestionFactory(chat=chat, label="T1a", text="And for your family?", position=5, parent=t1,
                          asked_at=START + timedelta(minutes=10))
    t2 = QuestionFactory(chat=chat, label="T2", text="What would help?", position=1,
                         asked_at=START + timedelta(minutes=20))

    def post(n, author, minute, question=None, **kwargs):
        return PostFactory(chat=chat, author=author, external_id=str(9000 + n), question=question,
                           created_at=START + timedelta(minutes=minute), **kwargs)

    p = {}
    p["hello"] = post(1, kim, -2, text="Hello all, first #hcsmca")
    p["a1"] = post(2, jo, 2, t1, text="A1 I check who wrote it")
    p["a1_reply"] = post(3, amir, 3, t1, text="@nurse_jo and who paid", reply_to=p["a1"], reply_to_external_id="9002")
    p["a1_reply2"] = post(4, jo, 4, t1, text="@dr_amir exactly", reply_to=p["a1_reply"], reply_to_external_id="9003")
    p["rt1"] = post(5, kim, 5, t1, text="RT @nurse_jo: A1", repost_of=p["a1"], repost_of_external_id="9002")
    p["rt2"] = post(6, host, 6, t1, text="RT @nurse_jo: A1", repost_of=p["a1"], repost_of_external_id="9002")
    p["rt_unknown"] = post(7, amir, 7, t1, text="RT @elsewhere: an old tweet", repost_of_external_id="123")
    p["a1a"] = post(8, kim, 12, t1a, text="A1a my sister")
    p["a2"] = post(9, amir, 22, t2, text="A2 plain language", reply_to=p["a1"], reply_to_external_id="9002")
    return SimpleNamespace(chat=chat, t1=t1, t1a=t1a, t2=t2, p=p)


@pytest.mark.django_db
def test_sections_follow_question_order_with_other_posts_first(client, discussion):
    html = html_of(client.get("/chats/hcsmca-116/"))

    anchors = re.findall(r'<section class="transcript-section[^"]*" id="([^"]+)"', html)
    assert anchors == ["other-posts", "T1", "T1a", "T2"]  # T1a after T1 though its position is 5
    assert "Before the questions, and posts tied to none" in section_of(html, "other-posts")
    assert '<a class="permalink" href="#T1">T1</a>: Where do you look first?' in section_of(html, "T1")
    assert post_ids(section_of(html, "other-posts")) == ["9001"]
    assert post_ids(section_of(html, "T1a")) == ["9008"]
    # The TOC links land on the sections, and no id is used twice.
    assert '<a href="#T1a" class="permalink">T1a</a>' in html
    assert len(re.findall(r'id="T1a"', html)) == 1 and 'id="toc-T1a"' in html


@pytest.mark.django_db
def test_replies_are_nested_and_retweets_folded(client, discussion):
    html = html_of(client.get("/chats/hcsmca-116/"))
    t1 = section_of(html, "T1")

    # 9003 answers 9002 and 9004 answers 9003: nested lists, in that order.
    assert re.search(r'<li id="post-9002" class="post">.*?<ol class="replies">\s*'
                     r'<li id="post-9003" class="post reply depth-1">.*?<ol class="replies">\s*'
                     r'<li id="post-9004" class="post reply depth-2">', t1, re.S)
    # The two retweets of 9002 are not items: 9002 says who retweeted it.
    assert post_ids(t1) == ["9002", "9003", "9004", "9007"]
    assert "<summary>Retweeted by 2</summary>" in t1
    retweeters = re.search(r'<details class="retweeters">.*?</details>', t1, re.S).group(0)
    assert re.findall(r'@(\w+)</span></a>', retweeters) == ["kim", "hcsmca_mod"]
    assert 'id="post-9005"' in retweeters and 'id="post-9006"' in retweeters  # their permalinks still land
    # A retweet of a post the archive does not hold stays in the list.
    assert '<li id="post-9007" class="post repost">' in t1


@pytest.mark.django_db
def test_a_reply_to_another_question_links_to_its_parent(client, discussion):
    html = html_of(client.get("/chats/hcsmca-116/"))

    t2 = section_of(html, "T2")
    assert '<li id="post-9009" class="post">' in t2  # at the top of its section
    assert '<span class="badge reply-to">Reply to <a href="#post-9002">@nurse_jo</a></span>' in t2
    # Nested replies do not repeat whom they answer.
    assert "Reply to" not in re.search(r'<li id="post-9003".*?</p>', html, re.S).group(0)


@pytest.mark.django_db
def test_pages_of_items_continue_questions_and_link_across_pages(client, discussion, monkeypatch):
    monkeypatch.setattr("chats.views.POSTS_PER_PAGE", 3)
    # Items in question order: 9001 | 9002 9003 | 9004 9007 | 9008 | 9009 -> pages of 3.
    first = html_of(client.get("/chats/hcsmca-116/"))
    second = html_of(client.get("/chats/hcsmca-116/", {"page": 2}))
    third = html_of(client.get("/chats/hcsmca-116/", {"page": 3}))

    assert post_ids(first) == ["9001", "9002", "9003"]
    assert post_ids(second) == ["9004", "9007", "9008"]
    assert post_ids(third) == ["9009"]
    # T1 starts on page 1 and continues on page 2, where it has no id (one id per element).
    assert re.search(r'<section class="transcript-section"\s+aria-labelledby="section-1-heading">\s*<h3[^>]*>'
                     r'<a class="permalink" href="\?page=1#T1">T1</a>: Where do you look first\? '
                     r'<span class="continued">\(continued\)</span>', second)
    assert 'id="T1"' not in second and 'id="T1a"' in second
    # The TOC sends readers to the page where each question starts.
    assert '<a href="?page=2#T1a" class="permalink">T1a</a>' in first
    assert '<a href="?page=3#T2" class="permalink">T2</a>' in first
    assert '<a href="#T1a" class="permalink">T1a</a>' in second
    # 9004 answers 9003, which is on page 1: a link to it there.
    assert '<span class="badge reply-to">Reply to <a href="?page=1#post-9003">@dr_amir</a></span>' in second
    assert '<span class="badge reply-to">Reply to <a href="?page=1#post-9002">@nurse_jo</a></span>' in third
    assert "Page 2 of 3" in second
    assert '<a rel="next" href="?page=3">Next</a>' in second


@pytest.mark.django_db
def test_by_time_lists_every_post_and_retweet(client, discussion):
    html = html_of(client.get("/chats/hcsmca-116/", {"order": "time"}))

    assert post_ids(html) == [str(9000 + n) for n in range(1, 10)]
    assert '<span class="badge">Retweet of <a href="#post-9002">@nurse_jo</a></span>' in html
    assert '<span class="badge reply-to">Reply to <a href="#post-9002">@nurse_jo</a></span>' in html
    assert '<a href="?order=time" aria-current="page">by time (with retweets)</a>' in html
    assert '<a href="?order=question">by question</a>' in html
    # The TOC goes back to the sections, by question.
    assert '<a href="?page=1#T2" class="permalink">T2</a>' in html


@pytest.mark.django_db
def test_by_time_links_a_reply_to_its_parent_on_an_earlier_page(client, discussion, monkeypatch):
    monkeypatch.setattr("chats.views.POSTS_PER_PAGE", 4)

    last = html_of(client.get("/chats/hcsmca-116/", {"order": "time", "page": 3}))

    assert post_ids(last) == ["9009"]
    assert '<a href="?order=time&amp;page=1#post-9002">@nurse_jo</a>' in last
    assert '<a rel="prev" href="?order=time&amp;page=2">Previous</a>' in last


@pytest.mark.django_db
def test_each_post_links_its_author_page_and_platform_profile(client, discussion):
    html = html_of(client.get("/chats/hcsmca-116/"))
    item = re.search(r'<li id="post-9002".*?</p>', html, re.S).group(0)

    assert '<a class="author" href="/people/twitter/nurse_jo/">Jo Tremblay, RN <span class="handle">@nurse_jo</span></a>' in item
    assert ('<a class="profile-link" href="https://twitter.com/nurse_jo" rel="nofollow ugc noopener" '
            'aria-label="profile of @nurse_jo on Twitter / X">profile</a>') in item


@pytest.mark.django_db
def test_a_non_web_profile_or_original_url_is_not_linked(client):
    chat = ChatFactory(slug="hcsmca-116", number=116)
    mallory = AuthorFactory(handle="mallory", profile_url="javascript:alert(1)")
    PostFactory(chat=chat, author=mallory, url="javascript:alert(2)")

    transcript = re.search(r'<section class="transcript".*', html_of(client.get("/chats/hcsmca-116/")), re.S).group(0)

    assert "javascript:alert" not in transcript
    assert 'class="profile-link"' not in transcript and "View original" not in transcript


# --- the header ------------------------------------------------------------------------

@pytest.mark.django_db
def test_header_names_series_hosts_tags_summary_and_describes_the_chat(client, discussion):
    chat = discussion.chat
    chat.tags.add("Health literacy")
    series_host = AuthorFactory(handle="series_host")
    chat.series.hosts.add(series_host)
    Summary.objects.create(chat=chat, title="What we learned about trust", slug="trust-116",
                           status=Summary.Status.PUBLISHED, published_at=timezone.now() - timedelta(days=1))
    Summary.objects.create(chat=chat, title="A draft", slug="draft-116", status=Summary.Status.DRAFT)

    html = html_of(client.get("/chats/hcsmca-116/"))

    assert '<p class="series"><a href="/series/hcsmca/">#hcsmca</a> · chat 116</p>' in html
    assert re.search(r'<p class="hosts">Hosted by <a href="/people/twitter/series_host/">', html)
    assert '<li><a href="/tags/health-literacy/">Health literacy</a></li>' in html
    summary = Summary.objects.get(slug="trust-116")
    assert f'<a href="{summary.get_absolute_url()}">Read the summary: What we learned about trust</a>' in html
    assert "A draft" not in html
    assert ('<meta name="description" content="Transcript of #hcsmca 116 on 16 January 2019: '
            '3 questions, 9 posts by 4 participants">') in html
    assert '<meta property="og:type" content="article">' in html
    assert ('<meta property="og:title" content="#hcsmca 116: Trusting health information online">') in html
    # Times in the series' timezone, marked for the reader's own (static/chats/local-time.js).
    assert ('<time datetime="2019-01-16T13:00:00-0500" data-local data-zone="America/Toronto">'
            "Wednesday 16 January 2019, 13:00</time>") in html
    assert re.search(r'<script src="/static/chats/local-time\.js[^"]*" defer></script>', html)

    # The chat's own hosts win over the series'.
    chat_host = AuthorFactory(handle="chat_host")
    chat.hosts.add(chat_host)
    from chats.services.content import chats_content_touch

    chats_content_touch(chat_ids=[chat.pk])
    html = html_of(client.get("/chats/hcsmca-116/"))
    assert "/people/twitter/chat_host/" in html and "/people/twitter/series_host/" not in html


# --- queries: constant in the number of posts -------------------------------------------

def bulk_chat(n_posts: int, number: int, elsewhere: Post) -> None:
    """A chat of ``n_posts`` with the shape of a real one whatever its size:
    a quarter each before the questions, under T1, T1a and T2; every fifth
    post a reply to the one before, every tenth a retweet; one reply to a
    post of another chat, one retweet of a post not archived."""
    chat = ChatFactory(number=number, slug=f"hcsmca-{number}", start=START, end=START + timedelta(hours=1))
    authors = [AuthorFactory() for _ in range(8)]
    t1 = QuestionFactory(chat=chat, label="T1", position=0, asked_at=START)
    t1a = QuestionFactory(chat=chat, label="T1a", position=1, parent=t1, asked_at=START + timedelta(minutes=15))
    t2 = QuestionFactory(chat=chat, label="T2", position=2, asked_at=START + timedelta(minutes=30))
    sections = [None, t1, t1a, t2]
    posts = Post.objects.bulk_create([
        Post(platform="twitter", external_id=str(number * 10_000_000 + n), chat=chat, author=authors[n % 8],
             created_at=START + timedelta(seconds=n * 3600 / n_posts), text=f"A post, number {n} #hcsmca",
             url=f"https://twitter.com/x/status/{n}", original={}, content_hash="x",
             question=sections[n * 4 // n_posts], hashtags=["hcsmca"])
        for n in range(n_posts)
    ])
    for n, post in enumerate(posts):
        if n % 5 == 3:
            post.reply_to, post.reply_to_external_id = posts[n - 1], posts[n - 1].external_id
        if n % 10 == 9:
            post.repost_of, post.repost_of_external_id = posts[n - 2], posts[n - 2].external_id
    posts[1].reply_to, posts[1].reply_to_external_id = elsewhere, elsewhere.external_id
    posts[2].repost_of_external_id = "1"
    Post.objects.bulk_update(posts, ["reply_to", "reply_to_external_id", "repost_of", "repost_of_external_id"])
    # Statistics as autovacuum keeps them on a real archive (without them the
    # planner takes the table for empty and picks plans meant for a few rows).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE chats_post")


def count_queries(client, path: str, params: dict) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        html = html_of(client.get(path, params))
    return len(queries), html


@pytest.mark.django_db
@pytest.mark.parametrize("order", ["question", "time"])
def test_query_count_is_the_same_for_10_and_2000_posts(client, order):
    SeriesFactory()
    elsewhere = PostFactory(chat=ChatFactory(number=100))
    bulk_chat(10, 201, elsewhere)
    bulk_chat(2000, 202, elsewhere)

    small, small_html = count_queries(client, "/chats/hcsmca-201/", {"order": order})
    large, large_html = count_queries(client, "/chats/hcsmca-202/", {"order": order})

    assert small == large
    # The chat; the questions, items per question, hosts, tags; the page's
    # posts, their retweeters (by question only) and the posts they answer
    # that are elsewhere; per minute, top participants, resources; the
    # chat's dataset bundles (the Data section).
    assert large == (12 if order == "question" else 11)
    assert len(post_ids(large_html)) == 500 and "Page 1 of" in large_html
    assert 'href="/chats/hcsmca-100/?order=time&amp;page=1#post-' in large_html  # the reply to another chat
    # Warm: the chat only (the rest comes from the cache).
    again, _ = count_queries(client, "/chats/hcsmca-202/", {"order": order})
    assert again == 1
