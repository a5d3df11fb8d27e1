"""Comments on a summary: threads and their depth, sanitising, the form on
the summary page (PRG, errors keeping what was typed, replies without
JavaScript), closing, the approved count and the page's query count."""
from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from summaries.models import Comment
from summaries.services.comments import CommentRejected, comment_submit, comment_thread, comments_are_open
from tests.factories import SummaryFactory
from tests.summaries.commenting import _fresh_rate_limits, approved, form_data, open_summary  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _roomy_limits(settings):
    settings.COMMENTS_RATE_LIMIT_IP = (1000, 600)
    settings.COMMENTS_RATE_LIMIT_EMAIL = (1000, 600)


def depths(nodes, depth=1):
    for node in nodes:
        assert node.depth == depth
        yield node.comment.body, depth
        yield from depths(node.children, depth + 1)


# --- threads -----------------------------------------------------------------------------


def test_thread_nests_replies_and_shows_only_approved(open_summary):
    first = approved(open_summary, body="first")
    reply = approved(open_summary, body="reply", parent=first)
    approved(open_summary, body="reply to reply", parent=reply)
    approved(open_summary, body="second")
    Comment.objects.create(summary=open_summary, parent=first, author_name="x", body="waiting", status="pending")
    Comment.objects.create(summary=open_summary, author_name="x", body="spam", status="spam")
    assert list(depths(comment_thread(summary=open_summary))) == [
        ("first", 1), ("reply", 2), ("reply to reply", 3), ("second", 1),
    ]


def test_replies_to_a_removed_comment_move_up_to_its_approved_ancestor(open_summary):
    first = approved(open_summary, body="first")
    middle = approved(open_summary, body="middle", parent=first)
    approved(open_summary, body="under middle", parent=middle)
    middle.status = Comment.Status.REMOVED
    middle.save()
    assert list(depths(comment_thread(summary=open_summary))) == [("first", 1), ("under middle", 2)]


def test_replies_deeper_than_the_setting_attach_at_the_deepest_level(open_summary, settings):
    settings.COMMENTS_MAX_DEPTH = 3
    parent = approved(open_summary, body="level 1")
    chain = [parent]
    for level in range(2, 6):
        comment = comment_submit(summary=open_summary, body=f"level {level}", author_name="K",
                                 author_email="known@example.org", parent_id=chain[-1].pk)
        assert comment.status == Comment.Status.APPROVED
        chain.append(comment)
    # level 4 answered level 3 (at the limit): it became level 3's sibling, and so did level 5.
    assert chain[3].parent_id == chain[1].pk and chain[4].parent_id == chain[1].pk
    assert list(depths(comment_thread(summary=open_summary))) == [
        ("level 1", 1), ("level 2", 2), ("level 3", 3), ("level 4", 3), ("level 5", 3),
    ]


def test_depth_setting_also_bounds_the_thread_of_older_deeper_comments(open_summary, settings):
    # Comments brought from the old blog may nest deeper than today's setting.
    parent = None
    for level in range(1, 5):
        parent = approved(open_summary, body=f"old {level}", parent=parent)
    settings.COMMENTS_MAX_DEPTH = 2
    assert [depth for _, depth in depths(comment_thread(summary=open_summary))] == [1, 2, 2, 2]


def test_a_reply_needs_an_approved_parent_on_the_same_summary(open_summary):
    other = approved(SummaryFactory(published_at=timezone.now()), body="elsewhere")
    pending = Comment.objects.create(summary=open_summary, author_name="x", body="waiting", status="pending")
    for parent in (other, pending):
        with pytest.raises(CommentRejected) as refused:
            comment_submit(summary=open_summary, body="hi", author_name="A", author_email="a@example.org",
                           parent_id=parent.pk)
        assert refused.value.code == "parent"


# --- sanitising --------------------------------------------------------------------------

HOSTILE = [
    "<script>alert(1)</script>hello",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    '<p onclick="alert(1)" style="color:red">para</p>',
    "<div><b>unclosed <i>tags",
    "<iframe src=https://evil.example></iframe>",
    '<svg><script>alert(1)</script></svg>',
    '"><script>alert(1)</script>',
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "x" * 20000,
]


class _Elements(HTMLParser):
    """Every element and its attributes, as a browser would see them."""

    def __init__(self, html):
        super().__init__()
        self.elements = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


@pytest.mark.parametrize("body", HOSTILE)
def test_hostile_bodies_are_sanitised(open_summary, body):
    comment = comment_submit(summary=open_summary, body=body, author_name="A", author_email="a@example.org")
    assert comment.body == body  # the source is kept as typed
    elements = _Elements(comment.body_html).elements
    assert elements, "something is shown"
    for tag, attrs in elements:
        assert tag in {"p", "em", "strong", "a", "blockquote", "code", "pre", "br", "ul", "ol", "li"}, tag
        assert not any(name.startswith("on") or name == "style" for name in attrs), attrs
        if tag == "a":
            assert attrs["href"].startswith(("http://", "https://", "mailto:")), attrs
            assert set(attrs["rel"].split()) >= {"nofollow", "ugc", "noopener"}


def test_markdown_links_are_nofollow_ugc_and_light_markdown_renders(open_summary):
    body = "Some *emphasis*, `code`, a [link](https://example.org/a).\n\n> quoted"
    html = comment_submit(summary=open_summary, body=body, author_name="A", author_email="a@example.org").body_html
    assert "<em>emphasis</em>" in html and "<code>code</code>" in html and "<blockquote>" in html
    link = re.search(r'<a [^>]*href="https://example.org/a"[^>]*>', html).group(0)
    assert all(word in link for word in ("nofollow", "ugc", "noopener"))


def test_hostile_comment_is_inert_on_the_page(client, open_summary):
    approved(open_summary)  # known@example.org is a known commenter
    comment = comment_submit(summary=open_summary, body='<script>alert("pwn")</script> [x](javascript:alert(2))',
                             author_name='<b onmouseover="alert(3)">Eve</b>', author_email="known@example.org",
                             author_url="https://eve.example/")
    assert comment.status == Comment.Status.APPROVED
    html = client.get(open_summary.get_absolute_url()).content.decode()
    assert '<script>alert("pwn")' not in html and 'href="javascript' not in html
    assert "&lt;b onmouseover=&quot;alert(3)&quot;&gt;Eve&lt;/b&gt;" in html
    assert '<a href="https://eve.example/" rel="nofollow ugc noopener">' in html


# --- the form on the summary page --------------------------------------------------------


def test_form_offers_a_hidden_honeypot_and_a_signed_timestamp(client, open_summary):
    html = client.get(open_summary.get_absolute_url()).content.decode()
    form = html[html.index('<form id="comment-form"'):]
    form = form[:form.index("</form>")]
    honeypot = re.search(r'<div class="comment-hp" aria-hidden="true">.*?</div>', form, re.S).group(0)
    assert "Leave this field empty" in honeypot and 'tabindex="-1"' in honeypot and 'name="fax_number"' in honeypot
    assert re.search(r'name="timestamp" value="[^"]+:[^"]+"', form)
    assert 'name="csrfmiddlewaretoken"' in form
    assert f'action="{open_summary.get_absolute_url()}#comment-form"' in form
    assert "summaries/comments.js" in html and "No comments yet." in html


def test_first_comment_is_held_and_the_reader_is_told(client, open_summary):
    response = client.post(open_summary.get_absolute_url(), form_data(open_summary))
    assert response.status_code == 302 and response["Location"] == f"{open_summary.get_absolute_url()}#comments"
    comment = Comment.objects.get()
    assert comment.status == "pending" and comment.held_reason == "first comment from this email"
    assert comment.ip_hash and comment.ip_hash != "127.0.0.1" and len(comment.ip_hash) == 64
    page = client.get(response["Location"]).content.decode()
    assert "held for moderation" in page and "A thoughtful comment." not in page


def test_a_known_commenter_is_published_at_once_with_its_anchor(client, open_summary):
    approved(open_summary, email="ada@example.org")
    response = client.post(open_summary.get_absolute_url(), form_data(open_summary, email="ADA@example.org "))
    comment = Comment.objects.latest("pk")
    assert comment.status == "approved" and comment.author_email == "ada@example.org"
    assert response["Location"] == f"{open_summary.get_absolute_url()}#comment-{comment.pk}"
    page = client.get(response["Location"]).content.decode()
    assert f'id="comment-{comment.pk}"' in page and f'href="#comment-{comment.pk}"' in page
    assert "your comment is published" in page and "2 comments" in page
    assert "ada@example.org" not in page  # emails are never shown


def test_reply_link_works_without_javascript(client, open_summary):
    first = approved(open_summary, name="Known Reader")
    page = client.get(open_summary.get_absolute_url()).content.decode()
    assert f'href="?replyto={first.pk}#comment-form"' in page
    page = client.get(f"{open_summary.get_absolute_url()}?replyto={first.pk}").content.decode()
    assert f'name="parent" value="{first.pk}"' in page
    assert re.search(r'<p class="comment-replying-to">\s*Replying to <a class="comment-replying-to-link" '
                     rf'href="#comment-{first.pk}">Known Reader</a>', page)
    client.post(open_summary.get_absolute_url(),
                form_data(open_summary, email="known@example.org", parent=str(first.pk), body="I agree"))
    assert Comment.objects.get(body="I agree").parent == first


@pytest.mark.parametrize(("change", "status", "says"), [
    ({"body": ""}, 400, "This field is required."),
    ({"email": "not-an-email"}, 400, "Enter a valid email address."),
    ({"website": "ftp://files.example"}, 400, "Only http:// or https:// addresses."),
    ({"fax_number": "555-0100"}, 400, "looks automated"),
    ({"timestamp": "forged"}, 400, "could not be checked"),
])
def test_refused_forms_say_why_and_keep_what_was_typed(client, open_summary, change, status, says):
    data = form_data(open_summary, **{"name": "Typed Name", "body": "My typed text", **change})
    response = client.post(open_summary.get_absolute_url(), data)
    assert response.status_code == status
    html = response.content.decode()
    assert says in html and 'value="Typed Name"' in html
    if change.get("body") != "":
        assert "My typed text</textarea>" in html
    assert not Comment.objects.exists()


def test_errors_sit_next_to_their_field(client, open_summary):
    html = client.post(open_summary.get_absolute_url(), form_data(open_summary, email="nope")).content.decode()
    field = html[html.index('<p class="comment-field comment-field-email">'):]
    field = field[:field.index("</p>")]
    assert 'id="id_email_error"' in field and "Enter a valid email address." in field


def test_too_fast_and_too_old_forms_are_refused_with_a_fresh_timestamp(client, open_summary, settings):
    from tests.summaries.commenting import shown_at

    url = open_summary.get_absolute_url()
    too_fast = client.post(url, form_data(open_summary, timestamp=shown_at(open_summary, 0)))
    assert too_fast.status_code == 400 and "too fast" in too_fast.content.decode()
    old = shown_at(open_summary, settings.COMMENTS_MAX_AGE_SECONDS + 60)
    too_old = client.post(open_summary.get_absolute_url(), form_data(open_summary, timestamp=old))
    assert too_old.status_code == 400 and "open too long" in too_old.content.decode()
    # The form shown again carries a new timestamp, not the refused one.
    assert f'value="{old}"' not in too_old.content.decode()
    assert not Comment.objects.exists()


def test_a_timestamp_from_another_summary_is_refused(client, open_summary):
    other = SummaryFactory(published_at=timezone.now())
    borrowed = form_data(other)["timestamp"]
    response = client.post(open_summary.get_absolute_url(), form_data(open_summary, timestamp=borrowed))
    assert response.status_code == 400 and "another page" in response.content.decode()


def test_logged_in_users_comment_as_themselves(client, django_user_model, open_summary):
    user = django_user_model.objects.create_user("lee", email="lee@example.org", first_name="Lee", last_name="Park")
    client.force_login(user)
    page = client.get(open_summary.get_absolute_url()).content.decode()
    assert "Commenting as Lee Park" in page and 'name="email"' not in page
    client.post(open_summary.get_absolute_url(), {"body": "Mine", "timestamp": form_data(open_summary)["timestamp"]})
    comment = Comment.objects.get()
    assert (comment.user, comment.author_name, comment.author_email) == (user, "Lee Park", "lee@example.org")
    assert comment.status == "pending"  # a reader account is a first-time commenter like anyone


def test_a_moderators_comment_is_not_held_as_a_first_comment(moderator_client, moderator, open_summary):
    moderator_client.post(open_summary.get_absolute_url(),
                          {"body": "Welcome all", "timestamp": form_data(open_summary)["timestamp"]})
    assert Comment.objects.get().status == "approved"


# --- closing -----------------------------------------------------------------------------


def test_comments_close_a_set_number_of_days_after_publication(client, settings):
    settings.COMMENTS_CLOSE_AFTER_DAYS = 14
    fresh = SummaryFactory(published_at=timezone.now() - timedelta(days=13))
    old = SummaryFactory(published_at=timezone.now() - timedelta(days=15))
    assert comments_are_open(fresh) and not comments_are_open(old)
    settings.COMMENTS_CLOSE_AFTER_DAYS = 0
    assert comments_are_open(old)


def test_a_closed_summary_shows_no_form_and_refuses_posts(client, open_summary):
    approved(open_summary, body="Kept after closing")
    open_summary.comments_open = False
    open_summary.save()
    page = client.get(open_summary.get_absolute_url()).content.decode()
    assert "Comments on this summary are closed." in page and 'id="comment-form"' not in page
    assert "Kept after closing" in page and "?replyto=" not in page
    response = client.post(open_summary.get_absolute_url(), form_data(open_summary))
    assert response.status_code == 403
    assert 'role="alert">Comments on this summary are closed.' in response.content.decode()
    with pytest.raises(CommentRejected):
        comment_submit(summary=open_summary, body="late", author_name="A", author_email="a@example.org")
    assert Comment.objects.count() == 1


# --- count and queries -------------------------------------------------------------------


def _comments(summary, n):
    top = [approved(summary, body=f"top {i}") for i in range(n // 2)]
    for i in range(n - len(top)):
        approved(summary, body=f"reply {i}", parent=top[i % len(top)])


@pytest.mark.parametrize("n", [10, 100])
def test_summary_page_queries_do_not_grow_with_comments(client, open_summary, n, django_assert_num_queries):
    _comments(open_summary, n)
    Comment.objects.create(summary=open_summary, author_name="x", body="pending", status="pending")
    # The summary, its tags, studies and links, and the whole thread (no
    # chat: no questions and no neighbours).
    with django_assert_num_queries(5):
        html = client.get(open_summary.get_absolute_url()).content.decode()
    assert f"{n} comments" in html and html.count('class="comment comment-depth-') == n


def test_summary_lists_show_the_approved_count_without_more_queries(client, open_summary,
                                                                     django_assert_num_queries):
    quiet = SummaryFactory(published_at=timezone.now() - timedelta(days=2))
    _comments(open_summary, 4)
    Comment.objects.create(summary=open_summary, author_name="x", body="pending", status="pending")
    with django_assert_num_queries(2):  # the count and the page, as without comments
        html = client.get("/summaries/").content.decode()
    assert f'<a class="comment-count" href="{open_summary.get_absolute_url()}#comments">4 comments</a>' in html
    row = html[html.index(quiet.get_absolute_url()):]
    row = row[:row.index("</li>")]
    assert "comment-count" not in row
