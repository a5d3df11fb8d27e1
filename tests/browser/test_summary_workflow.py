"""A moderator drafts, edits, previews and publishes a chat's summary in the
admin, in a real browser; then a reader finds it at its permalink, on the
home page and in the summaries feed. Tasks run eagerly in the live server
(the real-worker path: tests/integration/test_draft_worker.py)."""
import pytest

from tests.browser.conftest import admin_login

from tests.summaries.workflow import demo_chat, eager_tasks  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.browser]


def test_draft_edit_preview_publish_and_read(live_server, demo_chat, moderator, eager_tasks, page):
    admin_login(page, live_server, f"/admin/chats/chat/{demo_chat.pk}/change/")

    # Draft: the chat's button, then the confirmation page's.
    page.click("a.draft-summary-link")
    page.click("input[value='Draft summary']")
    page.wait_for_selector("text=Drafting the summary")
    page.click("#result_list a:has-text('#hcsmca 116')")

    # Edit, and preview what readers will see.
    body = page.locator("#id_body_markdown")
    assert body.input_value().startswith("On Tuesday 11 March 2025, #hcsmca chat 116")
    body.fill(body.input_value() + "\n\n**Thanks** to everyone who joined. <script>alert('x')</script>\n")
    page.click("#summary-preview-button")
    preview = page.locator("#summary-preview")
    preview.locator("strong", has_text="Thanks").wait_for()
    assert preview.locator("h4", has_text="T1a").count() == 1
    assert preview.locator("script").count() == 0 and "<script>alert('x')</script>" in preview.inner_text()
    assert page.dialogs == []

    # Publish.
    page.click("input[name=_publish]")
    page.wait_for_selector("text=was saved and published")
    title = page.locator("#id_title").input_value()

    # A reader (another browser context, not logged in).
    reader = page.context.browser.new_page()
    reader.goto(f"{live_server.url}/")
    reader.click(f"a:has-text('{title}')")
    assert reader.locator("h1").inner_text() == title
    article = reader.locator(".summary-body")
    assert article.locator("strong", has_text="Thanks").count() == 1
    assert article.locator("a[href='/chats/hcsmca-116/#T1a']").count() == 1
    assert article.locator("svg.activity-svg").count() == 1  # the chat's stats, rendered with it
    assert reader.locator("script:has-text(\"alert('x')\")").count() == 0
    permalink = reader.url

    feed = reader.request.get(f"{live_server.url}/feeds/summaries.atom")
    assert feed.ok and title.replace("&", "&amp;") in feed.text() and permalink.split(live_server.url)[1] in feed.text()
    assert page.errors == []
