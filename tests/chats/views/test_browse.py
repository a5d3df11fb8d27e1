"""Reader browsing pages: home, archive (by date, series, tag), participant
pages, resources. Readers only ever see archived public chats."""
from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from chats import browse
from chats.models import Chat, Platform, Series
from tests.factories import (
    AuthorFactory,
    ChatFactory,
    LinkFactory,
    PostFactory,
    PostLinkFactory,
    QuestionFactory,
    SeriesFactory,
    StudyFactory,
    SummaryFactory,
)

pytestmark = pytest.mark.django_db

JAN_16 = datetime(2019, 1, 16, 18, tzinfo=UTC)  # 13:00 in Toronto


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def row_slugs(html: str) -> list[str]:
    """Slugs of the chat rows, in the order shown."""
    return re.findall(r'<li class="chat-row">\s*<a href="/chats/([^/]+)/"', html)


@pytest.fixture
def hidden_and_scheduled():
    """A hidden chat and a scheduled one (in the past and in the future), each
    with a post, a tag and a link only they have."""
    series = SeriesFactory()
    hidden = ChatFactory(series=series, number=900, slug="hcsmca-900", title="Withdrawn at the hosts' request",
                         visibility=Chat.Visibility.HIDDEN, start=JAN_16 + timedelta(days=1))
    scheduled = ChatFactory(series=series, number=901, slug="hcsmca-901", title="Draft topic never held",
                            status=Chat.Status.SCHEDULED, start=JAN_16 + timedelta(days=2))
    secret = AuthorFactory(handle="secret_person", display_name="Only In Hidden")
    for chat in (hidden, scheduled):
        chat.tags.add("withdrawn-topic")
        post = PostFactory(chat=chat, author=secret, text="A secret post about withdrawn things")
        PostLinkFactory(post=post, link=LinkFactory(url=f"https://secret.example/{chat.number}",
                                                    domain="secret.example", title="Secret link"))
    stray = PostFactory(chat=None, author=secret, text="A stray post outside any chat",
                        created_at=JAN_16 + timedelta(days=3))
    PostLinkFactory(post=stray, link=LinkFactory(url="https://stray.example/x", domain="stray.example",
                                                 title="Stray link"))
    return {"hidden": hidden, "scheduled": scheduled, "secret": secret}


def assert_no_hidden_content(html: str) -> None:
    for leak in ("Withdrawn", "hcsmca-900", "Draft topic never held", "hcsmca-901", "secret_person",
                 "Only In Hidden", "withdrawn", "secret.example", "stray", "Stray"):
        assert leak not in html, leak


def make_chats(count: int, *, series: Series | None = None, start: datetime = JAN_16) -> list[Chat]:
    series = series or SeriesFactory()
    return [
        ChatFactory(series=series, number=100 + n, slug=f"{series.hashtag}-{100 + n}", start=start + timedelta(weeks=n))
        for n in range(count)
    ]


# --- home ------------------------------------------------------------------------------

def test_home_lists_latest_ten_archived_chats_newest_first(client, hidden_and_scheduled):
    chats = make_chats(12, series=SeriesFactory())
    html = html_of(client.get("/"))
    assert row_slugs(html) == [chat.slug for chat in reversed(chats)][:10]
    assert 'href="/archive/"' in html
    assert_no_hidden_content(html)


def test_home_lists_published_summaries_only(client):
    chat = ChatFactory()
    published = SummaryFactory(chat=chat, title="What we learned about trust", slug="trust",
                               published_at=datetime(2019, 1, 18, 15, tzinfo=UTC), excerpt="Trust is earned.")
    SummaryFactory(title="A draft summary", slug="draft", status="draft", published_at=None)
    SummaryFactory(title="A scheduled summary", slug="later", status="scheduled",
                   published_at=timezone.now() + timedelta(days=3))
    SummaryFactory(title="Published in the future", slug="future", status="published",
                   published_at=timezone.now() + timedelta(days=3))

    html = html_of(client.get("/"))

    assert f'<a href="{published.get_absolute_url()}">What we learned about trust</a>' in html
    assert published.get_absolute_url() == "/2019/01/18/trust/"
    assert "Trust is earned." in html
    for hidden_title in ("A draft summary", "A scheduled summary", "Published in the future"):
        assert hidden_title not in html


def test_home_summary_excerpt_falls_back_to_the_body_as_text(client):
    SummaryFactory(excerpt="", body_html="<p>Tips &amp; tricks <script>alert(1)</script></p>")
    html = html_of(client.get("/"))
    assert "Tips &amp; tricks" in html
    assert "<script>alert(1)" not in html


def test_home_without_summaries_has_no_summary_section(client):
    ChatFactory()
    assert "Latest summaries" not in html_of(client.get("/"))


def test_home_shows_five_summaries_at_most(client):
    for n in range(7):
        SummaryFactory(title=f"Summary number {n}", slug=f"summary-{n}",
                       published_at=datetime(2019, 2, 1, tzinfo=UTC) + timedelta(days=n))
    html = html_of(client.get("/"))
    assert [f"Summary number {n}" in html for n in range(7)] == [False, False, True, True, True, True, True]


def test_next_chat_of_a_series_is_its_scheduled_chat(client):
    series = SeriesFactory()
    start = timezone.now() + timedelta(days=3)
    ChatFactory(series=series, number=300, title="Caregivers online", status=Chat.Status.SCHEDULED, start=start)
    ChatFactory(series=series, number=301, title="Secret upcoming", status=Chat.Status.SCHEDULED,
                visibility=Chat.Visibility.HIDDEN, start=start - timedelta(days=1))
    ChatFactory(series=series, number=299, title="Not held yet, past", status=Chat.Status.SCHEDULED,
                start=timezone.now() - timedelta(days=1))

    response = client.get("/")
    html = html_of(response)

    [upcoming] = response.context["upcoming"]
    assert (upcoming.number, upcoming.title, upcoming.from_schedule) == (300, "Caregivers online", False)
    assert upcoming.start == start and str(upcoming.start.tzinfo) == "America/Toronto"
    assert "Caregivers online" in html
    assert "Secret upcoming" not in html and "Not held yet, past" not in html


def test_next_chat_falls_back_to_the_series_schedule(client):
    SeriesFactory(hashtag="hcsmca", weekday=2, start_time=time(13, 0), timezone="America/Toronto")
    SeriesFactory(hashtag="nosked", name="No schedule", weekday=None, start_time=None)

    response = client.get("/")

    [upcoming] = response.context["upcoming"]
    assert upcoming.series.hashtag == "hcsmca" and upcoming.from_schedule
    assert upcoming.start > timezone.now()
    assert upcoming.start.weekday() == 2 and (upcoming.start.hour, upcoming.start.minute) == (13, 0)
    assert upcoming.start.strftime("%A %-d %B %Y, 13:00") in html_of(response)
    assert "#nosked" not in html_of(response)


def test_home_query_count_does_not_grow(client, django_assert_num_queries):
    def fill(count: int, hashtag: str):
        series = SeriesFactory(hashtag=hashtag)
        series.hosts.add(AuthorFactory())
        for chat in make_chats(count, series=series):
            PostFactory(chat=chat)
            chat.hosts.add(AuthorFactory())
        SummaryFactory()

    fill(3, "few")
    with django_assert_num_queries(3):  # summaries, chats (counts, hosts annotated), series with next chat
        client.get("/")
    fill(30, "many")
    with django_assert_num_queries(3):
        html_of(client.get("/"))


# --- chat rows: hosts and counts ---------------------------------------------------

def test_hosts_are_the_chats_else_the_series_else_the_question_askers(client):
    series = SeriesFactory(hashtag="hcsmca")
    other_series = SeriesFactory(hashtag="hcsmbc", name="BC")
    own_host = AuthorFactory(handle="chat_host", display_name="Chat Host")
    series_host = AuthorFactory(handle="series_host", display_name="Series Host")
    asker = AuthorFactory(handle="asker", display_name="Question Asker")
    series.hosts.add(series_host)

    with_own = ChatFactory(series=series, number=1, slug="hcsmca-1", start=JAN_16)
    with_own.hosts.add(own_host)
    PostFactory(chat=with_own, author=own_host)
    from_series = ChatFactory(series=series, number=2, slug="hcsmca-2", start=JAN_16 + timedelta(weeks=1))
    PostFactory(chat=from_series, author=series_host)
    from_askers = ChatFactory(series=other_series, number=3, slug="hcsmbc-3", start=JAN_16 + timedelta(weeks=2))
    for label in ("T1", "T2"):  # the same asker twice: named once
        QuestionFactory(chat=from_askers, label=label, asked_by=PostFactory(chat=from_askers, author=asker))

    response = client.get("/archive/")
    html = html_of(response)
    hosts = {chat.slug: [host.handle for host in chat.listed_hosts] for chat in response.context["page"].object_list}
    assert hosts == {"hcsmca-1": ["chat_host"], "hcsmca-2": ["series_host"], "hcsmbc-3": ["asker"]}
    assert 'hosted by <a href="/people/twitter/chat_host/">Chat Host</a>' in html
    assert 'hosted by <a href="/people/twitter/asker/">Question Asker</a>' in html


def test_a_host_without_public_posts_is_named_but_not_linked(client):
    chat = ChatFactory()
    chat.hosts.add(AuthorFactory(handle="quiet_host", display_name="Quiet Host"))
    html = html_of(client.get("/archive/"))
    assert "hosted by Quiet Host" in html
    assert "/people/twitter/quiet_host/" not in html


def test_row_counts_posts_and_participants(client):
    chat = ChatFactory(number=116, slug="hcsmca-116", title="Trusting health information online", start=JAN_16)
    jo, amir = AuthorFactory(handle="nurse_jo"), AuthorFactory(handle="dr_amir")
    for author in (jo, jo, amir):
        PostFactory(chat=chat, author=author)
    PostFactory(chat=None, author=jo, created_at=JAN_16)

    html = html_of(client.get("/archive/"))

    assert "#hcsmca 116: Trusting health information online" in html
    assert "16 January 2019, 13:00 EST" in html
    assert re.search(r"· 3 posts\s*· 2 participants", html)


def test_host_names_are_escaped(client):
    chat = ChatFactory()
    host = AuthorFactory(handle="xss_host", display_name="<script>alert('host')</script>")
    chat.hosts.add(host)
    chat.title = "<b>Bold</b> title"
    chat.save()
    html = html_of(client.get("/archive/"))
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert "<b>Bold</b>" not in html


def test_with_counts_keeps_its_annotations_and_ignores_other_chats():
    chat, other = ChatFactory(), ChatFactory()
    PostFactory.create_batch(3, chat=chat, author=AuthorFactory())
    PostFactory(chat=other)
    counted = {c.pk: (c.post_count, c.participant_count) for c in Chat.objects.with_counts()}
    assert counted == {chat.pk: (3, 1), other.pk: (1, 1)}
    assert list(Chat.objects.with_counts().filter(post_count__gt=1)) == [chat]


# --- archive ------------------------------------------------------------------------------

def test_archive_groups_by_year_and_month_with_navigation(client, hidden_and_scheduled):
    series = Series.objects.get(hashtag="hcsmca")
    dec = ChatFactory(series=series, number=10, slug="hcsmca-10", start=datetime(2018, 12, 12, 18, tzinfo=UTC))
    jan = ChatFactory(series=series, number=11, slug="hcsmca-11", start=JAN_16)
    jan.tags.add("Patient voices")
    feb = ChatFactory(series=series, number=12, slug="hcsmca-12", start=datetime(2019, 2, 6, 18, tzinfo=UTC))

    html = html_of(client.get("/archive/"))

    assert row_slugs(html) == [feb.slug, jan.slug, dec.slug]
    headings = re.findall(r"<h([23]) class=\"archive-(?:year|month)\">([^<]+)</h\1>", html)
    assert headings == [("2", "2019"), ("3", "February 2019"), ("3", "January 2019"), ("2", "2018"),
                        ("3", "December 2018")]
    assert '<a href="/archive/2019/">2019</a> <span class="count">(2)</span>' in html
    assert '<a href="/archive/2018/">2018</a> <span class="count">(1)</span>' in html
    assert '<a href="/series/hcsmca/">#hcsmca</a> <span class="count">(3)</span>' in html
    assert '<a href="/tags/patient-voices/">Patient voices</a>' in html
    assert html.count("<h1") == 1
    assert_no_hidden_content(html)


def test_archive_is_paginated_by_fifty(client):
    chats = make_chats(51)
    first = html_of(client.get("/archive/"))
    second = html_of(client.get("/archive/", {"page": 2}))
    assert len(row_slugs(first)) == 50
    assert row_slugs(second) == [chats[0].slug]
    assert 'href="?page=2"' in first


def test_archive_query_count_does_not_grow(client, django_assert_num_queries):
    def fill(count: int, hashtag: str):
        series = SeriesFactory(hashtag=hashtag)
        series.hosts.add(AuthorFactory())
        for chat in make_chats(count, series=series, start=JAN_16 + timedelta(days=len(hashtag))):
            chat.tags.add(f"topic-{chat.number}")
            asker = PostFactory(chat=chat)
            QuestionFactory(chat=chat, asked_by=asker)
            chat.hosts.add(AuthorFactory())

    fill(3, "few")
    # count, chats (counts and hosts annotated), years, series, tags
    with django_assert_num_queries(5):
        client.get("/archive/")
    fill(30, "many")
    with django_assert_num_queries(5):
        html_of(client.get("/archive/"))


def test_year_and_month_pages(client, hidden_and_scheduled):
    series = Series.objects.get(hashtag="hcsmca")
    jan = ChatFactory(series=series, number=11, slug="hcsmca-11", start=JAN_16)
    feb = ChatFactory(series=series, number=12, slug="hcsmca-12", start=datetime(2019, 2, 6, 18, tzinfo=UTC))
    ChatFactory(series=series, number=13, slug="hcsmca-13", start=datetime(2020, 2, 5, 18, tzinfo=UTC))

    year = html_of(client.get("/archive/2019/"))
    month = html_of(client.get("/archive/2019/2/"))

    assert row_slugs(year) == [feb.slug, jan.slug]
    assert "<h1>Chats of 2019</h1>" in year
    assert re.findall(r'<h2 class="archive-month">([^<]+)</h2>', year) == ["February 2019", "January 2019"]
    assert row_slugs(month) == [feb.slug]
    assert "<h1>Chats of February 2019</h1>" in month
    assert_no_hidden_content(year)




@pytest.mark.parametrize("url", ["/archive/2019/13/", "/archive/2019/0/", "/archive/1999/", "/archive/2019/3/"])
def test_out_of_range_or_empty_dates_are_not_found(client, url):
    ChatFactory(start=JAN_16)
    assert client.get(url).status_code == 404


def test_a_month_with_only_hidden_chats_is_not_found(client, hidden_and_scheduled):
    assert client.get("/archive/2019/1/").status_code == 404


def test_chat_near_midnight_is_filed_under_the_archive_timezone_month(client):
    # 31 January 2019, 23:30 in Toronto is already 1 February in UTC.
    chat = ChatFactory(start=datetime(2019, 2, 1, 4, 30, tzinfo=UTC))
    assert row_slugs(html_of(client.get("/archive/2019/1/"))) == [chat.slug]
    assert client.get("/archive/2019/2/").status_code == 404


def test_series_page(client, hidden_and_scheduled):
    series = Series.objects.get(hashtag="hcsmca")
    series.description = "A weekly chat about <health> & social media."
    series.save()
    host = AuthorFactory(handle="hcsmca_mod", display_name="HCSM Canada")
    series.hosts.add(host)
    chat = ChatFactory(series=series, number=116, slug="hcsmca-116", start=JAN_16)
    PostFactory(chat=chat, author=host)
    ChatFactory(series=SeriesFactory(hashtag="other", name="Other"), number=5, slug="other-5")

    html = html_of(client.get("/series/hcsmca/"))

    assert "<h1>Health Care Social Media Canada" in html
    assert "A weekly chat about &lt;health&gt; &amp; social media." in html
    assert "Wednesdays at 13:00 (America/Toronto)" in html
    assert '<a href="/people/twitter/hcsmca_mod/">HCSM Canada</a>' in html
    assert row_slugs(html) == ["hcsmca-116"]
    assert_no_hidden_content(html)


def test_empty_archive_and_series_say_so(client):
    SeriesFactory(hashtag="newseries", name="A new series")
    assert "No chats are archived yet." in html_of(client.get("/archive/"))
    assert "No #newseries chat is archived yet." in html_of(client.get("/series/newseries/"))


def test_unknown_series_is_not_found(client):
    assert client.get("/series/nope/").status_code == 404


def test_tag_page(client, hidden_and_scheduled):
    tagged = ChatFactory(number=50, slug="hcsmca-50", start=JAN_16)
    tagged.tags.add("Privacy")
    ChatFactory(number=51, slug="hcsmca-51", start=JAN_16 + timedelta(weeks=1))

    html = html_of(client.get("/tags/privacy/"))

    assert row_slugs(html) == ["hcsmca-50"]
    assert "<h1>Chats about Privacy</h1>" in html


@pytest.mark.parametrize("slug", ["withdrawn-topic", "no-such-tag"])
def test_tag_of_hidden_chats_only_or_unknown_is_not_found(client, hidden_and_scheduled, slug):
    assert client.get(f"/tags/{slug}/").status_code == 404


# --- participant ----------------------------------------------------------------------

@pytest.fixture
def participant_data(hidden_and_scheduled):
    series = Series.objects.get(hashtag="hcsmca")
    jo = AuthorFactory(platform=Platform.MASTODON, platform_id="109", handle="jo@med.social",
                       display_name="Jo <script>alert('jo')</script>", profile_url="https://med.social/@jo",
                       profile_seen_at=datetime(2020, 1, 1, tzinfo=UTC))
    first = ChatFactory(series=series, number=1, slug="hcsmca-1", start=JAN_16)
    second = ChatFactory(series=series, number=2, slug="hcsmca-2", start=JAN_16 + timedelta(weeks=1))
    others = AuthorFactory(handle="someone_else")
    # Chat 1: two posts of someone else first, then Jo's two.
    for minute in (0, 1):
        PostFactory(chat=first, author=others, created_at=first.start + timedelta(minutes=minute),
                    external_id=f"10{minute}")
    old = PostFactory(chat=first, author=jo, created_at=first.start + timedelta(minutes=2), external_id="102",
                      platform=Platform.MASTODON, text="My first answer")
    PostFactory(chat=first, author=jo, created_at=first.start + timedelta(minutes=3), external_id="103",
                platform=Platform.MASTODON, text="My second answer")
    new = PostFactory(chat=second, author=jo, created_at=second.start, external_id="200",
                      platform=Platform.MASTODON, text="Back again")
    PostFactory(chat=hidden_and_scheduled["hidden"], author=jo, platform=Platform.MASTODON,
                text="Withdrawn words")
    PostFactory(chat=None, author=jo, platform=Platform.MASTODON, text="Stray words", created_at=JAN_16)
    return {"jo": jo, "first": first, "second": second, "old": old, "new": new}


def test_participant_page(client, participant_data, monkeypatch):
    monkeypatch.setattr(browse, "TRANSCRIPT_PAGE_SIZE", 2)
    jo = participant_data["jo"]
    assert jo.get_absolute_url() == "/people/mastodon/jo@med.social/"

    response = client.get(jo.get_absolute_url())
    html = html_of(response)

    assert "&lt;script&gt;alert(&#x27;jo&#x27;)&lt;/script&gt;" in html and "<script>alert" not in html
    assert "@jo@med.social" in html and "Mastodon" in html
    assert '<a href="https://med.social/@jo" rel="nofollow ugc noopener">' in html
    assert response.context["totals"] == {"posts": 3, "chats": 2}
    assert [chat.slug for chat in response.context["chats"]] == ["hcsmca-2", "hcsmca-1"]
    assert [chat.author_post_count for chat in response.context["chats"]] == [1, 2]
    assert "2 of their posts" in html
    assert [post.text for post in response.context["posts"]] == ["Back again", "My second answer", "My first answer"]
    # Jo's first answer is the third post of chat 1: page 2 of its transcript at two posts a page.
    assert 'href="/chats/hcsmca-1/?order=time&amp;page=2#post-102"' in html
    assert 'href="/chats/hcsmca-1/?order=time&amp;page=2#post-103"' in html
    assert 'href="/chats/hcsmca-2/?order=time&amp;page=1#post-200"' in html
    assert "Withdrawn words" not in html and "Stray words" not in html
    assert "3 posts by @jo@med.social in 2 #hcsmca chats" in html  # the description
    assert_no_hidden_content(html.replace("Withdrawn words", ""))


def test_participant_with_a_dotted_bluesky_handle(client):
    author = AuthorFactory(platform=Platform.BLUESKY, platform_id="did:plc:abc", handle="nurse.bsky.social")
    PostFactory(chat=ChatFactory(), author=author, platform=Platform.BLUESKY)
    assert client.get("/people/bluesky/nurse.bsky.social/").status_code == 200


def test_profile_url_that_is_not_http_is_not_linked(client):
    author = AuthorFactory(handle="js_profile", profile_url="javascript:alert(1)")
    PostFactory(chat=ChatFactory(), author=author)
    html = html_of(client.get("/people/twitter/js_profile/"))
    assert "javascript:" not in html


def test_renamed_handle_picks_the_most_recently_seen_author(client):
    chat = ChatFactory()
    old = AuthorFactory(platform_id="1", handle="same_name", display_name="Old Owner",
                        profile_seen_at=datetime(2015, 1, 1, tzinfo=UTC))
    new = AuthorFactory(platform_id="2", handle="same_name", display_name="New Owner",
                        profile_seen_at=datetime(2022, 1, 1, tzinfo=UTC))
    unseen = AuthorFactory(platform_id="3", handle="same_name", display_name="Never Seen", profile_seen_at=None)
    for author in (old, new, unseen):
        PostFactory(chat=chat, author=author)
    response = client.get("/people/twitter/same_name/")
    assert response.context["author"] == new


def test_participant_with_posts_only_in_hidden_or_scheduled_chats_is_not_found(client, hidden_and_scheduled):
    assert client.get("/people/twitter/secret_person/").status_code == 404
    assert client.get("/people/twitter/nobody/").status_code == 404
    assert client.get("/people/mastodon/secret_person/").status_code == 404  # another platform


def test_participant_posts_are_paginated_by_fifty(client):
    author = AuthorFactory(handle="prolific")
    chat = ChatFactory()
    posts = [PostFactory(chat=chat, author=author, created_at=chat.start + timedelta(seconds=n)) for n in range(51)]
    first = client.get("/people/twitter/prolific/")
    second = client.get("/people/twitter/prolific/", {"page": "2"})
    assert len(first.context["posts"]) == 50
    assert [post.pk for post in second.context["posts"]] == [posts[0].pk]


def test_participant_query_count_does_not_grow(client, django_assert_num_queries):
    author = AuthorFactory(handle="regular")

    def fill(count: int, hashtag: str):
        for chat in make_chats(count, series=SeriesFactory(hashtag=hashtag)):
            chat.hosts.add(AuthorFactory())
            PostFactory.create_batch(2, chat=chat, author=author)

    fill(3, "few")
    # author, totals, chats joined (counts and hosts annotated), posts
    with django_assert_num_queries(4):
        client.get("/people/twitter/regular/")
    fill(30, "many")
    with django_assert_num_queries(4):
        html_of(client.get("/people/twitter/regular/"))


# --- resources -----------------------------------------------------------------------

@pytest.fixture
def shared(hidden_and_scheduled):
    hcsmca = Series.objects.get(hashtag="hcsmca")
    other = SeriesFactory(hashtag="hcsmbc", name="Health Care Social Media BC")
    one = ChatFactory(series=hcsmca, number=1, slug="hcsmca-1", title="Trust", start=JAN_16)
    two = ChatFactory(series=hcsmca, number=2, slug="hcsmca-2", title="Privacy", start=JAN_16 + timedelta(weeks=1))
    bc = ChatFactory(series=other, number=7, slug="hcsmbc-7", title="Caregivers", start=JAN_16 + timedelta(weeks=2))
    sharer = AuthorFactory(handle="first_sharer", display_name="First <Sharer>")
    study = StudyFactory(doi="10.2196/jmir.1933", pmid="21504872", title="Twitter and health: a review")
    doi_link = LinkFactory(url="https://doi.org/10.2196/jmir.1933", domain="doi.org", title="", study=study)
    journal_link = LinkFactory(url="https://www.jmir.org/2011/2/e41/", domain="www.jmir.org",
                               title="JMIR article", study=study)
    video = LinkFactory(url="https://www.youtube.com/watch?v=abc", domain="www.youtube.com", title="A video talk")
    article = LinkFactory(url="https://news.example/story", domain="news.example", title="A news story")
    bad = LinkFactory(url="javascript:alert(1)", domain="", title="")

    def share(chat, link, author=None, minute=0):
        post = PostFactory(chat=chat, author=author or AuthorFactory(),
                           created_at=chat.start + timedelta(minutes=minute))
        PostLinkFactory(post=post, link=link)
        return post

    first_post = share(one, journal_link, sharer, minute=5)  # the study: 3 shares in 3 chats
    share(two, doi_link, minute=1)
    share(bc, doi_link, minute=2)
    share(one, article, minute=10)  # the article: 2 shares
    share(two, article, minute=3)
    share(bc, video, minute=4)  # the video: 1 share, newest
    share(one, bad, minute=20)
    # Shares in hidden and scheduled chats are not counted.
    for chat in (hidden_and_scheduled["hidden"], hidden_and_scheduled["scheduled"]):
        share(chat, video)
        share(chat, video)
    return {"study": study, "first_post": first_post, "article": article, "video": video}


def titles(response) -> list[str]:
    return [resource.title for resource in response.context["resources"]]


def test_resources_page_groups_a_studys_links_and_counts_public_shares_only(client, shared):
    response = client.get("/resources/")
    html = html_of(response)

    assert titles(response)[:3] == ["Twitter and health: a review", "A news story", "A video talk"]
    study_row = response.context["resources"][0]
    assert (study_row.share_count, study_row.chat_count) == (3, 3)
    assert [link.url for link in study_row.links] == ["https://doi.org/10.2196/jmir.1933",
                                                      "https://www.jmir.org/2011/2/e41/"]
    assert response.context["resources"][2].share_count == 1  # the video: hidden shares not counted
    assert 'DOI <a href="https://doi.org/10.2196/jmir.1933"' in html
    assert 'PMID <a href="https://pubmed.ncbi.nlm.nih.gov/21504872/"' in html
    assert "First &lt;Sharer&gt;" in html and "First <Sharer>" not in html
    first = shared["first_post"]
    assert f'href="/chats/hcsmca-1/?order=time&amp;page=1#post-{first.external_id}"' in html
    assert 'href="/people/twitter/first_sharer/"' in html
    assert 'href="javascript:' not in html
    assert_no_hidden_content(html)


@pytest.mark.parametrize(("params", "expected"), [
    ({"kind": "study"}, ["Twitter and health: a review"]),
    ({"kind": "video"}, ["A video talk"]),
    ({"kind": "link"}, ["A news story", "javascript:alert(1)"]),
    # One share each in #hcsmbc: the most recently shared first.
    ({"series": "hcsmbc"}, ["A video talk", "Twitter and health: a review"]),
    ({"series": "hcsmbc", "kind": "video"}, ["A video talk"]),
    ({"sort": "newest"}, ["A video talk", "Twitter and health: a review", "A news story", "javascript:alert(1)"]),
])
def test_resources_filters_and_sort(client, shared, params, expected):
    assert titles(client.get("/resources/", params)) == expected


def test_resources_series_filter_counts_within_the_series(client, shared):
    response = client.get("/resources/", {"series": "hcsmbc", "kind": "study"})
    [row] = response.context["resources"]
    assert (row.share_count, row.chat_count) == (1, 1)


def test_resources_form_is_labelled_and_invalid_values_are_reported(client, shared):
    html = html_of(client.get("/resources/", {"kind": "<script>", "series": "nope"}))
    for field in ("series", "kind", "sort"):
        assert f'<label for="id_{field}">' in html
    assert "Select a valid choice." in html
    assert "<script>" not in html
    assert '<option value="hcsmca"' in html and "withdrawn" not in html


def test_resources_are_paginated_by_fifty(client):
    chat = ChatFactory()
    for n in range(51):
        PostLinkFactory(post=PostFactory(chat=chat), link=LinkFactory())
    assert len(client.get("/resources/").context["resources"]) == 50
    second = client.get("/resources/", {"page": 2})
    assert len(second.context["resources"]) == 1
    assert second.context["page"].paginator.num_pages == 2
    for odd in ("99", "0", "x"):  # past the end: the last page; not a number: the first
        page = client.get("/resources/", {"page": odd}).context["page"]
        assert page.number == (2 if odd == "99" else 1)
    # The filters stay in the pagination links.
    assert 'href="?kind=link&amp;sort=newest&amp;page=2"' in html_of(
        client.get("/resources/", {"kind": "link", "sort": "newest"})
    )


def test_resources_query_count_does_not_grow(client, django_assert_num_queries):
    def fill(count: int, hashtag: str):
        for chat in make_chats(count, series=SeriesFactory(hashtag=hashtag)):
            study = StudyFactory()
            for _ in range(2):
                PostLinkFactory(post=PostFactory(chat=chat), link=LinkFactory(study=study))
                PostLinkFactory(post=PostFactory(chat=chat), link=LinkFactory())

    fill(3, "few")
    # series choices, rows (with their total), links, first shares, their
    # place in the transcripts, chats
    with django_assert_num_queries(6):
        client.get("/resources/")
    fill(30, "many")
    with django_assert_num_queries(6):
        html_of(client.get("/resources/"))


def test_no_resources_says_so(client):
    assert "No resource matches these filters." in html_of(client.get("/resources/"))


# --- navigation, sitemap -------------------------------------------------------------

def test_site_navigation_links_the_browsing_pages(client):
    html = html_of(client.get("/"))
    assert '<a href="/archive/">Archive</a>' in html and '<a href="/resources/">Resources</a>' in html


def test_sitemap_lists_archive_years_and_series_but_no_hidden_chat(client, hidden_and_scheduled):
    ChatFactory(start=JAN_16)
    xml = client.get("/sitemap.xml").content.decode()
    for path in ("/archive/", "/archive/2019/", "/resources/", "/series/hcsmca/"):
        assert f"<loc>http://testserver{path}</loc>" in xml
    assert "hcsmca-900" not in xml and "hcsmca-901" not in xml and "/people/" not in xml
