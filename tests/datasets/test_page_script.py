"""The chat page is cached whole by content version, so its Data and Cite
sections are kept current by static/chats/datasets.js: in a real browser,
under the site's Content-Security-Policy, a page cached before the bundle
was built lists it, and the access date is the reader's today."""
from datetime import datetime

import pytest

from chats.services.bundles import FULL, PSEUDONYMISED, bundle_build
from tests.browser.conftest import _chromium_page

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.browser]


def test_a_page_cached_before_the_bundle_lists_it_and_dates_the_citation_today(demo_chat, client, live_server):
    # Cached while the bundle was being prepared...
    cached = client.get("/chats/hcsmca-116/").content.decode()
    assert '<p class="dataset-preparing">' in cached and "dataset.zip" not in cached
    # ...then built: the page is not rebuilt (same content version).
    for variant in (FULL, PSEUDONYMISED):
        bundle_build(chat_id=demo_chat.pk, variant=variant)
    assert client.get("/chats/hcsmca-116/").content.decode() == cached

    with _chromium_page() as page:  # the site's CSP applies
        page.clock.set_fixed_time(datetime(2031, 2, 3, 12, 0))
        page.goto(f"{live_server.url}/chats/hcsmca-116/")
        page.wait_for_selector(".dataset-list li")
        links = page.locator(".dataset-list a")
        assert [links.nth(i).get_attribute("href") for i in range(links.count())] == [
            "/chats/hcsmca-116/dataset.zip", "/chats/hcsmca-116/dataset-pseudonymised.zip"]
        assert page.locator(".dataset-preparing").is_hidden()
        assert "Retrieved February 3, 2031, from" in page.locator(".citation-apa").inner_text()
        assert "note = {Accessed: 2031-02-03}" in page.locator(".citation-bibtex").inner_text()
        assert page.errors == []
