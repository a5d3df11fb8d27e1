"""A reader's paths through the archive in a real browser, by clicking: from
the home page to a chat's question and on to a participant, and from the
header's search box to the post a result names."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.site_data import HIDDEN_TITLE

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.browser]


def target_id(page) -> str | None:
    return page.evaluate("document.querySelector(':target')?.id ?? null")


def test_home_to_archive_to_a_question_to_a_participant(live_server, archive_site, page):
    chat, colleen = archive_site.chat, archive_site.participant
    page.goto(live_server.url + "/")
    page.get_by_role("navigation", name="Site").get_by_role("link", name="Archive", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/archive/")
    assert HIDDEN_TITLE not in page.content()

    page.get_by_role("main").get_by_role("link", name=re.compile(chat.title)).first.click()
    expect(page).to_have_url(live_server.url + chat.get_absolute_url())

    # The table of contents links to the section of a sub-question: the
    # fragment is its label, and the section is the target, on screen.
    page.locator("nav.questions").get_by_role("link", name="T1a", exact=True).click()
    expect(page).to_have_url(re.compile(r"#T1a$"))
    assert target_id(page) == "T1a"
    section = page.locator("#T1a")
    expect(section).to_be_in_viewport()
    expect(section).to_contain_text("How did you judge whether advice there was trustworthy?")
    expect(section).to_contain_text("I look for the study behind a claim")

    section.locator(".post .author", has_text=f"@{colleen.handle}").first.click()
    expect(page).to_have_url(live_server.url + colleen.get_absolute_url())
    main = page.get_by_role("main")
    expect(main.get_by_role("heading", level=1)).to_contain_text(colleen.display_name)
    # Her posts of both chats, and nobody else's.
    expect(main).to_contain_text("Peer forums run by caregivers themselves")
    expect(main).to_contain_text("I look for the study behind a claim")
    expect(main).to_contain_text("At the table from the first protocol draft")
    expect(main).not_to_contain_text("Ask what we read!")
    assert page.errors == []


def test_header_search_to_the_post_a_result_names(live_server, archive_site, page):
    post = archive_site.posts["a1a"]
    page.goto(live_server.url + archive_site.other_chat.get_absolute_url())
    search = page.get_by_role("search", name="Site search")
    search.get_by_role("searchbox").fill('"study behind a claim"')
    search.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/search/\?q=%22study\+behind\+a\+claim%22$"))

    hits = page.locator(".search-hit")
    expect(hits).to_have_count(1)
    hits.first.locator("a.permalink").click()
    chat_url = re.escape(archive_site.chat.get_absolute_url())
    # Any order or page of the transcript, as long as it holds the post.
    expect(page).to_have_url(re.compile(rf"{chat_url}(\?[^#]*)?#{post.anchor}$"))
    assert target_id(page) == post.anchor
    expect(page.locator(f"#{post.anchor}")).to_be_in_viewport()
    expect(page.locator(f"#{post.anchor} .post-text")).to_contain_text("study behind a claim")
    assert page.errors == []


def test_keyboard_reader_skips_to_the_content(live_server, archive_site, page):
    page.goto(live_server.url + archive_site.chat.get_absolute_url())
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).not_to_be_in_viewport()  # off-screen until focused
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    assert target_id(page) == "main"
