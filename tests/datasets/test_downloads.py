"""Downloads: served from storage with the bundle's checksum as ETag; 404
for hidden chats and for bundles not built yet; the pages' Data and Cite
sections."""
import hashlib
import re

import pytest
from django.utils import timezone

from chats.models import Chat
from chats.services.bundles import FULL, PSEUDONYMISED, bundle_build

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(demo_chat):
    return {variant: bundle_build(chat_id=demo_chat.pk, variant=variant) for variant in (FULL, PSEUDONYMISED)}


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.parametrize(("path", "variant", "filename"), [
    ("/chats/hcsmca-116/dataset.zip", FULL, "hcsmca-116-dataset.zip"),
    ("/chats/hcsmca-116/dataset-pseudonymised.zip", PSEUDONYMISED, "hcsmca-116-dataset-pseudonymised.zip"),
])
def test_a_ready_bundle_is_served_as_an_attachment(client, built, path, variant, filename):
    response = client.get(path)
    assert response.status_code == 200
    data = body(response)
    assert hashlib.sha256(data).hexdigest() == built[variant].sha256
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Length"] == str(len(data)) == str(built[variant].size)
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response["ETag"] == f'"{built[variant].sha256}"'


def test_a_matching_etag_answers_304(client, built):
    response = client.get("/chats/hcsmca-116/dataset.zip", HTTP_IF_NONE_MATCH=f'"{built[FULL].sha256}"')
    assert response.status_code == 304


def test_not_built_yet_is_404_being_prepared(client, demo_chat):
    response = client.get("/chats/hcsmca-116/dataset.zip")
    assert response.status_code == 404
    assert b"being prepared" in response.content
    assert client.get("/series/hcsmca/dataset.zip").status_code == 404


def test_hidden_or_unknown_chats_have_no_bundle(client, built, demo_chat):
    Chat.objects.filter(pk=demo_chat.pk).update(visibility=Chat.Visibility.HIDDEN)
    for path in ("/chats/hcsmca-116/dataset.zip", "/chats/hcsmca-116/dataset-pseudonymised.zip",
                 "/chats/hcsmca-116/datasets.json", "/chats/nope-1/dataset.zip", "/series/nope/dataset.zip",
                 "/series/hcsmca/dataset.zip"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert b"PK" not in response.content[:2]


def test_series_bundle_download(client, demo_chat):
    row = bundle_build(series_id=demo_chat.series_id, variant=FULL)
    response = client.get("/series/hcsmca/dataset.zip")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="hcsmca-series-dataset.zip"'
    assert hashlib.sha256(body(response)).hexdigest() == row.sha256


def test_downloads_json_lists_the_ready_bundles(client, built, demo_chat):
    downloads = client.get("/chats/hcsmca-116/datasets.json").json()["downloads"]
    assert [(d["variant"], d["url"], d["size"]) for d in downloads] == [
        (FULL, "/chats/hcsmca-116/dataset.zip", built[FULL].size),
        (PSEUDONYMISED, "/chats/hcsmca-116/dataset-pseudonymised.zip", built[PSEUDONYMISED].size),
    ]


def test_chat_page_lists_downloads_and_cites_the_chat(client, built):
    html = client.get("/chats/hcsmca-116/").content.decode()
    assert 'href="/chats/hcsmca-116/dataset.zip"' in html
    assert 'href="/chats/hcsmca-116/dataset-pseudonymised.zip"' in html
    assert 'class="dataset-preparing" hidden' in html
    today = timezone.localdate()
    assert "Cite this chat" in html
    assert "hcsmca. (2025, March 11). #hcsmca chat 116" in html
    assert f'Retrieved <span data-access-date="apa">{today:%B} {today.day}, {today.year}</span>, from ' \
           "https://archive.example.org/chats/hcsmca-116/" in html
    assert f'Accessed: <span data-access-date="iso">{today.isoformat()}</span>' in html
    assert "/static/chats/datasets.js" in html


def test_chat_page_says_being_prepared_before_the_bundle(client, demo_chat):
    html = client.get("/chats/hcsmca-116/").content.decode()
    assert re.search(r'<p class="dataset-preparing">The dataset of this chat is being prepared', html)
    assert "dataset.zip" not in html


def test_summary_page_cites_the_summary_and_the_chat(client, built, demo_chat):
    from tests.factories import SummaryFactory

    summary = SummaryFactory(chat=demo_chat, title="Self-care & <survivors>", slug="self-care-survivors")
    response = client.get(summary.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "Cite this summary" in html and "Cite this chat" in html
    assert "Self-care &amp; &lt;survivors&gt; [Blog post]" in html
    assert r"title = {{Self-care \&amp; &lt;survivors&gt;}}" in html  # BibTeX-escaped, then HTML-escaped
    assert 'href="/chats/hcsmca-116/dataset.zip"' in html
