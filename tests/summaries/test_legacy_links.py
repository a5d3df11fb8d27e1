"""The old blog's links keep working: ``/?p=<id>`` and old permalinks answer
301 to the summary's permalink when it is published, 404 otherwise, and
never send a reader off the site."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from chats.services.imports import SourceFile
from summaries.models import Summary
from summaries.services.wxr_import import wordpress_import
from tests.factories import SummaryFactory

pytestmark = pytest.mark.django_db

BLOG = Path(__file__).resolve().parents[1] / "fixtures" / "wxr" / "blog-1.2.xml"
# 02:30 UTC on 3 May 2018 is still 2 May in Toronto (the site's timezone).
EVENING = datetime(2018, 5, 3, 2, 30, tzinfo=UTC)


@pytest.fixture
def imported():
    with BLOG.open("rb") as stream:
        outcome = wordpress_import(sources=[SourceFile(BLOG.name, stream, BLOG.stat().st_size)])
    assert outcome.status == "succeeded", outcome.errors
    return {summary.wp_post_id: summary for summary in Summary.objects.all()}


def test_post_id_links_redirect_to_the_permalink(client, imported):
    response = client.get("/?p=101")
    assert response.status_code == 301
    assert response["Location"] == "/2018/05/02/chat-116-trust/" == imported[101].get_absolute_url()
    assert client.get(response["Location"]).status_code == 200


def test_post_id_links_keep_working_with_other_parameters(client, imported):
    response = client.get("/", {"p": "101", "replytocom": "11"})
    assert (response.status_code, response["Location"]) == (301, "/2018/05/02/chat-116-trust/")
    assert client.head("/?p=101").status_code == 301
    response = client.get("/index.php?p=101")
    assert (response.status_code, response["Location"]) == (301, "/2018/05/02/chat-116-trust/")
    assert client.get("/index.php").status_code == 404


@pytest.mark.parametrize("query", [
    "p=102",  # a draft
    "p=103",  # scheduled for 2030
    "p=104",  # password-protected, kept as a draft
    "p=105",  # in the trash, not imported
    "p=2",  # a page
    "p=99999",
    "p=abc",
    "p=",
    "p=%EF%BC%91",  # a full-width digit one
    "p=//evil.example.com",
])
def test_post_id_links_to_nothing_readers_may_see_answer_404(client, imported, query):
    assert client.get(f"/?{query}").status_code == 404


def test_the_home_page_without_p_is_untouched(client, imported):
    assert client.get("/").status_code == 200
    assert client.get("/", {"page": "2"}).status_code != 301


def test_post_id_links_only_on_the_home_page(client, imported):
    response = client.get("/search/", {"p": "101"})
    assert response.status_code != 301


def test_an_old_permalink_dated_differently_redirects(client, imported):
    """The old blog dated the post 3 May (its own clock); here it is 2 May."""
    assert imported[101].legacy_path == "/2018/05/03/chat-116-trust/"
    response = client.get("/2018/05/03/chat-116-trust/")
    assert (response.status_code, response["Location"]) == (301, "/2018/05/02/chat-116-trust/")


def test_an_old_permalink_of_another_shape_redirects_with_or_without_its_slash(client):
    summary = SummaryFactory(slug="font-sizes", published_at=EVENING, legacy_path="/wp-6-1-font-size-scale/")
    for path in ("/wp-6-1-font-size-scale/", "/wp-6-1-font-size-scale"):
        response = client.get(path)
        assert (response.status_code, response["Location"]) == (301, summary.get_absolute_url())


def test_an_old_permalink_with_non_ascii_letters(client):
    summary = SummaryFactory(slug="sante", published_at=EVENING, legacy_path="/archives/2012/santé-et-médias")
    response = client.get("/archives/2012/sant%C3%A9-et-m%C3%A9dias")
    assert (response.status_code, response["Location"]) == (301, summary.get_absolute_url())


def test_old_permalinks_of_hidden_summaries_answer_404(client):
    SummaryFactory(status="draft", published_at=None, legacy_path="/2018/06/01/members-only/")
    SummaryFactory(status="scheduled", published_at=timezone.now() + timedelta(days=3), legacy_path="/soon/")
    assert client.get("/2018/06/01/members-only/").status_code == 404
    assert client.get("/soon/").status_code == 404


def test_unknown_paths_answer_404(client, imported):
    assert client.get("/2018/05/03/no-such-post/").status_code == 404
    assert client.get("/no/such/page/").status_code == 404


def test_the_current_permalink_never_redirects_to_itself(client):
    summary = SummaryFactory(slug="same", published_at=EVENING)
    Summary.objects.filter(pk=summary.pk).update(legacy_path=summary.get_absolute_url())
    assert client.get(summary.get_absolute_url()).status_code == 200


def test_only_reads_are_redirected(client):
    SummaryFactory(slug="font-sizes", published_at=EVENING, legacy_path="/wp-6-1-font-size-scale/")
    assert client.post("/wp-6-1-font-size-scale/").status_code == 404
    assert client.post("/?p=1").status_code != 301


def test_a_redirect_costs_one_query(client, django_assert_num_queries):
    SummaryFactory(slug="font-sizes", published_at=EVENING, legacy_path="/old/", wp_post_id=7)
    with django_assert_num_queries(1):
        assert client.get("/?p=7").status_code == 301
    with django_assert_num_queries(1):
        assert client.get("/old/").status_code == 301
