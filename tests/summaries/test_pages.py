"""Reader pages of summaries: the permalink's questions, featured resources and
neighbours, the lists (all, series, tag, author, month) and what readers never
see there (drafts, scheduled summaries, publish times still ahead)."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from chats.models import Chat
from summaries.models import Summary
from summaries.services.rendering import summary_render
from summaries.views import SUMMARIES_PER_PAGE
from tests.factories import (
    ChatFactory, LinkFactory, QuestionFactory, SeriesFactory, StudyFactory, SummaryFactory,
)

pytestmark = pytest.mark.django_db

JANUARY = datetime(2019, 1, 18, 15, tzinfo=UTC)


def html_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def listed_titles(response) -> list[str]:
    return [summary.title for summary in response.context["page"].object_list]


@pytest.fixture
def author(django_user_model):
    return django_user_model.objects.create_user("sam.mod", first_name="Sam", last_name="Moderator")


@pytest.fixture
def chat():
    return ChatFactory(number=116, slug="hcsmca-116", title="Trusting health information online")


@pytest.fixture
def summary(chat, author):
    summary = SummaryFactory(chat=chat, author=author, title="What we learned about trust",
                             slug="trust", published_at=JANUARY)
    summary.tags.add("Trust")
    return summary


@pytest.fixture
def unpublished(chat, author):
    """A draft, a scheduled summary and a published one whose time is ahead,
    all on the same series, tag and author as ``summary``."""
    ahead = timezone.now() + timedelta(days=3)
    rows = [
        SummaryFactory(chat=chat, author=author, title="Secret draft", slug="secret-draft",
                       status=Summary.Status.DRAFT, published_at=None),
        SummaryFactory(chat=chat, author=author, title="Secret scheduled", slug="secret-scheduled",
                       status=Summary.Status.SCHEDULED, published_at=ahead),
        SummaryFactory(chat=chat, author=author, title="Secret future", slug="secret-future",
                       status=Summary.Status.PUBLISHED, published_at=ahead),
        # Same month as ``summary``: the month archive must not show it either.
        SummaryFactory(chat=chat, author=author, title="Secret january draft", slug="secret-jan",
                       status=Summary.Status.DRAFT, published_at=JANUARY + timedelta(days=1)),
    ]
    for row in rows:
        row.tags.add("Trust")
    return rows


# --- the summary page ------------------------------------------------------------

def test_summary_page_lists_the_chats_questions_linking_into_the_transcript(client, summary, chat):
    QuestionFactory(chat=chat, label="T1", text="Where do you look first?", position=1)
    QuestionFactory(chat=chat, label="T2", text="Who <b>do</b> you trust?", position=2)

    html = html_of(client.get(summary.get_absolute_url()))

    links = re.findall(r'<a href="(/chats/hcsmca-116/#T\d)">', html)
    assert links == ["/chats/hcsmca-116/#T1", "/chats/hcsmca-116/#T2"]
    assert "Who &lt;b&gt;do&lt;/b&gt; you trust?" in html


def test_questions_of_a_hidden_chat_are_not_shown(client, summary, chat):
    QuestionFactory(chat=chat, label="T1", text="Where do you look first?")
    Chat.objects.filter(pk=chat.pk).update(visibility=Chat.Visibility.HIDDEN)

    html = html_of(client.get(summary.get_absolute_url()))

    assert "Where do you look first?" not in html and "/chats/hcsmca-116/" not in html


def test_featured_studies_and_links(client, summary):
    study = StudyFactory(doi="10.2196/jmir.1933", pmid="23615206", title="Social media in <health> care")
    good = LinkFactory(url="https://example.org/guide", title="A guide")
    bad = LinkFactory(url="javascript:alert(1)", domain="", title="Bad link")
    summary.featured_studies.add(study)
    summary.featured_links.add(good, bad)

    html = html_of(client.get(summary.get_absolute_url()))

    assert '<a href="https://doi.org/10.2196/jmir.1933" rel="nofollow noopener">Social media in &lt;health&gt; care</a>' in html
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/23615206/"' in html
    assert '<a href="https://example.org/guide" rel="nofollow ugc noopener">A guide</a>' in html
    assert "Bad link" in html and "javascript:" not in html


def test_author_tags_and_date_link_to_their_lists(client, summary):
    html = html_of(client.get(summary.get_absolute_url()))

    assert '<a rel="author" href="/summaries/authors/sam.mod/">Sam Moderator</a>' in html
    assert '<a rel="tag" href="/summaries/tags/trust/">Trust</a>' in html
    assert 'href="/2019/01/"' in html
    assert '<meta property="og:type" content="article">' in html
    assert 'href="/feeds/summaries/series/hcsmca.atom"' in html and 'href="/feeds/summaries.rss"' in html


def test_previous_and_next_of_the_same_series_by_publish_time(client, chat, author, unpublished):
    other_series_chat = ChatFactory(series=SeriesFactory(hashtag="hcldr", name="Healthcare leadership"))
    first = SummaryFactory(chat=chat, title="First", slug="first", published_at=JANUARY - timedelta(days=30))
    middle = SummaryFactory(chat=chat, title="Middle", slug="middle", published_at=JANUARY)
    # Same publish time: the id breaks the tie, so both still chain.
    twin = SummaryFactory(chat=chat, title="Twin", slug="twin", published_at=JANUARY)
    SummaryFactory(chat=other_series_chat, title="Other series", slug="other", published_at=JANUARY + timedelta(days=1))
    last = SummaryFactory(chat=chat, title="Last", slug="last", published_at=JANUARY + timedelta(days=10))

    def neighbours(summary):
        context = client.get(summary.get_absolute_url()).context
        return (context["previous"] and context["previous"].slug, context["next"] and context["next"].slug)

    assert neighbours(first) == (None, "middle")
    assert neighbours(middle) == ("first", "twin")
    assert neighbours(twin) == ("middle", "last")
    # Nothing after "last": the scheduled, future and draft ones are not shown.
    assert neighbours(last) == ("twin", None)
    html = html_of(client.get(twin.get_absolute_url()))
    assert '<a rel="prev" href="/2019/01/18/middle/">' in html and '<a rel="next" href="' in html
    assert "Other series" not in html and "Secret" not in html


def test_summary_without_series_has_no_neighbours(client):
    SummaryFactory(chat=None, slug="a", published_at=JANUARY)
    lone = SummaryFactory(chat=None, slug="b", published_at=JANUARY + timedelta(days=1))
    html = html_of(client.get(lone.get_absolute_url()))
    assert 'rel="prev"' not in html and 'rel="next"' not in html


def test_comments_section_of_an_old_summary_is_closed(client, summary):
    # Comments close COMMENTS_CLOSE_AFTER_DAYS after publication (tests/summaries/test_comments.py).
    html = html_of(client.get(summary.get_absolute_url()))
    assert 'id="comments"' in html and "Comments on this summary are closed." in html
    assert 'id="comment-form"' not in html


def _make_full_summaries(chat, author, n: int) -> Summary:
    """``n`` published summaries of ``chat``'s series, each with tags, studies,
    links; returns one in the middle, its body rendered and stored as the
    worker does on publishing (readers are then served the stored copy)."""
    for k in range(n):
        QuestionFactory(chat=chat, label=f"T{k + 1}")
    rows = []
    for k in range(n):
        row = SummaryFactory(chat=chat, author=author, slug=f"s-{n}-{k}", published_at=JANUARY + timedelta(days=k))
        row.tags.add(f"tag {k}", "common")
        row.featured_studies.add(StudyFactory())
        row.featured_links.add(LinkFactory())
        rows.append(row)
    return summary_render(summary_id=rows[n // 2].pk)


@pytest.mark.parametrize("n", [3, 30])
def test_summary_page_query_count_is_constant(client, chat, author, n, django_assert_num_queries):
    middle = _make_full_summaries(chat, author, n)
    # the summary (author, chat and series joined), tags, studies, links,
    # questions, previous, next, the comment thread
    with django_assert_num_queries(9):  # 8 + the chat's dataset bundles (Data section)
        html = html_of(client.get(middle.get_absolute_url()))
    assert html.count('class="question-label"') == 0  # badges carry two classes
    assert html.count("badge question-label") == n


# --- lists ------------------------------------------------------------------------

LISTS = [
    "/summaries/",
    "/summaries/series/hcsmca/",
    "/summaries/tags/trust/",
    "/summaries/authors/sam.mod/",
    "/2019/01/",
]


@pytest.mark.parametrize("url", LISTS)
def test_lists_show_published_summaries_only(client, summary, unpublished, url):
    response = client.get(url)
    html = html_of(response)

    assert listed_titles(response) == ["What we learned about trust"]
    assert "Secret" not in html
    row = html[html.index('<ol class="summary-list'):]
    assert '<a href="/2019/01/18/trust/">What we learned about trust</a>' in row
    assert "18 January 2019" in row and "Sam Moderator" in row
    assert "We talked about trust in online health information." in row
    assert '<a class="chat-link" href="/chats/hcsmca-116/">#hcsmca 116: Trusting health information online</a>' in row
    assert html.count("<h1") == 1


def test_list_rows_do_not_link_a_hidden_chat(client, summary, chat):
    Chat.objects.filter(pk=chat.pk).update(visibility=Chat.Visibility.HIDDEN)
    html = html_of(client.get("/summaries/"))
    assert "What we learned about trust" in html and "hcsmca-116" not in html


@pytest.mark.parametrize("url", [
    "/summaries/series/nosuchseries/",
    "/summaries/tags/nosuchtag/",
    "/summaries/authors/nobody/",
    "/2019/02/",  # no summary that month
    "/2019/13/",
    "/2019/00/",
    "/0000/01/",
])
def test_unknown_or_empty_lists_are_not_found(client, summary, url):
    assert client.get(url).status_code == 404


def test_tag_and_author_of_unpublished_summaries_only_are_not_found(client, chat, author, django_user_model):
    drafter = django_user_model.objects.create_user("drafter")
    draft = SummaryFactory(chat=chat, author=drafter, slug="d", status=Summary.Status.DRAFT, published_at=None)
    draft.tags.add("Embargoed")
    assert client.get("/summaries/tags/embargoed/").status_code == 404
    assert client.get("/summaries/authors/drafter/").status_code == 404


def test_month_archive_uses_the_site_timezone(client, chat):
    # 1 February 2019, 03:00 UTC is still 31 January in Toronto.
    SummaryFactory(chat=chat, title="Late January", slug="late", published_at=datetime(2019, 2, 1, 3, tzinfo=UTC))
    SummaryFactory(chat=chat, title="Early February", slug="early", published_at=datetime(2019, 2, 1, 6, tzinfo=UTC))

    assert listed_titles(client.get("/2019/01/")) == ["Late January"]
    assert listed_titles(client.get("/2019/02/")) == ["Early February"]
    assert "<h1 id=\"summaries-heading\">Summaries of January 2019</h1>" in html_of(client.get("/2019/01/"))


def test_lists_paginate_newest_first(client, chat):
    total = SUMMARIES_PER_PAGE + 3
    for k in range(total):
        SummaryFactory(chat=chat, title=f"Summary {k:02d}", slug=f"s{k}", published_at=JANUARY + timedelta(hours=k))

    first = client.get("/summaries/")
    second = client.get("/summaries/", {"page": 2})

    assert listed_titles(first) == [f"Summary {k:02d}" for k in range(total - 1, 2, -1)]
    assert listed_titles(second) == ["Summary 02", "Summary 01", "Summary 00"]
    assert '<a rel="next" href="?page=2">Next</a>' in html_of(first)
    assert "(page 2)" in html_of(second)


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("n", [3, 30])
def test_list_query_count_is_constant(client, chat, author, n, url, django_assert_num_queries):
    for k in range(n):
        row = SummaryFactory(chat=chat, author=author, slug=f"s{k}", published_at=JANUARY + timedelta(hours=k),
                             excerpt="" if k % 2 else "An excerpt.")
        row.tags.add("Trust")
    # the count and the page of rows, plus the series, tag or author named in the URL
    expected = 2 if url in ("/summaries/", "/2019/01/") else 3
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert len(listed_titles(response)) == min(n, SUMMARIES_PER_PAGE)


def test_hostile_titles_excerpts_and_tag_names_are_escaped(client, chat, author):
    hostile = SummaryFactory(chat=chat, author=author, slug="hostile", published_at=JANUARY,
                             title="<script>alert('t')</script>", excerpt="<img src=x onerror=alert(1)>")
    hostile.tags.add("<b>bold</b>")
    tag_slug = hostile.tags.get().slug

    pages = ["/summaries/", f"/summaries/tags/{tag_slug}/", hostile.get_absolute_url()]
    for url in pages:
        html = html_of(client.get(url))
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>bold</b>" not in html, url
        assert "&lt;script&gt;" in html, url
    assert "Summaries tagged &lt;b&gt;bold&lt;/b&gt;" in html_of(client.get(f"/summaries/tags/{tag_slug}/"))


def test_site_nav_links_to_the_summaries(client, chat):
    html = html_of(client.get("/"))
    assert '<a href="/summaries/">Summaries</a>' in html


def test_tag_with_unicode_letters_has_a_working_list_and_feed(client, summary):
    summary.tags.add("Santé publique")
    slug = summary.tags.get(name="Santé publique").slug

    html = html_of(client.get(summary.get_absolute_url()))
    list_url = f"/summaries/tags/{slug}/"

    assert list_url in html or list_url.replace("é", "%C3%A9") in html
    assert listed_titles(client.get(list_url)) == ["What we learned about trust"]
    assert client.get(f"/feeds/summaries/tags/{slug}.atom").status_code == 200
