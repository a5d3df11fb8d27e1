"""The pure scrubber that takes redacted accounts out of other people's posts."""
from __future__ import annotations

import json

from chats.redaction_scrub import REMOVED_RECORD, Scrubber


def test_mentions_in_text_are_replaced_but_not_longer_handles_or_emails():
    scrub = Scrubber(["Kate"])
    assert scrub.text("@kate hi, @KATE: and @kate. (@kate)") == "@[removed] hi, @[removed]: and @[removed]. (@[removed])"
    assert scrub.text("@kate2 @kate_b @kate.bsky.social mail kate@x.org") == (
        "@kate2 @kate_b @kate.bsky.social mail kate@x.org")


def test_handles_with_dots_and_instances():
    scrub = Scrubber(["kate.bsky.social", "kate@health.social"])
    assert scrub.text("thanks @kate.bsky.social!") == "thanks @[removed]!"
    assert scrub.text("cc @kate@health.social.") == "cc @[removed]."
    assert scrub.mentions(["kate.bsky.social", "@Kate@Health.Social", "jo"]) == ["[removed]", "[removed]", "jo"]


def test_a_record_loses_the_account_its_embedded_posts_and_references():
    scrub = Scrubber(["kate"], ["42"])
    record = {
        "full_text": "RT @kate: my story", "in_reply_to_screen_name": "kate", "in_reply_to_user_id_str": "42",
        "user": {"screen_name": "jo", "name": "Jo"},
        "entities": {"user_mentions": [{"screen_name": "kate", "name": "Kate S", "indices": [3, 8]}]},
        "retweeted_status": {"full_text": "my story", "user": {"screen_name": "Kate", "name": "Kate S"}},
        "includes": {"users": [{"id": "42", "name": "Kate S", "username": "k_renamed"}]},
        "account": {"acct": "jo@x.social"},
    }
    cleaned = scrub.record(record)
    text = json.dumps(cleaned).lower()
    assert "kate" not in text and "42" not in text
    assert cleaned["user"] == {"screen_name": "jo", "name": "Jo"}
    assert cleaned["retweeted_status"] == REMOVED_RECORD
    assert cleaned["includes"]["users"] == [REMOVED_RECORD]
    assert cleaned["account"] == {"acct": "jo@x.social"}
    assert record["retweeted_status"]["user"]["screen_name"] == "Kate"  # a copy: the input is untouched


def test_nothing_to_scrub_is_cheap_and_changes_nothing():
    scrub = Scrubber([])
    assert not scrub
    assert not scrub.touches("@kate")
    record = {"text": "@kate"}
    assert scrub.record(record) is record
