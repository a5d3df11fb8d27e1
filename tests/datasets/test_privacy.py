"""The pseudonymised bundle holds no handle, name, profile or post URL of
the original data; no bundle holds a redacted author's."""
import re

import pytest
from django.utils import timezone

from chats.models import Author, Post, Redaction, Removal
from chats.services.bundles import FULL, PSEUDONYMISED, bundle_build
from tests.datasets.helpers import csv_rows, jsonl, read_bundle

pytestmark = pytest.mark.django_db


def identifiers(authors) -> set[str]:
    """Everything that names a person in the original data: handles, display
    names, profile and avatar URLs, account ids."""
    values = set()
    for author in authors:
        values |= {author.handle, author.display_name, author.profile_url, author.avatar_url, author.platform_id}
    return {value for value in values if value}


def found(files: dict[str, bytes], needle: str) -> list[str]:
    return [name for name, data in files.items() if needle.lower() in data.decode("utf-8").lower()]


def test_pseudonymised_bundle_holds_no_original_identifier(demo_chat):
    authors = list(Author.objects.filter(posts__chat=demo_chat).distinct())
    post_urls = list(Post.objects.filter(chat=demo_chat).values_list("url", flat=True))
    files = read_bundle(bundle_build(chat_id=demo_chat.pk, variant=PSEUDONYMISED))
    for value in identifiers(authors) | set(post_urls):
        if value == demo_chat.series.hashtag:
            continue  # checked below: the series account's handle is also the series' hashtag
        assert not found(files, value), f"{value!r} is in {found(files, value)}"
    # The series account's handle is the series' hashtag too (#hcsmca, hcsmca-116 stay): as a person it is
    # gone, neither mentioned nor an author.
    for name, data in files.items():
        assert "@hcsmca" not in data.decode().lower(), name
    assert all(post["author"] != "hcsmca" for post in jsonl(files["posts.jsonl"]))


def test_mentions_of_people_outside_the_chat_and_links_to_profiles_are_replaced(demo_chat):
    from tests.factories import AuthorFactory, PostFactory

    author = AuthorFactory(handle="Quiet_Reader9", display_name="Quinn Reader")
    PostFactory(chat=demo_chat, author=author, created_at=demo_chat.start,
                text="@Outsider_Pat and @friend.bsky.social see https://twitter.com/outsider_pat/status/1 "
                     "and https://mastodon.social/@someone_else #hcsmca",
                mentions=["Outsider_Pat"], urls=["https://twitter.com/outsider_pat/status/1"])
    files = read_bundle(bundle_build(chat_id=demo_chat.pk, variant=PSEUDONYMISED))
    for value in ("outsider_pat", "friend.bsky.social", "someone_else", "quiet_reader9", "Quinn Reader"):
        assert not found(files, value), f"{value!r} is in {found(files, value)}"
    post = next(post for post in jsonl(files["posts.jsonl"]) if post["text"].startswith("@participant-"))
    assert re.match(r"@participant-\d{4} and @participant-\d{4} see \[link to a profile or post removed\]", post["text"])
    assert post["mentions"][0] == post["text"].split()[0][1:]


def test_pseudonyms_are_stable_within_the_bundle_and_replace_mentions(demo_chat):
    files = read_bundle(bundle_build(chat_id=demo_chat.pk, variant=PSEUDONYMISED))
    posts = jsonl(files["posts.jsonl"])
    kate = Author.objects.get(handle="survivor_kate")
    first_of_kate = Post.objects.filter(author=kate).order_by("created_at").first()
    kate_name = next(post["author"] for post in posts if post["id"] == first_of_kate.external_id)
    assert re.fullmatch(r"participant-\d{4}", kate_name)
    assert all(post["author"] == kate_name for post in posts
               if post["id"] in set(Post.objects.filter(author=kate).values_list("external_id", flat=True)))
    retweets = [post for post in posts if post["text"].startswith("RT @")]
    assert retweets and all(post["text"].startswith(f"RT @{kate_name}:") for post in retweets)
    assert all(post["mentions"] == [kate_name] for post in retweets)
    # Numbered by first post: the welcome post's author is participant-0001.
    assert posts[0]["author"] == "participant-0001"
    assert "original" not in posts[0] and "author_name" not in posts[0] and "url" not in posts[0]
    _, participants = csv_rows(files["participants.csv"])
    assert {row["author"] for row in participants} == {post["author"] for post in posts}


def redact_directly(author: Author) -> dict:
    """What chats.services.redactions leaves, set by hand: the author's posts
    placeholders, the author blank, the log row keeping the handle. Mentions
    in other people's posts are left as they were, so the bundle's own
    scrubbing is what is tested."""
    before = {"handle": author.handle, "name": author.display_name, "profile": author.profile_url,
              "avatar": author.avatar_url, "id": author.platform_id}
    Redaction.objects.create(kind=Redaction.Kind.AUTHOR, author=author, platform=author.platform,
                             handle=author.handle, reason="asked by email")
    Post.objects.filter(author=author).update(
        removed=Removal.AUTHOR_REQUEST, removed_at=timezone.now(), text="", url="", urls=[], hashtags=[],
        mentions=[], media=[], original={})
    Author.objects.filter(pk=author.pk).update(handle="", display_name="", profile_url="", avatar_url="",
                                               redacted_at=timezone.now())
    return before


@pytest.mark.parametrize("variant", [FULL, PSEUDONYMISED])
def test_no_bundle_holds_a_redacted_authors_handle_name_or_profile(demo_chat, variant):
    kate = Author.objects.get(handle="survivor_kate")
    kate_posts = set(Post.objects.filter(author=kate).values_list("external_id", flat=True))
    before = redact_directly(kate)
    files = read_bundle(bundle_build(chat_id=demo_chat.pk, variant=variant))
    for value in before.values():
        assert not found(files, value), f"{value!r} is in {found(files, value)}"
    assert not found(files, "Kate • survivor")

    posts = jsonl(files["posts.jsonl"])
    assert len(posts) == 26  # placeholders keep their rows
    placeholders = [post for post in posts if post["id"] in kate_posts]
    assert len(placeholders) == len(kate_posts) == 5
    for post in placeholders:
        assert post["removed"] == "author_request"
        assert post["text"] == "" and post["author"] == ""
        assert post.get("original") is None
        assert post.get("author_name", "") == "" and post.get("author_id", "") == ""
    # Retweets of her posts copied her words: kept as rows (by their own authors), without the words.
    retweets = [post for post in posts if post["repost_of"] in kate_posts]
    assert len(retweets) == 3
    assert all(post["text"] == "" and post.get("original") is None and post["author"] for post in retweets)
    # A reply that mentions her reads @[removed].
    assert any(post["text"].startswith("@[removed] agree") for post in posts)
    _, participants = csv_rows(files["participants.csv"])
    assert len(participants) == 6
    assert "Posts: 26 (5 removed" in files["README.md"].decode()
    if variant == PSEUDONYMISED:
        # Kate had no pseudonym: six people, numbered 1 to 6 without a gap.
        assert sorted(row["author"] for row in participants) == [f"participant-{n:04d}" for n in range(1, 7)]


def test_deleted_posts_are_placeholders_that_keep_their_author(demo_chat):
    post = Post.objects.filter(chat=demo_chat, author__handle="dr_amir").order_by("created_at").first()
    Post.objects.filter(pk=post.pk).update(removed=Removal.DELETED, text="", original={}, urls=[])
    line = next(line for line in jsonl(read_bundle(bundle_build(chat_id=demo_chat.pk, variant=FULL))["posts.jsonl"])
                if line["id"] == post.external_id)
    assert (line["removed"], line["text"], line["original"], line["author"]) == ("deleted", "", None, "dr_amir")


@pytest.mark.parametrize("variant", [FULL, PSEUDONYMISED])
def test_a_redaction_by_the_service_leaves_nothing_of_the_author_in_bundles(demo_chat, variant):
    from chats.services.redactions import author_redact

    kate = Author.objects.get(handle="survivor_kate")
    before = identifiers([kate]) | {"Kate • survivor"}
    author_redact(author_id=kate.pk, reason="asked by email")
    files = read_bundle(bundle_build(chat_id=demo_chat.pk, variant=variant))
    for value in before:
        assert not found(files, value), f"{value!r} is in {found(files, value)}"
