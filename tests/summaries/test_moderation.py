"""Moderation: the rules that hold a comment, the defences that refuse one
(honeypot and timestamp are in test_comments.py), the moderators' queue and
the admin's actions, and a spam run through the whole path."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from summaries.models import BlockedCommenter, Comment, ModerationWord
from summaries.services.comments import (
    CommentRejected,
    comment_hold_reason,
    comment_submit,
    comments_moderate,
    ip_hash,
)
from tests.summaries.commenting import _fresh_rate_limits, approved, form_data, open_summary  # noqa: F401

pytestmark = pytest.mark.django_db
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def roomy_limits(settings):
    settings.COMMENTS_RATE_LIMIT_IP = (1000, 600)
    settings.COMMENTS_RATE_LIMIT_EMAIL = (1000, 600)


def submit(summary, body="Hello there", email="new@example.org", ip="192.0.2.1", **extra):
    return comment_submit(summary=summary, body=body, author_name="Someone", author_email=email, ip=ip, **extra)


# --- rules that hold ---------------------------------------------------------------------


def test_first_comment_waits_then_the_commenter_is_known(open_summary, roomy_limits):
    first = submit(open_summary, body="first")
    assert (first.status, first.held_reason) == ("pending", "first comment from this email")
    assert submit(open_summary, body="second").status == "pending"  # still unknown until approved
    comments_moderate(comment_ids=[first.pk], action="approve", by=None)
    third = submit(open_summary, body="third", email="NEW@example.org")
    assert (third.status, third.held_reason) == ("approved", "")


@pytest.mark.parametrize(("links", "held"), [(2, False), (3, True)])
def test_more_links_than_the_setting_are_held(open_summary, roomy_limits, links, held):
    approved(open_summary, email="new@example.org")
    body = " ".join(f"[l{i}](https://example.org/{i})" for i in range(links))
    comment = submit(open_summary, body=body)
    assert (comment.status == "pending") is held
    if held:
        assert comment.held_reason == "3 links (more than 2)"


def test_words_from_the_moderators_list_hold_a_comment(open_summary, roomy_limits):
    approved(open_summary, email="new@example.org")
    ModerationWord.objects.create(word="Casino")
    assert submit(open_summary, body="Try our CASINO now").held_reason == "contains “Casino”"
    # Whole words only: "casinos" and "occasion" are not the word.
    assert submit(open_summary, body="An occasion to talk").status == "approved"


@pytest.mark.parametrize("by", ["email", "ip"])
def test_blocked_commenters_are_held(open_summary, roomy_limits, by):
    approved(open_summary, email="new@example.org")
    if by == "email":
        BlockedCommenter.objects.create(email="new@example.org")
    else:
        BlockedCommenter.objects.create(ip_hash=ip_hash("192.0.2.1"))
    comment = submit(open_summary)
    assert (comment.status, comment.held_reason) == ("pending", "blocked commenter")


def test_linkbacks_always_wait(open_summary):
    reason = comment_hold_reason(summary=open_summary, email="", ip_hash_value="", body="mentioned you",
                                 kind="webmention")
    assert reason == "linkback"


# --- defences that refuse ----------------------------------------------------------------


def test_duplicates_are_refused(open_summary, roomy_limits):
    submit(open_summary, body="Same   words")
    with pytest.raises(CommentRejected) as refused:
        submit(open_summary, body="same words ")
    assert refused.value.code == "duplicate"
    assert submit(open_summary, body="same words", email="other@example.org").pk  # someone else may say it


def test_the_rate_limit_counts_per_ip_and_per_email(open_summary, settings):
    settings.COMMENTS_RATE_LIMIT_IP = (3, 600)
    settings.COMMENTS_RATE_LIMIT_EMAIL = (2, 600)
    submit(open_summary, body="1", email="a@example.org")
    submit(open_summary, body="2", email="a@example.org")
    with pytest.raises(CommentRejected) as by_email:
        submit(open_summary, body="3", email="a@example.org", ip="198.51.100.7")
    assert by_email.value.code == "rate_limited"
    # The first IP made 2 attempts (the third came from another): one more is allowed, then not.
    submit(open_summary, body="4", email="b@example.org")
    with pytest.raises(CommentRejected):
        submit(open_summary, body="5", email="c@example.org")
    submit(open_summary, body="6", email="d@example.org", ip="203.0.113.9")  # another IP, another email
    assert Comment.objects.count() == 4


def test_a_rate_limited_reader_is_told_and_keeps_the_text(client, open_summary, settings):
    settings.COMMENTS_RATE_LIMIT_EMAIL = (1, 600)
    assert client.post(open_summary.get_absolute_url(), form_data(open_summary, body="one")).status_code == 302
    response = client.post(open_summary.get_absolute_url(), form_data(open_summary, body="two, kept"))
    assert response.status_code == 429
    html = response.content.decode()
    assert "please wait a few minutes" in html and "two, kept</textarea>" in html and 'role="alert"' in html


def test_a_duplicate_from_the_form_is_explained(client, open_summary, roomy_limits):
    client.post(open_summary.get_absolute_url(), form_data(open_summary))
    response = client.post(open_summary.get_absolute_url(), form_data(open_summary))
    assert response.status_code == 400 and "already sent this comment" in response.content.decode()


LIMITER = """
import json, os, sys, time
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "hcsmca.settings"
django.setup()
from summaries.services.comments import rate_limited
key, start = sys.argv[1], float(sys.argv[2])
while time.time() < start:  # both processes begin together
    time.sleep(0.005)
print(json.dumps([rate_limited(scope="ip", key=key, limit=15, window=60) for _ in range(20)]))
"""


def test_the_rate_limit_holds_across_two_processes(tmp_path):
    """Two separate Python processes (two web workers) share one Redis
    counter: together they get exactly the limit, not twice it."""
    import time

    key = f"two-processes-{uuid.uuid4().hex}"
    start = str(time.time() + 3)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    workers = [
        subprocess.Popen([sys.executable, "-c", LIMITER, key, start], cwd=REPO, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert [len(result) for result in results] == [20, 20]
    # A counter per process would let each through 15 times (30 in all).
    over = [flag for result in results for flag in result]
    assert over.count(False) == 15 and over.count(True) == 25


# --- moderating --------------------------------------------------------------------------


def test_moderating_records_who_and_when(open_summary, moderator, roomy_limits):
    comment = submit(open_summary)
    assert comments_moderate(comment_ids=[comment.pk], action="spam", by=moderator) == 1
    comment.refresh_from_db()
    assert comment.status == "spam" and comment.moderated_by == moderator and comment.moderated_at
    assert comments_moderate(comment_ids=[comment.pk], action="spam", by=moderator) == 0  # nothing changed


def test_queue_is_for_moderators_only(client, django_user_model, open_summary):
    assert client.get("/moderation/comments/")["Location"].startswith("/admin/login/")
    client.force_login(django_user_model.objects.create_user("staffer", is_staff=True))
    assert client.get("/moderation/comments/").status_code == 403
    assert client.post("/moderation/comments/", {"action": "approve"}).status_code == 403


def _queue_rows(html):
    import re

    return re.findall(r'<tr id="queue-(\d+)" class="queue-(\w+)">', html)


def test_queue_lists_pending_spam_and_recently_removed_in_context(moderator_client, moderator, open_summary,
                                                                  roomy_limits, settings):
    parent = approved(open_summary, body="The parent comment, with words to show", name="Parent Author")
    pending = submit(open_summary, body="A reply waiting", parent_id=parent.pk)
    spam = submit(open_summary, body="spam spam", email="spammer@example.org")
    removed = submit(open_summary, body="rude words", email="spammer@example.org")
    old_removed = submit(open_summary, body="long gone", email="spammer@example.org")
    comments_moderate(comment_ids=[spam.pk], action="spam", by=moderator)
    comments_moderate(comment_ids=[removed.pk, old_removed.pk], action="remove", by=moderator)
    Comment.objects.filter(pk=old_removed.pk).update(
        moderated_at=timezone.now() - timedelta(days=settings.COMMENTS_RECENTLY_REMOVED_DAYS + 1))

    html = moderator_client.get("/moderation/comments/").content.decode()
    assert sorted(_queue_rows(html)) == sorted([
        (str(pending.pk), "pending"), (str(spam.pk), "spam"), (str(removed.pk), "removed"),
    ])
    assert f'<a href="{open_summary.get_absolute_url()}">Trust online</a>' in html
    assert "In reply to Parent Author:</p>The parent comment, with words to show" in html
    assert "History: 0 approved, 0 pending, 1 spam, 2 removed" in html  # spammer@example.org
    assert "Held: first comment from this email" in html
    assert _queue_rows(moderator_client.get("/moderation/comments/?status=spam").content.decode()) == [
        (str(spam.pk), "spam")]


def test_bulk_actions_in_the_queue(moderator_client, moderator, open_summary, roomy_limits):
    one, two, three = (submit(open_summary, body=f"comment {i}", email=f"r{i}@example.org") for i in range(3))
    response = moderator_client.post("/moderation/comments/", {"action": "approve", "comment": [one.pk, two.pk]})
    assert response.status_code == 302
    assert "2 comments: approve." in moderator_client.get(response["Location"]).content.decode()
    moderator_client.post("/moderation/comments/", {"action": "spam", "comment": [three.pk]})
    statuses = dict(Comment.objects.values_list("pk", "status"))
    assert statuses == {one.pk: "approved", two.pk: "approved", three.pk: "spam"}
    assert Comment.objects.get(pk=one.pk).moderated_by == moderator


def test_queue_checks_csrf(moderator, open_summary, roomy_limits):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(moderator)
    comment = submit(open_summary)
    assert strict.post("/moderation/comments/", {"action": "approve", "comment": [comment.pk]}).status_code == 403
    assert Comment.objects.get(pk=comment.pk).status == "pending"


@pytest.mark.parametrize("n", [5, 40])
def test_queue_queries_do_not_grow(moderator_client, open_summary, roomy_limits, n, django_assert_max_num_queries):
    parent = approved(open_summary)
    for i in range(n):
        submit(open_summary, body=f"c{i}", email=f"r{i % 7}@example.org", parent_id=parent.pk)
    # session, user, permissions (user's and groups'), count, page, history, messages
    with django_assert_max_num_queries(8):
        html = moderator_client.get("/moderation/comments/").content.decode()
    assert len(_queue_rows(html)) == n


def test_admin_bulk_actions(moderator_client, moderator, open_summary, roomy_limits):
    comments = [submit(open_summary, body=f"c{i}", email=f"a{i}@example.org") for i in range(3)]
    for action, status in (("approve", "approved"), ("mark_spam", "spam"), ("remove", "removed")):
        response = moderator_client.post("/admin/summaries/comment/", {
            "action": action, "_selected_action": [c.pk for c in comments],
        })
        assert response.status_code == 302, response.content.decode()[:500]
        assert set(Comment.objects.values_list("status", flat=True)) == {status}
    assert moderator_client.get("/admin/summaries/blockedcommenter/add/").status_code == 200
    assert moderator_client.get("/admin/summaries/moderationword/add/").status_code == 200


# --- a spam run --------------------------------------------------------------------------


def test_spam_run_leaves_only_what_a_moderator_must_judge(moderator_client, open_summary, settings):
    """A robot and a few determined humans throw everything at one summary's
    form; afterwards the queue holds only the comments a person must judge,
    each with its reason, and readers see none of them."""
    settings.COMMENTS_RATE_LIMIT_IP = (5, 600)
    settings.COMMENTS_RATE_LIMIT_EMAIL = (3, 600)
    ModerationWord.objects.create(word="viagra")
    approved(open_summary, email="regular@example.org", body="A regular's earlier comment")
    url = open_summary.get_absolute_url()
    from django.test import Client

    from tests.summaries.commenting import shown_at

    client = Client()  # readers and robots, not logged in

    def post(ip, **fields):
        return client.post(url, form_data(open_summary, **fields), REMOTE_ADDR=ip).status_code

    outcomes = [
        post("198.51.100.1", fax_number="http://spam.example", body="bot 1"),        # honeypot
        post("198.51.100.1", timestamp=shown_at(open_summary, 0), body="bot 2"),     # too fast
        post("198.51.100.1", timestamp="forged:token", body="bot 3"),                # forged timestamp
        post("198.51.100.1", timestamp=shown_at(open_summary, 5 * 3600), body="bot 4"),  # replayed old form
    ]
    # A flood from one address with changing emails: the IP limit stops it.
    outcomes += [post("198.51.100.2", email=f"bot{i}@example.net", body=f"flood {i}") for i in range(8)]
    # The same message again and again from one email on several addresses.
    outcomes += [post(f"198.51.100.{10 + i}", email="dup@example.net", body="Buy now") for i in range(3)]
    # Link stuffing and a listed word from a known commenter: held, not refused.
    outcomes.append(post("198.51.100.30", email="regular@example.org",
                         body="see https://a.example https://b.example https://c.example"))
    outcomes.append(post("198.51.100.31", email="regular@example.org", body="cheap VIAGRA here"))
    assert outcomes[:4] == [400, 400, 400, 400]
    assert outcomes[4:12] == [302] * 5 + [429] * 3
    assert outcomes[12:15] == [302, 400, 400]
    assert outcomes[15:] == [302, 302]

    queue = moderator_client.get("/moderation/comments/").content.decode()
    held = Comment.objects.filter(status="pending").order_by("pk")
    assert len(_queue_rows(queue)) == held.count() == 8
    reasons = sorted(held.values_list("held_reason", flat=True))
    assert reasons == sorted(["first comment from this email"] * 6 + ["3 links (more than 2)", "contains “viagra”"])
    assert not Comment.objects.filter(body__startswith="bot").exists()
    page = client.get(url).content.decode()
    assert "1 comment" in page and "flood" not in page and "VIAGRA" not in page
    # One click: everything from the flood goes to spam.
    flood = list(held.filter(body__startswith="flood").values_list("pk", flat=True))
    moderator_client.post("/moderation/comments/", {"action": "spam", "comment": flood})
    after = moderator_client.get("/moderation/comments/?status=spam").content.decode()
    assert len(_queue_rows(after)) == 5


def test_spam_and_block_from_the_queue_holds_what_they_send_next(moderator_client, moderator, open_summary,
                                                                 roomy_limits):
    approved(open_summary, email="turned@example.org")  # known, so normally published at once
    bad = submit(open_summary, body="first bad", email="turned@example.org", ip="192.0.2.50")
    assert bad.status == "approved"
    response = moderator_client.post("/moderation/comments/", {"action": "block", "comment": [bad.pk]})
    assert "1 commenter blocked" in moderator_client.get(response["Location"]).content.decode()
    bad.refresh_from_db()
    assert bad.status == "spam" and bad.moderated_by == moderator
    blocked = BlockedCommenter.objects.get()
    assert (blocked.email, blocked.ip_hash, blocked.created_by) == ("turned@example.org", ip_hash("192.0.2.50"), moderator)
    # From another address, by email; with another email, by address.
    assert submit(open_summary, body="again", email="turned@example.org", ip="198.51.100.99").held_reason == \
        "blocked commenter"
    assert submit(open_summary, body="and again", email="fresh@example.org", ip="192.0.2.50").held_reason == \
        "blocked commenter"


@pytest.mark.parametrize("body", [
    "[a](//one.example) [b](//two.example) [c](//three.example)",  # protocol-relative, no scheme in the text
    "[a][1] [b][1] [c][1]\n\n[1]: https://ref.example",  # one address, three links
    "see www.one.example, www.two.example and www.three.example",  # bare, unlinked
])
def test_links_are_counted_however_they_are_written(open_summary, roomy_limits, body):
    approved(open_summary, email="new@example.org")
    assert submit(open_summary, body=body).held_reason == "3 links (more than 2)"
