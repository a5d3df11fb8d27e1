"""The cross-site scripting corpus (tests/security/xss.py) in Chromium: on
every reader page and the admin pages that show it, no dialog opens, no
script of the corpus runs and the Content-Security-Policy refuses nothing of
ours (an inline script or style of our own would show up as a violation)."""
import pytest

from tests.browser.conftest import _chromium_page, admin_login
from tests.security.xss import PAYLOADS, build_hostile_site, hostile_pages

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.browser]


@pytest.fixture
def strict_page():
    """Like conftest's `page` (dialogs in ``page.dialogs``, errors in
    ``page.errors``), but the browser enforces the Content-Security-Policy.
    Request it last."""
    with _chromium_page() as page:
        page.dialogs = []
        page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
        yield page


@pytest.fixture
def hostile_site():
    return build_hostile_site()


@pytest.fixture
def hostile_paths(hostile_site):
    # Computed before the browser starts: it queries the database.
    return hostile_pages(hostile_site)


def _watch(page) -> list[str]:
    """Console errors (Chromium reports each CSP violation there: "Refused to
    execute inline script ...", "Refused to apply inline style ..."), and
    the URLs of failed requests."""
    problems = []

    def console(message):
        # The browser asks for /favicon.ico on its own; the site has none (not this test's matter).
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            problems.append(f"{message.text} {message.location.get('url', '')}")

    page.on("console", console)
    page.on("response", lambda response: response.status >= 400 and problems.append(
        f"{response.status} {response.url}"))
    return problems


def _visit(page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("load")
    # Hover and focus everything a payload could hang a handler on.
    page.mouse.move(5, 5)
    page.mouse.move(400, 300)


def test_reader_pages_run_nothing_of_the_corpus(live_server, hostile_site, hostile_paths, strict_page):
    page = strict_page
    console = _watch(page)
    for name, path in hostile_paths.items():
        _visit(page, f"{live_server.url}{path}")
        assert page.dialogs == [], name
        assert page.errors == [], (name, page.errors)
        assert console == [], (name, console)
        assert page.evaluate("document.querySelectorAll('iframe, object, embed, base').length") == 0, name
    # The chat page shows the corpus, as text.
    page.goto(f"{live_server.url}{hostile_site.chat.get_absolute_url()}")
    assert PAYLOADS[1] in page.locator("h1").inner_text()


def test_admin_pages_work_under_the_policy(live_server, hostile_site, moderator, strict_page):
    page = strict_page
    console = _watch(page)
    summary = hostile_site.summary
    admin_login(page, live_server, f"/admin/summaries/summary/{summary.pk}/change/")
    # The summary preview (preview.js) fetches the sanitised HTML and shows it.
    page.click("#summary-preview-button")
    page.locator("#summary-preview a[href='https://example.org/ok']").wait_for()
    assert page.locator("#summary-preview script, #summary-preview [onclick], #summary-preview iframe").count() == 0
    for path in ["/admin/", "/admin/chats/chat/",
                 "/admin/chats/author/", f"/admin/chats/author/{hostile_site.participant.pk}/change/",
                 "/admin/chats/import/add/", "/admin/summaries/summary/", "/admin/summaries/comment/",
                 "/moderation/comments/"]:
        _visit(page, f"{live_server.url}{path}")
        assert page.locator("#content, main").count() >= 1, path  # the page rendered, not an error
        assert page.dialogs == [], path
        assert page.errors == [], (path, page.errors)
        assert console == [], (path, console)
    # The chat form's autocomplete (select2) and the summary form's selectors
    # and calendar build their widgets in JavaScript: styles applied by script
    # are allowed, style attributes in markup would not be.
    _visit(page, f"{live_server.url}/admin/chats/chat/{hostile_site.chat.pk}/change/")
    page.locator(".select2-selection").first.click()
    page.keyboard.type("hc")
    page.locator(".select2-results__option").first.wait_for()
    _visit(page, f"{live_server.url}/admin/summaries/summary/{summary.pk}/change/")
    page.locator(".selector-available, .datetimeshortcuts").first.wait_for()
    assert page.errors == [] and console == [] and page.dialogs == [], (page.errors, console)
