"""Pseudonyms for research exports: pure, no database."""
from chats.services.pseudonyms import REMOVED_LINK, Pseudonymiser, reveals_account


def test_numbered_in_order_of_first_sight_case_insensitively():
    names = Pseudonymiser()
    assert names.pseudonym("twitter", "Nurse_Jo") == "participant-0001"
    assert names.pseudonym("twitter", "dr_amir") == "participant-0002"
    assert names.pseudonym("twitter", "nurse_jo") == "participant-0001"
    assert names.pseudonym("mastodon", "nurse_jo") == "participant-0003"  # another platform, another person
    assert names.pseudonym("twitter", "") == ""


def test_mentions_in_text_get_the_same_pseudonym_and_outsiders_get_one_too():
    names = Pseudonymiser()
    names.pseudonym("twitter", "survivor_kate")
    text = names.text("twitter", "RT @Survivor_Kate: thanks @someone_new and @survivor_kate. Mail me: a@b.org")
    assert text == "RT @participant-0001: thanks @participant-0002 and @participant-0001. Mail me: a@b.org"


def test_bare_handles_go_but_the_hashtag_stays():
    names = Pseudonymiser()
    names.pseudonym("twitter", "hcsmca")
    names.pseudonym("twitter", "nurse_jo")
    assert names.text("twitter", "via nurse_jo: welcome to #hcsmca, says hcsmca. hcsmca-116") == \
        "via participant-0002: welcome to #hcsmca, says participant-0001. hcsmca-116"


def test_mastodon_and_bluesky_mentions():
    names = Pseudonymiser()
    assert names.text("mastodon", "hi @jo@mastodon.social and @kate.bsky.social.") == \
        "hi @participant-0001 and @participant-0002."


def test_links_to_profiles_and_posts_are_removed_others_kept():
    names = Pseudonymiser()
    text = names.text("twitter", "see https://twitter.com/nurse_jo/status/1 https://x.com/a "
                                 "https://mastodon.social/@kate/1 https://bsky.app/profile/kate.bsky.social "
                                 "and https://doi.org/10.2196/12345")
    assert text == f"see {REMOVED_LINK} {REMOVED_LINK} {REMOVED_LINK} {REMOVED_LINK} and https://doi.org/10.2196/12345"
    assert reveals_account("https://kate.bsky.social/")
    assert not reveals_account("https://www.cancer.ca/en/support")
