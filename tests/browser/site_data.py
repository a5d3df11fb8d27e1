"""A small archive that looks like a real one, for the page quality tests
(accessibility, markup, navigation): a scheduled series with a host, two
archived chats with tags, questions T1, T1a and T2, answers, a reply, a
retweet, shared links and a study (DOI), a hidden chat that must never show,
and a published summary with a comment thread.

Built with the factories and the same services an import runs (questions
detected from the host's posts, links counted, studies recognised), so the
pages render what they would render for imported data.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.urls import reverse
from django.utils import timezone

from chats.models import Author, Chat, Link, Platform, Post, PostLink
from chats.services.links import domain_of, links_recount, normalise_url, studies_recognise
from chats.services.questions import questions_assign
from summaries.models import Comment, Summary
from summaries.sanitise import comment_markdown_to_html, summary_markdown_to_html
from tests.factories import AuthorFactory, ChatFactory, PostFactory, SeriesFactory

# A word only the hidden chat uses: searching for it must find nothing.
HIDDEN_WORD = "quarantinedword"
HIDDEN_TITLE = "Moderators only: rehearsal"
# A tag only the hidden chat has: no list of topics may name it.
HIDDEN_TAG = "dry-run-rehearsal"
# A word several public posts use, so a search has results.
SEARCH_WORD = "caregivers"
STUDY_DOI = "10.2196/jmir.1933"


@dataclass
class ArchiveSite:
    chat: Chat  # the chat most tests visit (#hcsmca 116)
    other_chat: Chat
    hidden_chat: Chat
    summary: Summary  # of the first chat, with a comment thread, comments closed by age
    open_summary: Summary  # of the other chat, comments open
    host: Author
    participant: Author  # answers T1 and T1a, is replied to and retweeted
    posts: dict[str, Post] = field(default_factory=dict)


def _post(chat: Chat, author: Author, minute: int, text: str, *, urls=(), **extra) -> Post:
    post = PostFactory(chat=chat, author=author, created_at=chat.start + timedelta(minutes=minute), text=text,
                       urls=list(urls), platform=author.platform, **extra)
    if author.platform == Platform.MASTODON:
        post.url = f"https://health.social/@{author.handle.split('@')[0]}/{post.external_id}"
        post.save(update_fields=["url"])
    links = []
    for position, url in enumerate(urls):
        normalised = normalise_url(url)
        link, _ = Link.objects.get_or_create(url=normalised, defaults={"domain": domain_of(normalised)})
        PostLink.objects.create(post=post, link=link, position=position)
        links.append(link.pk)
    if links:
        links_recount(link_ids=links)
        studies_recognise(link_ids=links)
    return post


def build_archive_site() -> ArchiveSite:
    host = AuthorFactory(handle="hcsmca", display_name="HCSM Canada", platform_id="15185900")
    colleen = AuthorFactory(handle="colleen_y", display_name="Colleen Young", platform_id="15185901")
    jo = AuthorFactory(handle="nurse_jo", display_name="Jo Tremblay", platform_id="15185902")
    # A Mastodon participant: the handle carries "@" and dots.
    pat = AuthorFactory(platform=Platform.MASTODON, handle="pat@health.social", display_name="Pat Singh",
                        platform_id="109876543210", profile_url="https://health.social/@pat",
                        avatar_url="https://health.social/avatars/pat.png")

    series = SeriesFactory()  # #hcsmca, Wednesdays 13:00 in Toronto, one hour
    series.hosts.add(host)

    # 13:00 in Toronto (EDT) is 17:00 UTC.
    chat = ChatFactory(series=series, number=116, slug="hcsmca-116", title="Caregivers online",
                       start=datetime(2019, 3, 13, 17, 0, tzinfo=UTC),
                       description="How family caregivers use online communities, and what clinicians can learn.")
    chat.hosts.add(host)
    chat.tags.add("caregiving", "online communities")
    posts = {}
    posts["t1"] = _post(chat, host, 0, "T1: Which online communities helped you most as a caregiver? #hcsmca")
    posts["a1"] = _post(chat, colleen, 2, "A1: Peer forums run by caregivers themselves, like "
                        "https://www.caregiversontario.ca/peer-support?utm_source=twitter #hcsmca",
                        urls=["https://www.caregiversontario.ca/peer-support?utm_source=twitter"])
    posts["reply"] = _post(chat, jo, 3, "@colleen_y Agreed: moderated groups feel safer for caregivers. #hcsmca",
                           reply_to_external_id=posts["a1"].external_id, reply_to=posts["a1"])
    posts["retweet"] = _post(chat, jo, 4, f"RT @colleen_y: {posts['a1'].text}", urls=posts["a1"].urls,
                             repost_of_external_id=posts["a1"].external_id, repost_of=posts["a1"])
    posts["t1a"] = _post(chat, host, 15, "T1a: How did you judge whether advice there was trustworthy? #hcsmca")
    posts["a1a"] = _post(chat, colleen, 17, f"A1a: I look for the study behind a claim, e.g. "
                         f"https://doi.org/{STUDY_DOI} #hcsmca", urls=[f"https://doi.org/{STUDY_DOI}"])
    posts["t2"] = _post(chat, host, 30, "T2: What should clinicians know about caregivers' online lives? #hcsmca")
    posts["a2"] = _post(chat, jo, 32, "A2: That caregivers arrive having read a lot. Ask what we read! #hcsmca")
    posts["a2_pat"] = _post(chat, pat, 35, "A2 Caregivers are experts in their person's care #hcsmca")
    questions_assign(chat=chat)

    other = ChatFactory(series=series, number=117, slug="hcsmca-117", title="Patient voices in research",
                        start=chat.start + timedelta(weeks=1))
    other.hosts.add(host)
    other.tags.add("research", "patient engagement")
    _post(other, host, 0, "T1: Where should patients sit on a research team? #hcsmca")
    _post(other, colleen, 3, "A1: At the table from the first protocol draft, paid for their time. #hcsmca")
    _post(other, host, 20, "T2: What stops researchers from asking caregivers and patients? #hcsmca")
    _post(other, pat, 24, "A2: Ethics boards that see patients only as subjects #hcsmca")
    questions_assign(chat=other)

    hidden = ChatFactory(series=series, number=118, slug="hcsmca-118", title=HIDDEN_TITLE,
                         start=chat.start + timedelta(weeks=2), visibility=Chat.Visibility.HIDDEN)
    hidden.tags.add("caregiving", HIDDEN_TAG)
    _post(hidden, host, 0, f"T1: Testing the {HIDDEN_WORD} before the real chat #hcsmca")

    summary = Summary.objects.create(
        chat=chat, title="Caregivers online: what we heard", slug="caregivers-online-what-we-heard",
        body_markdown="Caregivers told us which **peer forums** helped them.",
        body_html=summary_markdown_to_html("Caregivers told us which **peer forums** helped them."),
        excerpt="Caregivers told us which peer forums helped them.",
        status=Summary.Status.PUBLISHED, published_at=min(timezone.now(), chat.end + timedelta(days=2)),
    )
    summary.tags.add("caregiving")
    # An approved comment with an approved reply: the page shows a thread.
    comment = Comment.objects.create(
        summary=summary, author_name="Colleen Young", author_email="colleen@example.org",
        body="Thank you for the *summary*.", body_html=comment_markdown_to_html("Thank you for the *summary*."),
        status=Comment.Status.APPROVED, created_at=summary.published_at + timedelta(hours=3),
    )
    Comment.objects.create(
        summary=summary, parent=comment, author_name="Jo Tremblay", author_url="https://example.org/jo",
        body="Seconded.", body_html=comment_markdown_to_html("Seconded."),
        status=Comment.Status.APPROVED, created_at=summary.published_at + timedelta(hours=5),
    )
    # A recent summary of the other chat: comments still open, so its page has the comment form.
    open_summary = Summary.objects.create(
        chat=other, title="Patient voices in research: a recap", slug="patient-voices-in-research-a-recap",
        body_markdown="Patients belong on research teams *from the start*.",
        body_html=summary_markdown_to_html("Patients belong on research teams *from the start*."),
        excerpt="Patients belong on research teams from the start.",
        status=Summary.Status.PUBLISHED, published_at=timezone.now() - timedelta(hours=1),
    )
    for post in posts.values():  # the questions were assigned in SQL
        post.refresh_from_db()
    return ArchiveSite(chat=chat, other_chat=other, hidden_chat=hidden, summary=summary, open_summary=open_summary,
                       host=host,
                       participant=colleen, posts=posts)


# The pages the quality tests visit: name -> path, given the site above.
# Search twice: with results, and with a query the form refuses.
PAGES = {
    "home": lambda site: reverse("chats:home"),
    "archive": lambda site: reverse("chats:archive"),
    "archive-year": lambda site: reverse("chats:archive-year", kwargs={"year": site.chat.start.year}),
    "series": lambda site: reverse("chats:series", kwargs={"hashtag": site.chat.series.hashtag}),
    "tag": lambda site: reverse("chats:tag", kwargs={"tag": "caregiving"}),
    "chat": lambda site: site.chat.get_absolute_url(),
    "chat-time-order": lambda site: f"{site.chat.get_absolute_url()}?order=time",
    "participant": lambda site: site.participant.get_absolute_url(),
    "resources": lambda site: reverse("chats:resources"),
    "summaries": lambda site: reverse("summaries:list"),
    "summary": lambda site: site.summary.get_absolute_url(),
    "summary-comments-open": lambda site: site.open_summary.get_absolute_url(),
    "search": lambda site: f"{reverse('chats:search')}?q={SEARCH_WORD}",
    "search-error": lambda site: f"{reverse('chats:search')}?q=-spam",
    "removal-request": lambda site: reverse("consent:removal-request"),
    "removal-thanks": lambda site: reverse("consent:removal-thanks"),
}
