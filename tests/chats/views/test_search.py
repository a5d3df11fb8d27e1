"""The search page: PostgreSQL full-text search over the posts of public chats."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from chats.models import Chat, Post
from tests.factories import AuthorFactory, ChatFactory, PostFactory, QuestionFactory, SeriesFactory

pytestmark = pytest.mark.django_db

START = datetime(2019, 1, 16, 18, tzinfo=UTC)


def html_of(response) -> str:
    return response.content.decode()


def hit_ids(response) -> list[str]:
    """External ids of the results, in the order shown."""
    return [post.external_id for post in response.context["results"].posts]


@pytest.fixture
def chat():
    return ChatFactory(number=116, slug="hcsmca-116", title="Trusting health information online",
                       start=START, end=START + timedelta(hours=1))


@pytest.fixture
def make_post(chat):
    counter = iter(range(1, 10_000))

    def make(text: str, **kwargs) -> Post:
        n = next(counter)
        kwargs.setdefault("chat", chat)
        kwargs.setdefault("created_at", (kwargs["chat"].start if kwargs["chat"] else START) + timedelta(seconds=n))
        kwargs.setdefault("external_id", str(1085624398153904128 + n))
        return PostFactory(text=text, **kwargs)

    return make


def search(client, **params):
    response = client.get("/search/", params)
    assert response.status_code == 200
    return response


# --- the page without a query ----------------------------------------------------

def test_empty_query_shows_the_form_only(client, make_post):
    make_post("Cancer survivors online #hcsmca")

    response = search(client)

    html = html_of(response)
    assert response.context["results"] is None
    assert '<form class="search-form"' in html and 'name="q"' in html
    assert "search-results" not in html and "No results" not in html


def test_header_has_a_search_form_on_every_page(client, chat):
    html = html_of(client.get("/"))

    assert re.search(r'<form class="header-search" method="get" action="/search/"', html)
    assert '<label for="header-search-q">Search posts</label>' in html
    assert 'id="header-search-q" name="q"' in html


# --- query syntax ------------------------------------------------------------------

def test_word_matches_with_english_stemming(client, make_post):
    survivors = make_post("Social media and self-care for cancer survivors #hcsmca", external_id="1")
    trusting = make_post("Trusting what you read online is hard #hcsmca", external_id="2")
    make_post("Privacy and patient portals #hcsmca", external_id="3")

    assert hit_ids(search(client, q="survivor")) == [survivors.external_id]
    assert hit_ids(search(client, q="SURVIVORS")) == [survivors.external_id]
    assert hit_ids(search(client, q="trust")) == [trusting.external_id]


def test_phrase_in_quotes(client, make_post):
    phrase = make_post("Patient voices matter in research #hcsmca", external_id="1")
    make_post("The voices of every patient count #hcsmca", external_id="2")

    assert hit_ids(search(client, q='"patient voices"')) == [phrase.external_id]
    assert sorted(hit_ids(search(client, q="patient voices"))) == ["1", "2"]


def test_minus_excludes_a_word(client, make_post):
    make_post("Privacy and patient portals #hcsmca", external_id="1")
    kept = make_post("Patient voices in research #hcsmca", external_id="2")

    assert hit_ids(search(client, q="patient -portals")) == [kept.external_id]


def test_or_finds_either_word(client, make_post):
    make_post("Privacy and patient portals #hcsmca", external_id="1")
    make_post("Caregivers online #hcsmca", external_id="2")
    make_post("Health literacy in a second language #hcsmca", external_id="3")

    assert sorted(hit_ids(search(client, q="privacy or caregivers"))) == ["1", "2"]
    assert hit_ids(search(client, q="privacy caregivers")) == []


def test_a_query_of_exclusions_only_is_refused(client, make_post):
    make_post("Privacy and patient portals #hcsmca")

    response = search(client, q="-privacy")

    assert response.context["results"] is None
    assert "Search for at least one word" in html_of(response)


@pytest.mark.parametrize("q", ["the and of", '"unclosed phrase', "privacy:* & (portals", "<>&'\"", "or or"])
def test_odd_queries_do_not_crash(client, make_post, q):
    make_post("Privacy and patient portals #hcsmca")

    response = client.get("/search/", {"q": q})

    assert response.status_code == 200


def test_page_number_out_of_range_or_not_a_number(client, make_post):
    make_post("Privacy and patient portals #hcsmca")

    for page in ("abc", "99", "-1", "0"):
        response = search(client, q="privacy", page=page)
        assert len(hit_ids(response)) == 1


def test_no_match_says_so(client, make_post):
    make_post("Privacy and patient portals #hcsmca")

    html = html_of(search(client, q="zebra"))

    assert "No results" in html


def test_results_are_ranked(client, make_post):
    make_post("Caregivers online, a note #hcsmca", external_id="1")
    best = make_post("Caregivers help caregivers: caregivers online #hcsmca", external_id="2")

    assert hit_ids(search(client, q="caregivers")) == [best.external_id, "1"]


# --- filters -------------------------------------------------------------------------

def test_filter_by_series(client, make_post, chat):
    other = ChatFactory(series=SeriesFactory(hashtag="bcsm", name="Breast cancer social media"),
                        number=5, slug="bcsm-5", start=START)
    make_post("Caregivers online #hcsmca", external_id="1")
    make_post("Caregivers online #bcsm", external_id="2", chat=other)

    assert hit_ids(search(client, q="caregivers", series="bcsm")) == ["2"]
    assert hit_ids(search(client, q="caregivers", series="#hcsmca")) == ["1"]
    assert hit_ids(search(client, q="caregivers", series="nosuchseries")) == []


def test_filter_by_chat(client, make_post, chat):
    other = ChatFactory(series=chat.series, number=117, slug="hcsmca-117", start=START + timedelta(weeks=1))
    make_post("Caregivers online #hcsmca", external_id="1")
    make_post("Caregivers online again #hcsmca", external_id="2", chat=other)

    assert hit_ids(search(client, q="caregivers", chat="hcsmca-117")) == ["2"]


def test_filter_by_author(client, make_post):
    jo = AuthorFactory(handle="nurse_jo")
    make_post("Caregivers online #hcsmca", external_id="1", author=jo)
    make_post("Caregivers online too #hcsmca", external_id="2", author=AuthorFactory(handle="dr_amir"))

    assert hit_ids(search(client, q="caregivers", author="nurse_jo")) == ["1"]
    assert hit_ids(search(client, q="caregivers", author="@Nurse_Jo")) == ["1"]


def test_filter_by_question(client, make_post, chat):
    t1 = QuestionFactory(chat=chat, label="T1", position=0)
    t2 = QuestionFactory(chat=chat, label="T2", position=1)
    make_post("A1 caregivers online #hcsmca", external_id="1", question=t1)
    make_post("A2 caregivers online #hcsmca", external_id="2", question=t2)

    response = search(client, q="caregivers", question="T2")

    assert hit_ids(response) == ["2"]
    assert '<span class="badge question-label">T2</span>' in html_of(response)


def test_filter_by_dates(client, make_post, chat):
    later = ChatFactory(series=chat.series, number=117, slug="hcsmca-117", start=datetime(2019, 2, 6, 18, tzinfo=UTC))
    make_post("Caregivers online #hcsmca", external_id="1")  # 16 January 2019
    make_post("Caregivers online again #hcsmca", external_id="2", chat=later)  # 6 February 2019

    assert hit_ids(search(client, q="caregivers", **{"from": "2019-02-01"})) == ["2"]
    assert hit_ids(search(client, q="caregivers", to="2019-01-16")) == ["1"]
    assert sorted(hit_ids(search(client, q="caregivers", **{"from": "2019-01-16", "to": "2019-02-06"}))) == ["1", "2"]


@pytest.mark.parametrize("params, message", [
    ({"from": "16/01/2019"}, "Enter the start date as YYYY-MM-DD."),
    ({"to": "2019-13-45"}, "Enter the end date as YYYY-MM-DD."),
    ({"from": "2019-02-01", "to": "2019-01-01"}, "The end date is before the start date."),
    ({"chat": "not a slug!"}, "A chat is named by its slug"),
    ({"author": "<b>jo</b>"}, "An author is named by a handle"),
    ({"question": "T1; drop"}, "A question is named by its label"),
    ({"series": "hcsm ca"}, "A series is a hashtag"),
    ({"q": "a" * 501}, "at most 500 characters"),
])
def test_a_bad_filter_is_a_form_error_not_a_crash(client, make_post, params, message):
    make_post("Caregivers online #hcsmca")

    response = search(client, **{"q": "caregivers", **params})

    assert response.context["results"] is None
    assert message in html_of(response)
    assert "&lt;b&gt;" in html_of(response) or "<b>jo" not in html_of(response)


# --- what is never shown ---------------------------------------------------------------

def test_hidden_chats_and_posts_outside_any_chat_are_excluded(client, make_post, chat):
    hidden = ChatFactory(series=chat.series, number=117, slug="hcsmca-117", visibility=Chat.Visibility.HIDDEN,
                         start=START + timedelta(weeks=1))
    make_post("Caregivers online #hcsmca", external_id="1")
    make_post("Caregivers online, withdrawn #hcsmca", external_id="2", chat=hidden)
    make_post("Caregivers online, a stray mention #hcsmca", external_id="3", chat=None)

    response = search(client, q="caregivers")

    assert hit_ids(response) == ["1"]
    assert "withdrawn" not in html_of(response) and "stray" not in html_of(response)


# --- how a result is shown --------------------------------------------------------------

def test_snippet_marks_the_match_and_escapes_the_text(client, make_post):
    make_post('Caregivers <script>alert("x")</script> & friends #hcsmca')

    html = html_of(search(client, q="caregiver"))

    assert "<mark>Caregivers</mark>" in html
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; friends" in html
    assert "\ue000" not in html and "\ue001" not in html


def test_snippet_keeps_tag_like_text_and_ignores_sentinel_characters(client, make_post):
    make_post("Caregivers <b>online</b> \ue001 \ue000 <!-- x --> \ue002 #hcsmca")

    html = html_of(search(client, q="online"))

    snippet = re.search(r'class="post-text snippet"[^>]*>(.*?)</p>', html, re.S).group(1)
    assert snippet == "Caregivers &lt;b&gt;<mark>online</mark>&lt;/b&gt;   &lt;!-- x --&gt;  #hcsmca"


def test_date_filter_at_the_end_of_the_calendar(client, make_post):
    make_post("Caregivers online #hcsmca")

    assert len(hit_ids(search(client, q="caregivers", to="9999-12-31"))) == 1


def test_query_is_echoed_escaped(client, make_post):
    make_post("Caregivers online #hcsmca")

    html = html_of(search(client, q='<script>alert(1)</script> caregivers'))

    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; caregivers" in html


def test_result_shows_author_time_in_series_timezone_and_chat(client, make_post):
    jo = AuthorFactory(handle="nurse_jo", display_name="Jo Tremblay, RN")
    make_post("Caregivers online #hcsmca", author=jo, created_at=START + timedelta(minutes=2))

    html = html_of(search(client, q="caregivers"))

    assert "Jo Tremblay, RN" in html and "@nurse_jo" in html
    assert "16 January 2019, 13:02 EST" in html  # America/Toronto
    assert "#hcsmca 116: Trusting health information online" in html


def test_result_links_to_the_post_in_its_chat(client, make_post):
    post = make_post("Caregivers online #hcsmca", external_id="1085624902431494145")

    html = html_of(search(client, q="caregivers"))

    assert f'href="/chats/hcsmca-116/?order=time&amp;page=1#{post.anchor}"' in html


def test_result_beyond_the_first_chat_page_links_to_its_page(client, make_post, monkeypatch):
    monkeypatch.setattr("chats.views.POSTS_PER_PAGE", 3)
    for n in range(4):
        make_post(f"Filler post number {n} #hcsmca", created_at=START + timedelta(minutes=n))
    # Same time as the last filler: the transcript then orders by external_id.
    late = make_post("Caregivers online #hcsmca", external_id="9999999999999999999",
                     created_at=START + timedelta(minutes=3))
    early = make_post("Caregivers first #hcsmca", external_id="1", created_at=START - timedelta(minutes=1))

    html = html_of(search(client, q="caregivers"))

    # late is the 6th post in time order (page 2 of 3 posts); early the 1st.
    assert f'href="/chats/hcsmca-116/?order=time&amp;page=2#post-{late.external_id}"' in html
    assert f'href="/chats/hcsmca-116/?order=time&amp;page=1#post-{early.external_id}"' in html
    # The chat's page in time order does show it there.
    page_2 = html_of(client.get("/chats/hcsmca-116/", {"order": "time", "page": 2}))
    assert f'id="post-{late.external_id}"' in page_2


# --- large result sets -------------------------------------------------------------------

def test_results_are_paginated_keeping_the_query(client, make_post):
    for n in range(25):
        make_post(f"Caregivers online, post {n} #hcsmca")

    first = search(client, q="caregivers", author="")
    second = search(client, q="caregivers", page=2)

    assert len(hit_ids(first)) == 20 and len(hit_ids(second)) == 5
    assert not set(hit_ids(first)) & set(hit_ids(second))
    assert "25 results" in html_of(first)
    assert "?q=caregivers&amp;author=&amp;page=2" in html_of(first)


def test_common_term_is_capped_to_the_most_recent_matches(client, make_post, monkeypatch):
    monkeypatch.setattr("chats.search.SEARCH_CAP", 5)
    # The oldest is the best match, but beyond the cap of the 5 most recent.
    make_post("Caregivers caregivers caregivers caregivers #hcsmca", external_id="100",
              created_at=START - timedelta(hours=1))
    make_post("Caregivers, caregivers! #hcsmca", external_id="101", created_at=START - timedelta(minutes=30))
    for n in range(5):
        make_post(f"Caregivers online, post {n} #hcsmca", external_id=str(200 + n),
                  created_at=START + timedelta(minutes=n))
    best_recent = make_post("Caregivers caregivers caregivers: online #hcsmca", external_id="300",
                            created_at=START + timedelta(minutes=2, seconds=30))

    response = search(client, q="caregivers")

    html = html_of(response)
    results = response.context["results"]
    assert results.capped and results.count == 5
    assert "5+ results" in html
    assert "Showing the best of the 5 most recent matches" in html
    ids = hit_ids(response)
    assert ids[0] == best_recent.external_id
    assert len(ids) == 5
    assert "100" not in ids and "101" not in ids and "200" not in ids


def test_uncapped_count_is_exact(client, make_post):
    for n in range(3):
        make_post(f"Caregivers online, post {n} #hcsmca")

    html = html_of(search(client, q="caregivers"))

    assert "3 results" in html and "most recent matches" not in html


def test_query_count_does_not_grow_with_results(client, django_assert_max_num_queries, make_post):
    """Candidate ids, the ranked ids of the page, the page's posts (with their
    snippet and their place in their chat), and on the first page the best
    summaries: 4 queries, whatever the number of results (one of slack)."""
    def queries_for_a_results_page(**params) -> int:
        with django_assert_max_num_queries(5) as captured:
            response = search(client, q="privacy", author="", **params)
        return len(captured.captured_queries), len(hit_ids(response))

    authors = [AuthorFactory() for _ in range(3)]
    for n in range(5):
        make_post(f"Patient portals and privacy {n} #hcsmca", author=authors[n % 3])
    few, shown = queries_for_a_results_page()
    assert shown == 5

    other_chat = ChatFactory(number=117, slug="hcsmca-117", start=START + timedelta(weeks=1))
    question = QuestionFactory(chat=other_chat, label="T1")
    for n in range(25):
        make_post(f"Privacy again {n} #hcsmca", author=AuthorFactory(), chat=other_chat, question=question)
    many, shown = queries_for_a_results_page()
    assert shown == 20
    second_page, shown = queries_for_a_results_page(page=2)
    assert shown == 10

    assert few == many == 4
    assert second_page == 3  # summaries are shown on the first page only
