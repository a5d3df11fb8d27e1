"""The chat page's statistics: activity chart (server-side SVG), top
participants and shared resources."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from chats import charts
from chats.models import Link, PostLink, Study
from chats.services import chat_stats
from tests.factories import AuthorFactory, ChatFactory, PostFactory, QuestionFactory

pytestmark = pytest.mark.django_db

START = datetime(2019, 1, 16, 18, 0, tzinfo=UTC)  # 13:00 in Toronto, the series' timezone


def html_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def section(html: str, css_class: str) -> str:
    match = re.search(rf'<section class="{css_class}".*?</section>', html, re.S)
    assert match, css_class
    return match.group(0)


def at(minutes: float):
    return START + timedelta(minutes=minutes)


@pytest.fixture
def chat():
    return ChatFactory(number=116, slug="hcsmca-116", start=START, end=START + timedelta(hours=1))


def share(post, link, position=0):
    PostLink.objects.create(post=post, link=link, position=position)


# --- activity -------------------------------------------------------------------

def test_posts_per_minute_are_exact(client, chat):
    jo, amir = AuthorFactory(handle="nurse_jo"), AuthorFactory(handle="dr_amir")
    first = PostFactory(chat=chat, author=jo, created_at=at(0))
    PostFactory(chat=chat, author=amir, created_at=at(0.99))
    PostFactory(chat=chat, author=jo, created_at=at(3))
    PostFactory(chat=chat, author=amir, created_at=at(3.5))
    PostFactory(chat=chat, author=amir, created_at=at(3.75), repost_of=first, repost_of_external_id=first.external_id,
                text=f"RT @nurse_jo: {first.text}")  # a retweet is a post
    PostFactory(chat=chat, author=jo, created_at=at(59.5))
    PostFactory(chat=chat, author=jo, created_at=at(65))  # after the end: not drawn, still in the transcript
    PostFactory(chat=ChatFactory(), author=jo, created_at=at(3))  # another chat

    assert chat_stats.posts_per_minute(chat) == {at(0): 2, at(3): 3, at(59): 1, at(65): 1}

    response = client.get("/chats/hcsmca-116/")
    html = html_of(response)
    activity = response.context["activity"]
    assert activity.bucket_minutes == 1 and len(activity.bars) == 60
    assert [bar.count for bar in activity.bars] == [2, 0, 0, 3] + [0] * 55 + [1]
    assert activity.bars[3].label == "13:03"  # the series' timezone
    assert activity.total == 6 and activity.peak == 3
    assert "· 7 posts" in html  # the transcript's total, posts after the end included
    table = section(html, "activity")
    assert re.search(r'<time datetime="2019-01-16T13:03:00-0500">13:03</time></th><td>3</td>', table)
    assert re.search(r">13:00</time></th><td>2</td>", table)
    assert re.search(r">13:59</time></th><td>1</td>", table)
    assert table.count('<rect class="bar"') == 3  # empty minutes draw no bar


def test_bars_and_ticks_geometry(chat):
    chart = charts.activity_chart({at(0): 4, at(30): 2}, chat.start, chat.end, UTC)
    width = charts.PLOT_WIDTH / 60
    assert chart.bars[0].x == charts.LEFT and chart.bars[0].height == charts.PLOT_HEIGHT
    assert chart.bars[30].x == pytest.approx(charts.LEFT + 30 * width, abs=0.01)
    assert chart.bars[30].height == pytest.approx(charts.PLOT_HEIGHT / 2)
    assert chart.bars[30].y + chart.bars[30].height == pytest.approx(charts.TOP + charts.PLOT_HEIGHT)
    assert [tick.label for tick in chart.ticks] == ["18:00", "18:10", "18:20", "18:30", "18:40", "18:50", "19:00"]
    assert chart.ticks[-1].x == charts.LEFT + charts.PLOT_WIDTH


def test_question_markers_are_drawn_where_they_were_asked(client, chat):
    PostFactory(chat=chat, created_at=at(1))
    QuestionFactory(chat=chat, label="T1", position=0, asked_at=at(15))
    QuestionFactory(chat=chat, label="T1a", position=1, asked_at=at(30.5))
    QuestionFactory(chat=chat, label="T2", position=2, asked_at=None)  # never asked: no marker

    response = client.get("/chats/hcsmca-116/")
    html = html_of(response)

    markers = response.context["activity"].markers
    assert [(m.label, m.x) for m in markers] == [
        ("T1", round(charts.LEFT + charts.PLOT_WIDTH * 15 / 60, 2)),
        ("T1a", round(charts.LEFT + charts.PLOT_WIDTH * 30.5 / 60, 2)),
    ]
    assert markers[0].x == 187.5
    assert '<line class="marker" x1="187.5" y1="24" x2="187.5" y2="190" data-label="T1"></line>' in html
    assert re.search(r'<text class="marker-label" x="339.92"[^>]*>T1a</text>', html)
    assert "Questions asked: T1 at 13:15, T1a at 13:30." in html


def test_svg_is_accessible_and_has_a_table_fallback(client, chat):
    for minute in (14, 14, 14, 20):
        PostFactory(chat=chat, created_at=at(minute))

    html = section(html_of(client.get("/chats/hcsmca-116/")), "activity")

    svg = re.search(r"<svg[^>]*>", html).group(0)
    assert 'role="img"' in svg and 'aria-labelledby="activity-title activity-desc"' in svg
    assert '<title id="activity-title">Posts per minute</title>' in html
    desc = re.search(r'<desc id="activity-desc">(.*?)</desc>', html, re.S).group(1)
    assert desc.startswith("Posts per minute from 13:00 to 14:00; busiest minute 13:14 with 3 posts;")
    assert "retweets included" in desc
    assert "<script" not in html  # no JavaScript charting
    assert "<details" in html and "<summary>Posts per minute (table)</summary>" in html
    assert "<caption>Posts per minute" in html
    assert '<th scope="col">Minute</th><th scope="col">Posts</th>' in html
    assert html.count('<th scope="row">') == 60


def test_chat_without_posts_renders(client, chat):
    html = html_of(client.get("/chats/hcsmca-116/"))

    activity = section(html, "activity")
    assert '<desc id="activity-desc">Posts per minute from 13:00 to 14:00: no posts were recorded.</desc>' in activity
    assert "<rect" not in activity
    assert "No posts were recorded during this chat." in activity
    assert "No one has posted in this chat yet." in section(html, "participants")
    assert "No links were shared in this chat." in section(html, "resources")


def test_long_chat_is_bucketed_by_five_minutes(client):
    chat = ChatFactory(slug="hcsmca-marathon", start=START, end=START + timedelta(hours=4))
    for minute in (0, 1, 4, 5, 239):
        PostFactory(chat=chat, created_at=at(minute))

    response = client.get("/chats/hcsmca-marathon/")
    html = html_of(response)

    activity = response.context["activity"]
    assert activity.bucket_minutes == 5 and len(activity.bars) == 48
    assert [bar.count for bar in activity.bars[:2]] == [3, 1] and activity.bars[-1].count == 1
    assert activity.bars[0].label == "13:00–13:04"
    assert "<title id=\"activity-title\">Posts per 5 minutes</title>" in html
    assert "each bar counts 5 minutes" in html
    assert "rows count 5 minutes" in html
    assert section(html, "activity").count('<th scope="row">') == 48
    assert charts.bucket_minutes_for(180) == 1 and charts.bucket_minutes_for(181) == 5
    assert len(charts.activity_chart({}, START, START + timedelta(days=2), UTC).bars) <= charts.MAX_MINUTE_BARS


# --- top participants ---------------------------------------------------------------

def test_top_participants_counts_are_exact(client, chat):
    jo = AuthorFactory(handle="nurse_jo", display_name="Jo Tremblay, RN")
    amir = AuthorFactory(handle="dr_amir", display_name="Amir")
    kim = AuthorFactory(handle="kim", display_name="")
    jo_posts = [PostFactory(chat=chat, author=jo, created_at=at(n)) for n in range(3)]
    amir_first = PostFactory(chat=chat, author=amir, created_at=at(4), reply_to=jo_posts[0],
                             reply_to_external_id=jo_posts[0].external_id)
    PostFactory(chat=chat, author=amir, created_at=at(5), reply_to=jo_posts[1],
                reply_to_external_id=jo_posts[1].external_id)
    PostFactory(chat=chat, author=kim, created_at=at(6), reply_to=amir_first,
                reply_to_external_id=amir_first.external_id)
    PostFactory(chat=chat, author=kim, created_at=at(7), repost_of=jo_posts[2],
                repost_of_external_id=jo_posts[2].external_id)
    # Elsewhere: replies and retweets in another chat are not this chat's.
    PostFactory(chat=ChatFactory(), author=kim, created_at=at(8), reply_to=jo_posts[0],
                reply_to_external_id=jo_posts[0].external_id)
    PostFactory(chat=ChatFactory(), author=kim, created_at=at(9), repost_of=jo_posts[0],
                repost_of_external_id=jo_posts[0].external_id)

    rows = [(a.handle, a.post_count, a.replies_received, a.retweets_received)
            for a in chat_stats.top_participants(chat)]
    assert rows == [("nurse_jo", 3, 2, 1), ("dr_amir", 2, 1, 0), ("kim", 2, 0, 0)]

    html = section(html_of(client.get("/chats/hcsmca-116/")), "participants")
    assert ('<a class="participant-name" href="https://twitter.com/nurse_jo" rel="nofollow ugc noopener">'
            'Jo Tremblay, RN <span class="handle">@nurse_jo</span></a>') in html
    assert re.search(r'@nurse_jo</span></a></th>\s*<td class="post-count">3</td>\s*'
                     r'<td class="replies-received">2</td>\s*<td class="retweets-received">1</td>', html)
    assert html.index("@nurse_jo") < html.index("@dr_amir") < html.index("@kim")


def test_top_participants_are_ten(chat):
    for n in range(12):
        author = AuthorFactory(handle=f"p{n:02d}")
        for minute in range(n + 1):
            PostFactory(chat=chat, author=author, created_at=at(minute))
    top = chat_stats.top_participants(chat)
    assert [a.handle for a in top] == [f"p{n:02d}" for n in range(11, 1, -1)]
    assert [a.post_count for a in top] == list(range(12, 2, -1))


def test_display_names_are_escaped(client, chat):
    hostile = AuthorFactory(handle="hostile", display_name="<script>alert('x')</script>")
    post = PostFactory(chat=chat, author=hostile, created_at=at(1))
    share(post, Link.objects.create(url="https://example.org/a", domain="example.org"))

    html = html_of(client.get("/chats/hcsmca-116/"))

    for name in ("participants", "resources"):
        part = section(html, name)
        assert "<script>alert" not in part
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in part


# --- shared resources ------------------------------------------------------------------

def test_resources_order_counts_study_and_first_sharer(client, chat):
    jo, amir, kim = (AuthorFactory(handle=h, display_name=h.title()) for h in ("nurse_jo", "dr_amir", "kim"))
    study = Study.objects.create(doi="10.1136/bmj.k1234", title="A trial")
    popular = Link.objects.create(url="https://example.org/popular", domain="example.org", title="Popular page")
    paper = Link.objects.create(url="https://doi.org/10.1136/bmj.k1234", domain="doi.org", study=study)
    middle = Link.objects.create(url="https://news.example.com/story", domain="news.example.com")
    # Created out of time order on purpose: the first sharer is the earliest post.
    share(PostFactory(chat=chat, author=jo, created_at=at(20)), popular)
    share(PostFactory(chat=chat, author=kim, created_at=at(5)), popular)
    share(PostFactory(chat=chat, author=amir, created_at=at(30)), popular)
    share(PostFactory(chat=chat, author=amir, created_at=at(12)), paper)
    share(PostFactory(chat=chat, author=jo, created_at=at(40)), middle)
    share(PostFactory(chat=chat, author=amir, created_at=at(41)), middle)
    # An earlier share in another chat neither counts nor makes a first sharer.
    share(PostFactory(chat=ChatFactory(), author=jo, created_at=at(-60 * 24 * 7)), paper)

    links = chat_stats.shared_resources(chat)
    assert [(link.url, link.chat_share_count) for link in links] == [
        ("https://example.org/popular", 3), ("https://news.example.com/story", 2),
        ("https://doi.org/10.1136/bmj.k1234", 1),
    ]
    assert [link.study_kind for link in links] == ["", "", "DOI"]
    assert [link.first_sharer.handle for link in links] == ["kim", "nurse_jo", "dr_amir"]
    assert links[0].first_sharer.created_at == at(5)

    html = section(html_of(client.get("/chats/hcsmca-116/")), "resources")
    assert html.index("example.org/popular") < html.index("news.example.com/story") < html.index("doi.org/10.1136")
    assert "shared 3 times" in html and "shared 2 times" in html and "shared 1 time<" in html
    assert html.count('class="resource study"') == 1
    assert "Study: DOI 10.1136/bmj.k1234" in html
    assert '<a class="resource-link" href="https://example.org/popular" rel="nofollow ugc noopener">Popular page</a>' in html
    assert re.search(r'first by <a href="https://twitter.com/kim" rel="nofollow ugc noopener">Kim '
                     r'<span class="handle">@kim</span></a> at <time[^>]*>13:05</time>', html)


def test_resources_are_at_most_25(chat):
    post = PostFactory(chat=chat, created_at=at(1))
    for n in range(30):
        share(post, Link.objects.create(url=f"https://example.org/{n:02d}", domain="example.org"), position=n)
    assert len(chat_stats.shared_resources(chat)) == 25


# --- queries ----------------------------------------------------------------------------

def busy_chat(chat, n_posts: int) -> None:
    authors = [AuthorFactory() for _ in range(12)]
    links = [Link.objects.create(url=f"https://example.org/{n}", domain="example.org",
                                 study=Study.objects.create(pmid=str(1000 + n)) if n % 3 == 0 else None)
             for n in range(30)]
    questions = [QuestionFactory(chat=chat, label=f"T{n}", position=n, asked_at=at(10 * n)) for n in (1, 2, 3)]
    posts = []
    for n in range(n_posts):
        kwargs = {}
        if n % 5 == 1:
            kwargs.update(question=questions[n % 3], question_source="label")
        if n % 10 == 9:
            kwargs.update(repost_of=posts[n - 1], repost_of_external_id=posts[n - 1].external_id)
        if n % 10 == 4:
            kwargs.update(reply_to=posts[n - 1], reply_to_external_id=posts[n - 1].external_id)
        post = PostFactory(chat=chat, author=authors[n % 12], created_at=at(n * 60 / n_posts), **kwargs)
        if n % 4 == 0:
            share(post, links[(n // 4) % 30])
        posts.append(post)


@pytest.mark.parametrize("n_posts", [10, 200])
def test_chat_page_query_count_does_not_grow_with_posts(client, chat, n_posts, django_assert_max_num_queries):
    busy_chat(chat, n_posts)

    # Cold cache: the chat, its questions, the counts per question, hosts,
    # tags, the page's posts and their retweeters, then the counts per
    # minute, the top participants and the resources (chats.chat_transcript),
    # and the dataset bundles of the Data section.
    with django_assert_max_num_queries(11):
        response = client.get("/chats/hcsmca-116/")

    html = html_of(response)
    assert response.context["activity"].total == n_posts
    assert len(response.context["participants"]) == min(10, n_posts)
    assert section(html, "resources").count('<li class="resource') == min(25, len(range(0, n_posts, 4)))
