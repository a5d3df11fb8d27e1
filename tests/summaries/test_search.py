"""Summaries in site search: the stored tsvector behind
``Summary.objects.search()`` and the "Summaries" block of /search/."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from chats.search import SUMMARY_HITS
from summaries.models import Summary
from tests.factories import ChatFactory, PostFactory, SeriesFactory, SummaryFactory

pytestmark = pytest.mark.django_db

JANUARY = datetime(2019, 1, 18, 15, tzinfo=UTC)


def summary_titles(response) -> list[str]:
    assert response.status_code == 200
    results = response.context["results"]
    return [summary.title for summary in results.summaries] if results else []


def block_of(response) -> str:
    html = response.content.decode()
    if 'class="search-summaries"' not in html:
        return ""
    start = html.index('class="search-summaries"')
    return html[start:html.index("</section>", start)]


@pytest.fixture
def chat():
    return ChatFactory(number=116, slug="hcsmca-116")


def test_search_vector_weighs_the_title_first(client, chat):
    in_body = SummaryFactory(chat=chat, slug="body", title="Notes", excerpt="", body_markdown="We spoke of caregivers.")
    in_title = SummaryFactory(chat=chat, slug="title", title="Caregivers online", excerpt="", body_markdown="Notes.")
    in_excerpt = SummaryFactory(chat=chat, slug="excerpt", title="Other", excerpt="Caregivers", body_markdown="x")
    SummaryFactory(chat=chat, slug="none", title="Privacy", excerpt="Portals", body_markdown="Nothing.")

    assert set(Summary.objects.search("caregiver")) == {in_body, in_title, in_excerpt}

    # Through the page: rank by weight (A title, B excerpt, C body).
    assert summary_titles(client.get("/search/", {"q": "caregivers"})) == [
        "Caregivers online", "Other", "Notes",
    ]


def test_only_published_summaries_are_found(client, chat):
    ahead = timezone.now() + timedelta(days=2)
    SummaryFactory(chat=chat, slug="p", title="Privacy and portals, published", published_at=JANUARY)
    SummaryFactory(chat=chat, slug="d", title="Privacy draft", status=Summary.Status.DRAFT, published_at=None)
    SummaryFactory(chat=chat, slug="s", title="Privacy scheduled", status=Summary.Status.SCHEDULED, published_at=ahead)
    SummaryFactory(chat=chat, slug="f", title="Privacy future", status=Summary.Status.PUBLISHED, published_at=ahead)

    response = client.get("/search/", {"q": "privacy"})

    assert summary_titles(response) == ["Privacy and portals, published"]
    html = response.content.decode()
    assert "draft" not in block_of(response).lower() and "Privacy scheduled" not in html and "Privacy future" not in html


def test_summaries_show_even_when_no_post_matches(client, chat):
    PostFactory(chat=chat, text="Nothing relevant here #hcsmca")
    SummaryFactory(chat=chat, slug="p", title="Patient portals", published_at=JANUARY)

    response = client.get("/search/", {"q": "portals"})

    block = block_of(response)
    assert '<h2 id="summary-results-heading">Summaries</h2>' in block
    assert '<a href="/2019/01/18/p/">Patient portals</a>' in block
    assert "No post of a public chat matches this search." in response.content.decode()


def test_at_most_the_best_few_on_the_first_page_only(client, chat):
    for k in range(SUMMARY_HITS + 2):
        SummaryFactory(chat=chat, slug=f"s{k}", title=f"Privacy {k}", published_at=JANUARY + timedelta(days=k))
    for k in range(25):
        PostFactory(chat=chat, text=f"Privacy post {k} #hcsmca")

    assert len(summary_titles(client.get("/search/", {"q": "privacy"}))) == SUMMARY_HITS
    second = client.get("/search/", {"q": "privacy", "page": 2})
    assert summary_titles(second) == [] and block_of(second) == ""


def test_filters_apply_to_summaries(client, chat):
    other = ChatFactory(series=SeriesFactory(hashtag="hcldr", name="Healthcare leadership"), number=5, slug="hcldr-5")
    SummaryFactory(chat=chat, slug="a", title="Privacy at hcsmca", published_at=JANUARY)
    SummaryFactory(chat=other, slug="b", title="Privacy at hcldr", published_at=JANUARY + timedelta(days=40))

    assert summary_titles(client.get("/search/", {"q": "privacy", "series": "hcldr"})) == ["Privacy at hcldr"]
    assert summary_titles(client.get("/search/", {"q": "privacy", "chat": "hcsmca-116"})) == ["Privacy at hcsmca"]
    assert summary_titles(client.get("/search/", {"q": "privacy", "from": "2019-02-01"})) == ["Privacy at hcldr"]
    assert summary_titles(client.get("/search/", {"q": "privacy", "to": "2019-01-31"})) == ["Privacy at hcsmca"]
    # Filters about posts only: no summary is shown.
    assert summary_titles(client.get("/search/", {"q": "privacy", "author": "nurse_jo"})) == []
    assert summary_titles(client.get("/search/", {"q": "privacy", "question": "T1"})) == []


def test_hostile_summary_title_and_body_are_escaped_in_results(client, chat):
    SummaryFactory(chat=chat, slug="h", published_at=JANUARY, title="<script>alert('privacy')</script>",
                   excerpt="", body_markdown="privacy <img src=x onerror=alert(1)> and \ue000privacy\ue001")

    response = client.get("/search/", {"q": "privacy"})

    block = block_of(response)
    assert "<script>" not in block and "<img" not in block
    assert "&lt;script&gt;" in block and "&lt;img src=x" in block
    assert "<mark>privacy</mark>" in block
    # The text's own sentinels are dropped, not turned into marks.
    assert block.count("<mark>") == block.count("</mark>") == 2


def test_summaries_block_costs_one_query(client, chat, django_assert_num_queries):
    for k in range(8):
        SummaryFactory(chat=chat, slug=f"s{k}", title=f"Privacy {k}", published_at=JANUARY + timedelta(days=k))
    # No post matches: the candidate ids, then the summaries.
    with django_assert_num_queries(2):
        assert len(summary_titles(client.get("/search/", {"q": "privacy"}))) == SUMMARY_HITS
