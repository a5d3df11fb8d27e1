"""Every real third-party sample file (../shared/data/samples, except wxr/,
which belongs to the summaries) through the whole import service into
PostgreSQL: it imports, or it is refused for a stated reason and writes
nothing. The parser-level tables next to each parser check the details."""
from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest

from chats.models import Author, Chat, Link, Post
from chats.services.imports import SourceFile, transcript_import
from tests.samples import SAMPLES_DIR, samples_dir

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Outcome:
    status: str
    format: str = ""
    created: int = 0
    skipped: int = 0
    refusal: str = ""  # part of the message of a refused file


def ok(format_name: str, created: int, skipped: int = 0) -> Outcome:
    return Outcome("succeeded", format_name, created, skipped)


def refused(reason: str) -> Outcome:
    return Outcome("failed", refusal=reason)


ARCHIVE_ALONE = refused("import account.js together with tweets.js")
COMPANION = refused("none of the files holds posts")

# One entry per file (and per archive given with its account.js), keyed by
# the file names joined with "+".
EXPECTED = {
    "bluesky/MarshalX_atproto__thread_view_post_with_embed_media.json": ok("bluesky", 1),
    "bluesky/medialab_twitwi__bluesky-hydrated-firehose-posts.json": ok("bluesky", 9),
    # Four posts appear twice in the file: the copies are skipped.
    "bluesky/medialab_twitwi__bluesky-posts.json": ok("bluesky", 119, 4),
    # Row 4 is the quoted tweet that twarc-csv added as a row of its own.
    "csv/DocNow_twarc-csv__small_sample_early.csv": ok("csv", 3, 1),
    "csv/gwu-libraries_notebooks__sfm_export_debatetweets.csv": ok("csv", 1000),
    "csv/gwu-libraries_notebooks__twarc1_json2csv_gelmanlibrary_replies_to.csv": ok("csv", 81),
    "csv/jdhitsolutions_PSTweetChat__pstweetchat_2019-03.csv": ok("csv", 135),
    "csv/jdhitsolutions_PSTweetChat__pstweetchat_2020-2023.csv": ok("csv", 2473),
    "csv/ropensci-archive_tidytags__TAGS_sample-data.csv": ok("csv", 10),
    "csv/ropensci-archive_tidytags__TAGS_sample-tweet.csv": ok("csv", 1),
    # Hand-written: its boost carries the boost's own id, which cannot be.
    "mastodon/MastodonKit_MastodonKit__StatusWithoutNull_handwritten.json": refused("a status cannot boost itself"),
    "mastodon/TootSDK_TootSDK__post_akkoma_quote.json": ok("mastodon", 1),
    "mastodon/TootSDK_TootSDK__post_edited.json": ok("mastodon", 1),
    "mastodon/TootSDK_TootSDK__post_with_emojis_and_attachments.json": ok("mastodon", 1),
    "mastodon/TootSDK_TootSDK__post_wordle_linebreaks.json": ok("mastodon", 1),
    "mastodon/andregasser_bigbone__context.json": ok("mastodon", 3),
    "mastodon/andregasser_bigbone__public_timeline.json": ok("mastodon", 20),
    "mastodon/andregasser_bigbone__tag_timeline.json": ok("mastodon", 20),
    "twitter_archive/TheExGenesis_community-archive__account.js": COMPANION,
    "twitter_archive/TheExGenesis_community-archive__tweets.js": ARCHIVE_ALONE,
    # Rewritten by a code formatter into JavaScript that is no longer JSON.
    "twitter_archive/TheExGenesis_community-archive__tweets_prettier_reformatted.js": refused("is not JSON"),
    "twitter_archive/mrled_twarchive__account.js": COMPANION,
    "twitter_archive/mrled_twarchive__manifest.js": COMPANION,
    "twitter_archive/mrled_twarchive__profile.js": COMPANION,
    "twitter_archive/mrled_twarchive__tweet.js": ARCHIVE_ALONE,
    "twitter_archive/mrled_twarchive__tweet.js+twitter_archive/mrled_twarchive__account.js": ok("twitter-archive", 2),
    "twitter_archive/TheExGenesis_community-archive__tweets.js+twitter_archive/TheExGenesis_community-archive__account.js":
        ok("twitter-archive", 7),
    "twitter_v1/bear_python-twitter__extended_tweet_in_compat_mode.json": ok("twitter-v1", 1),
    "twitter_v1/bear_python-twitter__extended_tweet_in_extended_mode.json": ok("twitter-v1", 1),
    "twitter_v1/bear_python-twitter__get_search_raw.json": ok("twitter-v1", 100),
    "twitter_v1/bear_python-twitter__get_user_timeline.json": ok("twitter-v1", 20),
    # One tweet of the sample stream appears twice.
    "twitter_v1/bear_python-twitter__streaming_lines.jsonl": ok("twitter-v1", 71, 1),
    "twitter_v1/gwu-libraries_notebooks__sfm_user_timeline_tweets.jsonl": ok("twitter-v1", 50),
    "twitter_v1/gwu-libraries_notebooks__stream_follow.jsonl": ok("twitter-v1", 6),
    "twitter_v1/waynegraham_twitter-archive__dlfteach_twarc_search.jsonl": ok("twitter-v1", 4),
    "twitter_v1/xdevplatform_tweet_parser__original_format_examples.jsonl": ok("twitter-v1", 25),
    "twitter_v1/xdevplatform_tweet_parser__public_api_sample.jsonl": ok("twitter-v1", 20),
    "twitter_v2/DocNow_twarc-csv__brexit.jsonl": ok("twitter-v2", 100),
    "twitter_v2/DocNow_twarc-csv__edited.jsonl": ok("twitter-v2", 1),
    "twitter_v2/DocNow_twarc-csv__flat.jsonl": ok("twitter-v2", 100),
    "twitter_v2/DocNow_twarc-csv__noflat.jsonl": ok("twitter-v2", 100),
    "twitter_v2/DocNow_twarc-csv__quoted_edit.jsonl": ok("twitter-v2", 1),
    "twitter_v2/DocNow_twarc-csv__small_sample_early.json": ok("twitter-v2", 3),
    # The last line is cut off mid-object: skipped and reported.
    "twitter_v2/DocNow_twarc-csv__streaming_output_with_error.jsonl": ok("twitter-v2", 7, 1),
}
KINDS = ("bluesky", "csv", "mastodon", "twitter_archive", "twitter_v1", "twitter_v2")


def run(key: str, **options):
    paths = [SAMPLES_DIR / part for part in key.split("+")]
    handles = [path.open("rb") for path in paths]
    try:
        return transcript_import(
            sources=[SourceFile(path.name, handle, path.stat().st_size) for path, handle in zip(paths, handles)],
            series_hashtag="samples", **options)
    finally:
        for handle in handles:
            handle.close()


def row_counts() -> tuple[int, ...]:
    return Post.objects.count(), Author.objects.count(), Chat.objects.count(), Link.objects.count()


def test_the_table_covers_every_sample_file():
    on_disk = {f"{kind}/{path.name}" for kind in KINDS for path in samples_dir(kind).iterdir()}
    assert on_disk == {part for key in EXPECTED for part in key.split("+")}


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_each_sample_imports_or_is_refused_for_a_reason(key):
    samples_dir(key.split("/")[0])
    expected = EXPECTED[key]
    before = row_counts()
    outcome = run(key)
    assert outcome.status == expected.status, outcome.errors
    if expected.status == "failed":
        assert expected.refusal in outcome.errors[-1]["message"]
        assert row_counts() == before
        return
    assert (outcome.format, outcome.created, outcome.skipped) == (expected.format, expected.created, expected.skipped)
    assert Post.objects.count() == before[0] + expected.created
    again = run(key)
    assert (again.created, again.updated, again.unchanged) == (0, 0, expected.created)


def test_a_v2_page_and_its_flattened_form_import_to_identical_rows():
    samples_dir("twitter_v2")

    def rows():
        return sorted(Post.objects.values_list(
            "external_id", "text", "author__handle", "author__display_name", "created_at", "language", "urls",
            "hashtags", "mentions", "media", "metrics", "reply_to_external_id", "repost_of_external_id",
            "quote_of_external_id", "thread_root_external_id", "richness"))

    run("twitter_v2/DocNow_twarc-csv__noflat.jsonl", chat_slug="samples-1")
    from_pages = rows()
    Post.objects.all().delete()
    run("twitter_v2/DocNow_twarc-csv__flat.jsonl", chat_slug="samples-1")
    assert rows() == from_pages and len(from_pages) == 100


def test_the_pstweetchat_capture_comes_out_as_its_38_monthly_sessions():
    samples_dir("csv")
    key = "csv/jdhitsolutions_PSTweetChat__pstweetchat_2020-2023.csv"
    outcome = run(key, split_sessions=True)
    chats = list(Chat.objects.filter(series__hashtag="samples").order_by("start"))
    assert len(chats) == len(outcome.new_chats) == 38
    assert [chat.number for chat in chats] == list(range(1, 39))
    # Every session is a first-Friday lunchtime chat in New York.
    for chat in chats:
        local = chat.start.astimezone(ZoneInfo("America/New_York"))
        assert local.weekday() == 4 and 12 <= local.hour <= 13 and local.day <= 8, chat
    assert outcome.outside == Post.objects.filter(chat__isnull=True).count() == 2473 - sum(
        chat.posts.count() for chat in chats)
    assert 0 < outcome.outside < 400
    again = run(key, split_sessions=True)
    assert (again.created, again.new_chats, Chat.objects.count()) == (0, [], 38)


def test_a_personal_archive_takes_its_author_from_account_js():
    samples_dir("twitter_archive")
    run("twitter_archive/mrled_twarchive__tweet.js+twitter_archive/mrled_twarchive__account.js")
    authors = set(Post.objects.values_list("author__handle", flat=True))
    assert len(authors) == 1 and authors != {""}
