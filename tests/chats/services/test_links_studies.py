"""Links shared in posts (chats.services.links): normalised URLs, share counts,
and research recognised as studies.

tests/fixtures/import_service/studies_chat.jsonl: a #hcsmca chat in which one
made-up trial (DOI 10.5555/hcsm.2019.001) is shared three ways (doi.org with a
tracking parameter, the publisher's /doi/full/ page with a fragment,
dx.doi.org), plus a PubMed record, an arXiv preprint and a page that is no
study. studies_next_week.jsonl: the next week's chat, sharing the trial again.
"""
from __future__ import annotations

import pytest

from chats.models import Chat, Link, PostLink, Study
from chats.services.imports import SourceFile, transcript_import
from chats.services.links import domain_of, normalise_url, study_identifier
from tests.conftest import IMPORT_FIXTURES

TRIAL_DOI = "10.5555/hcsm.2019.001"


# --- normalise_url -------------------------------------------------------------

@pytest.mark.parametrize(
    ("url", "normalised"),
    [
        pytest.param("HTTPS://WWW.Example.ORG/Patient-Portal", "https://www.example.org/Patient-Portal",
                     id="scheme-and-host-case-not-path"),
        pytest.param("https://www.example.org:443/a", "https://www.example.org/a", id="default-https-port"),
        pytest.param("http://example.org:80/a", "http://example.org/a", id="default-http-port"),
        pytest.param("http://example.org:8080/a", "http://example.org:8080/a", id="other-port-kept"),
        pytest.param("https://example.org/a#section-2", "https://example.org/a", id="fragment"),
        pytest.param("https://example.org", "https://example.org/", id="empty-path"),
        pytest.param("https://example.org./a", "https://example.org/a", id="trailing-dot"),
        pytest.param("  https://example.org/a  ", "https://example.org/a", id="spaces"),
        pytest.param("https://example.org/a?utm_source=twitter&utm_medium=social&UTM_Campaign=x",
                     "https://example.org/a", id="utm"),
        pytest.param("https://example.org/a?id=7&fbclid=IwAR0abc&gclid=x", "https://example.org/a?id=7", id="click-ids"),
        pytest.param("https://example.org/search?q=patient+portal&page=2&utm_content=x",
                     "https://example.org/search?q=patient+portal&page=2", id="other-params-kept-in-order"),
        pytest.param("https://example.org/a?empty=", "https://example.org/a?empty=", id="blank-value-kept"),
    ],
)
def test_normalise_url(url, normalised):
    assert normalise_url(url) == normalised


@pytest.mark.parametrize("url", [
    "ftp://example.org/file.pdf", "mailto:jo@example.org", "javascript:alert(1)", "example.org/no-scheme",
    "https://", "http://example.org:99999/bad-port", "",
])
def test_normalise_url_refuses_what_is_not_a_web_link(url):
    assert normalise_url(url) == ""


def test_two_forms_of_one_link_normalise_the_same():
    assert normalise_url("https://www.cochranelibrary.com/about?utm_source=twitter#top") == normalise_url(
        "HTTPS://www.CochraneLibrary.com:443/about?fbclid=abc")


def test_domain_of_drops_www():
    assert domain_of("https://www.example.org/a") == "example.org"
    assert domain_of("https://journals.example.org/a") == "journals.example.org"


# --- study_identifier ---------------------------------------------------------------

@pytest.mark.parametrize(
    ("url", "identifier"),
    [
        pytest.param("https://doi.org/10.1001/jama.2020.1234", ("doi", "10.1001/jama.2020.1234"), id="doi.org"),
        pytest.param("https://dx.doi.org/10.1001/JAMA.2020.1234", ("doi", "10.1001/jama.2020.1234"),
                     id="dx.doi.org-lowercased"),
        pytest.param("https://doi.org/10.1002%2Fpon.5000", ("doi", "10.1002/pon.5000"), id="doi-escaped-slash"),
        pytest.param("https://doi.org/10.1056/NEJMoa2034577.", ("doi", "10.1056/nejmoa2034577"), id="doi-trailing-dot"),
        pytest.param("https://www.nejm.org/doi/full/10.1056/NEJMoa2034577", ("doi", "10.1056/nejmoa2034577"),
                     id="publisher-doi-full"),
        pytest.param("https://journals.sagepub.com/doi/10.1177/0272989X19856617", ("doi", "10.1177/0272989x19856617"),
                     id="publisher-doi"),
        pytest.param("https://onlinelibrary.wiley.com/doi/pdf/10.1002/pon.5000", ("doi", "10.1002/pon.5000"),
                     id="publisher-doi-pdf"),
        pytest.param("https://pubmed.ncbi.nlm.nih.gov/123/", ("pmid", "123"), id="pubmed"),
        pytest.param("https://pubmed.ncbi.nlm.nih.gov/30000001", ("pmid", "30000001"), id="pubmed-no-slash"),
        pytest.param("https://www.ncbi.nlm.nih.gov/pubmed/123", ("pmid", "123"), id="ncbi-pubmed"),
        pytest.param("https://ncbi.nlm.nih.gov/pubmed/123/", ("pmid", "123"), id="ncbi-pubmed-slash"),
        pytest.param("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC123/", ("pmcid", "PMC123"), id="pmc"),
        pytest.param("https://www.ncbi.nlm.nih.gov/pmc/articles/pmc6543210", ("pmcid", "PMC6543210"), id="pmc-case"),
        pytest.param("https://pmc.ncbi.nlm.nih.gov/articles/PMC6543210/", ("pmcid", "PMC6543210"), id="new-pmc-host"),
        pytest.param("https://arxiv.org/abs/2101.00001v2", ("arxiv_id", "2101.00001"), id="arxiv-abs-version"),
        pytest.param("https://arxiv.org/abs/2101.00001", ("arxiv_id", "2101.00001"), id="arxiv-abs"),
        pytest.param("https://arxiv.org/pdf/2101.00001v2.pdf", ("arxiv_id", "2101.00001"), id="arxiv-pdf"),
        pytest.param("https://arxiv.org/pdf/2101.00001", ("arxiv_id", "2101.00001"), id="arxiv-pdf-bare"),
        pytest.param("https://arxiv.org/abs/hep-th/9901001", ("arxiv_id", "hep-th/9901001"), id="arxiv-old-style"),
    ],
)
def test_study_identifier(url, identifier):
    assert study_identifier(url) == identifier


@pytest.mark.parametrize("url", [
    "https://www.example.org/portal-tips",
    "https://www.cochranelibrary.com/about/about-cochrane-reviews",
    "https://doi.org/",
    "https://doi.org/about",
    "https://pubmed.ncbi.nlm.nih.gov/?term=patient+portal",
    "https://www.ncbi.nlm.nih.gov/books/NBK1234/",
    "https://arxiv.org/list/cs.CY/recent",
    "https://twitter.com/hcsmca/status/1085624398153904128",
])
def test_other_links_are_no_study(url):
    assert study_identifier(url) is None


# --- through an import ---------------------------------------------------------------

def import_file(name: str, **options):
    path = IMPORT_FIXTURES / name
    with path.open("rb") as stream:
        outcome = transcript_import(sources=[SourceFile(name, stream, path.stat().st_size)], **options)
    assert outcome.status == "succeeded", outcome.errors
    return outcome


@pytest.mark.django_db
@pytest.mark.usefixtures("default_series_hcsmca")
def test_one_study_shared_through_three_urls_is_one_study_with_three_links():
    import_file("studies_chat.jsonl")

    trial = Study.objects.get(doi=TRIAL_DOI)
    assert set(trial.links.values_list("url", flat=True)) == {
        "https://doi.org/10.5555/HCSM.2019.001",  # the tracking parameter dropped
        "https://journals.example.org/doi/full/10.5555/hcsm.2019.001",  # the fragment dropped
        "https://dx.doi.org/10.5555/hcsm.2019.001",
    }
    assert set(Study.objects.values_list("doi", "pmid", "pmcid", "arxiv_id")) == {
        (TRIAL_DOI, "", "", ""), ("", "30000001", "", ""), ("", "", "", "2101.00001")}
    tips = Link.objects.get(url="https://www.example.org/portal-tips")  # fbclid dropped
    assert (tips.domain, tips.study) == ("example.org", None)
    assert Link.objects.count() == 6
    assert all(link.share_count == 1 for link in Link.objects.all())


@pytest.mark.django_db
@pytest.mark.usefixtures("default_series_hcsmca")
def test_a_reimport_makes_no_second_study_and_counts_stay():
    import_file("studies_chat.jsonl")
    before = set(Link.objects.values_list("url", "share_count", "study_id"))

    import_file("studies_chat.jsonl")

    assert Study.objects.count() == 3
    assert set(Link.objects.values_list("url", "share_count", "study_id")) == before


@pytest.mark.django_db
@pytest.mark.usefixtures("default_series_hcsmca")
def test_links_shared_in_a_chat_are_counted_per_chat():
    import_file("studies_chat.jsonl", chat_slug="hcsmca-10")
    import_file("studies_next_week.jsonl", chat_slug="hcsmca-11")
    first, second = Chat.objects.get(slug="hcsmca-10"), Chat.objects.get(slug="hcsmca-11")

    # The trial's doi.org link, once each week (two URL forms normalised to one).
    doi_link = Link.objects.get(url="https://doi.org/10.5555/HCSM.2019.001")
    assert doi_link.share_count == 2
    assert doi_link.first_post.chat == first
    assert PostLink.objects.filter(link=doi_link).count() == 2

    in_first = {link.url: link.chat_share_count for link in Link.objects.shared_in(first)}
    assert in_first == {
        "https://arxiv.org/abs/2101.00001v2": 1,
        "https://doi.org/10.5555/HCSM.2019.001": 1,
        "https://dx.doi.org/10.5555/hcsm.2019.001": 1,
        "https://journals.example.org/doi/full/10.5555/hcsm.2019.001": 1,
        "https://pubmed.ncbi.nlm.nih.gov/30000001/": 1,
        "https://www.example.org/portal-tips": 1,
    }
    assert [(link.url, link.chat_share_count) for link in Link.objects.shared_in(second)] == [
        ("https://doi.org/10.5555/HCSM.2019.001", 1)]
    assert Study.objects.get(doi=TRIAL_DOI).links.count() == 3


@pytest.mark.django_db
def test_shared_in_orders_by_shares_in_that_chat():
    from tests.factories import ChatFactory, PostFactory

    chat, other = ChatFactory(), ChatFactory()
    popular, rare = Link.objects.create(url="https://b.example.org/", domain="b.example.org"), Link.objects.create(
        url="https://a.example.org/", domain="a.example.org")
    for post in PostFactory.create_batch(3, chat=chat):
        PostLink.objects.create(post=post, link=popular)
    PostLink.objects.create(post=PostFactory(chat=chat), link=rare)
    for post in PostFactory.create_batch(5, chat=other):
        PostLink.objects.create(post=post, link=rare)

    assert [(link.url, link.chat_share_count) for link in Link.objects.shared_in(chat)] == [
        ("https://b.example.org/", 3), ("https://a.example.org/", 1)]
    assert [(link.url, link.chat_share_count) for link in Link.objects.shared_in(other)] == [
        ("https://a.example.org/", 5)]


def test_normalise_url_keeps_an_ipv6_host_a_url():
    assert normalise_url("http://[2001:db8::1]:8080/a") == "http://[2001:db8::1]:8080/a"
