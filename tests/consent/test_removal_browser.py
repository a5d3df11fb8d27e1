"""The removal request, in Chromium: a person sends the form (and corrects a
mistake the server found, on a page with no axe-core violation), then a
moderator redacts them from the admin's confirmation page."""
from __future__ import annotations

import pytest

from tests.browser.conftest import AXE_SCRIPT, admin_login, page, require_tool  # noqa: F401 (fixture)
from tests.browser.test_accessibility import AXE_TAGS, RUN_AXE, describe
from tests.factories import AuthorFactory, PostFactory

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.browser]


@pytest.fixture
def jo_chat_url(db):
    """A participant with one post; the URL of its chat. (Written before the
    browser starts: while it runs, Django refuses synchronous queries.)"""
    author = AuthorFactory(handle="nurse_jo", display_name="Jo Tremblay")
    return PostFactory(author=author, text="My own story about chemo #hcsmca").chat.get_absolute_url()


def test_a_person_asks_and_a_moderator_redacts(live_server, moderator, jo_chat_url, page):  # noqa: F811
    require_tool(AXE_SCRIPT.is_file(), f"axe-core is not installed at {AXE_SCRIPT} (npm ci)")
    page.goto(live_server.url + jo_chat_url)
    assert "My own story about chemo" in page.content()

    page.goto(f"{live_server.url}/removal/")
    page.select_option("#id_platform", "twitter")
    page.fill("#id_handle", "nurse jo")  # a space: the server refuses it
    page.fill("#id_email", "jo@example.org")
    page.fill("#id_message", "Please remove my posts.")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.locator("#id_handle_error").is_visible()
    assert page.input_value("#id_message") == "Please remove my posts."  # kept
    page.add_script_tag(path=str(AXE_SCRIPT))
    violations = page.evaluate(RUN_AXE, AXE_TAGS)
    assert not violations, describe(violations)

    page.fill("#id_handle", "@nurse_jo")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/removal/thanks/" in page.url
    assert page.locator("h1").inner_text().startswith("Thank you")

    admin_login(page, live_server, "/admin/chats/removalrequest/?status__exact=pending")
    with page.expect_navigation():
        page.click("#result_list tbody tr th a")
    page.click("a.redact-link")
    assert page.locator(".redact-post-count").inner_text() == "1"
    page.fill("#id_reason", "Confirmed: she wrote to us from the account.")
    with page.expect_navigation():
        page.click("input[type=submit].default")
    assert "Redacted @nurse_jo" in page.locator(".messagelist").inner_text()

    assert "Confirmed: the author was redacted" in page.content()
    assert "Reject this request" not in page.content()
    page.goto(live_server.url + jo_chat_url)
    assert "My own story about chemo" not in page.content()
    assert "nurse_jo" not in page.content()
    assert page.errors == []
