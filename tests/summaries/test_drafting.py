"""Drafting a chat's summary from the stored transcript (summaries.services.drafting)."""
import re
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from chats.models import Post
from summaries.models import Summary
from summaries.sanitise import summary_markdown_to_html
from summaries.services.drafting import (
    Answer, BodyEditedError, DraftMaterial, Numbers, QuestionMaterial, Resource, compose_draft, md_escape,
    summary_draft,
)
from tests.summaries.workflow import demo_chat  # noqa: F401 (fixture)


# --- composition, no database ---------------------------------------------------------

def material(**changes) -> DraftMaterial:
    values = dict(
        hashtag="hcsmca", series_name="HCSM Canada", number=7, title="Trust *online*",
        start=datetime(2025, 3, 12, 17, 0, tzinfo=UTC), transcript_url="/chats/hcsmca-7/",
        questions=(
            QuestionMaterial(label="T1", text="Who do you trust?", depth=0, url="/chats/hcsmca-7/#T1", answers=(
                Answer(handle="a_b", text="- [click](javascript:alert(1)) <script>x</script> **loud**",
                       url="/chats/hcsmca-7/?order=time&page=1#post-1", retweets=2, replies=1),
            )),
            QuestionMaterial(label="T1a", text="Why?", depth=1, url="/chats/hcsmca-7/?page=2#T1a"),
        ),
        studies=(Resource(title="A review", url="https://doi.org/10.1/x", shared_by="li", share_count=2,
                          study_kind="DOI", study_identifier="10.1/x"),),
        resources=(),
        numbers=Numbers(posts=40, retweets=5, participants=9, new_participants=3, earlier_chats=6),
    )
    values.update(changes)
    return DraftMaterial(**values)


def test_quoted_posts_render_as_their_own_text_not_as_markdown():
    hostile = "- [click](javascript:alert(1)) <script>x</script> **loud** & 1. `code`"
    html = str(summary_markdown_to_html(md_escape(hostile, line_start=True)))
    assert html == "<p>- [click](javascript:alert(1)) &lt;script&gt;x&lt;/script&gt; **loud** &amp; 1. `code`</p>\n"
    assert "<a" not in html and "<li" not in html and "<strong" not in html


def test_compose_nests_sub_questions_and_quotes_answers_with_links_and_reach():
    body = compose_draft(material())
    assert body.startswith("On Wednesday 12 March 2025, #hcsmca chat 7 talked about **Trust \\*online\\***.")
    assert "### [T1](</chats/hcsmca-7/#T1>): Who do you trust?" in body
    assert "#### [T1a](</chats/hcsmca-7/?page=2#T1a>): Why?" in body
    assert "— [@a\\_b](</chats/hcsmca-7/?order=time&page=1#post-1>) (2 retweets, 1 reply)" in body
    assert "- [A review](<https://doi.org/10.1/x>) (DOI 10.1/x), shared by @li (2 times)" in body
    assert "- 40 posts (5 retweets among them)" in body
    assert "- 3 new participants, not seen in the 6 earlier chats of the series in the archive" in body
    html = str(summary_markdown_to_html(body))
    assert "<script" not in html and 'href="javascript' not in html
    assert '<a href="/chats/hcsmca-7/?page=2#T1a" rel="nofollow ugc noopener">T1a</a>' in html
    assert "<h4>" in html and html.index("<h3>") < html.index("<h4>")


def test_the_first_chat_of_a_series_says_so():
    body = compose_draft(material(numbers=Numbers(posts=1, retweets=0, participants=1, new_participants=1,
                                                  earlier_chats=0)))
    assert "- 1 post\n" in body and "- the first chat of the series in the archive" in body


# --- the draft of the demo chat -----------------------------------------------------

pytestmark_db = pytest.mark.django_db


@pytestmark_db
def test_draft_of_the_demo_chat(demo_chat, moderator):
    summary = summary_draft(chat_id=demo_chat.pk, requested_by=moderator)
    body = summary.body_markdown
    assert summary.status == Summary.Status.DRAFT and summary.chat == demo_chat and summary.author == moderator
    assert summary.drafted_at is not None and summary.body_edited_at is None
    assert body.startswith("On Tuesday 11 March 2025, #hcsmca chat 116 talked about "
                           "**Social media and self-care in cancer survivors**")

    # Every question, label and text, in order; T1a nested under T1.
    questions = list(demo_chat.questions.order_by("position", "label"))
    assert [q.label for q in questions] == ["T1", "T1a", "T2", "T3"]
    headings = re.findall(r"^(#+) \[(T\w+)\]\(<([^>]+)>\): (.*)$", body, flags=re.M)
    assert [h[1] for h in headings] == ["T1", "T1a", "T2", "T3"]
    assert [len(h[0]) for h in headings] == [3, 4, 3, 3]
    for (_, label, url, text), question in zip(headings, questions):
        assert url == f"/chats/hcsmca-116/#{label}"
        assert text == md_escape(question.text)

    # Representative answers: originals only, distinct authors within a question, with links to the posts.
    sections = re.split(r"^#+ \[T", body, flags=re.M)[1:]
    retweets = set(Post.objects.filter(chat=demo_chat).exclude(repost_of_external_id="")
                   .values_list("external_id", flat=True))
    assert len(retweets) == 3
    for section in sections:
        authors = re.findall(r"^> — \[@([^\]]+)\]\(</chats/hcsmca-116/\?order=time&page=1#post-(\d+)>\)",
                             section, flags=re.M)
        assert authors, section
        assert len({a for a, _ in authors}) == len(authors)
        assert not {post_id for _, post_id in authors} & retweets
    assert "RT @" not in body
    # The most retweeted and replied-to answer of T1 comes first.
    assert sections[0].index("survivor\\_kate") < sections[0].index("nurse\\_jo")
    assert "(1 retweet, 1 reply)" in sections[0] and "(2 retweets)" in sections[2]

    # Every study shared, with who shared it; other links too.
    assert "(DOI 10.2196/12345), shared by @researcher\\_li" in body
    assert "(PMID 31234567), shared by @researcher\\_li" in body
    assert "https://www.cancer.ca/en/support-and-services" in body
    # The numbers: 26 posts, 7 participants of whom 5 never posted in chat 115.
    assert "- 26 posts (3 retweets among them)\n- 7 participants\n- 5 new participants, not seen in the earlier chat" in body
    assert "The full transcript: [/chats/hcsmca-116/](</chats/hcsmca-116/>)" in body
    # The draft features the studies shared.
    assert set(summary.featured_studies.values_list("doi", "pmid")) == {("10.2196/12345", ""), ("", "31234567")}


@pytestmark_db
def test_an_edited_body_is_not_overwritten_unless_asked(demo_chat):
    summary = summary_draft(chat_id=demo_chat.pk)
    Summary.objects.filter(pk=summary.pk).update(body_markdown="My own words.", body_edited_at=timezone.now())

    with pytest.raises(BodyEditedError) as refused:
        summary_draft(chat_id=demo_chat.pk)
    assert refused.value.summary.pk == summary.pk and "confirm to replace it" in str(refused.value)
    assert Summary.objects.get().body_markdown == "My own words."

    again = summary_draft(chat_id=demo_chat.pk, overwrite=True)
    assert again.pk == summary.pk and Summary.objects.count() == 1
    again.refresh_from_db()
    assert again.body_markdown.startswith("On Tuesday") and again.body_edited_at is None


@pytestmark_db
def test_an_unedited_draft_is_refreshed_and_a_published_one_needs_confirmation(demo_chat):
    first = summary_draft(chat_id=demo_chat.pk)
    refreshed = summary_draft(chat_id=demo_chat.pk)
    assert refreshed.pk == first.pk and refreshed.drafted_at > first.drafted_at
    Summary.objects.filter(pk=first.pk).update(status=Summary.Status.PUBLISHED, published_at=timezone.now())
    with pytest.raises(BodyEditedError):
        summary_draft(chat_id=demo_chat.pk)


@pytestmark_db
def test_drafting_reads_a_bounded_number_of_queries(demo_chat, django_assert_max_num_queries):
    # Fixed by the design (outline, answers, positions, links, numbers, write), not by the 26 posts.
    with django_assert_max_num_queries(25):
        summary_draft(chat_id=demo_chat.pk)
