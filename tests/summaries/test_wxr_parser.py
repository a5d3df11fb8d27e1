"""summaries.wxr: WordPress exports read as a stream of frozen records, no
database. The committed fixtures in tests/fixtures/wxr/ are hand-written."""
from __future__ import annotations

import dataclasses
import io
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from summaries import wxr
from summaries.wordpress_html import autop, html_to_markdown, plain_text, wordpress_to_html
from summaries.wxr import WxrAuthor, WxrFormatError, WxrItem, WxrSite, WxrSkipped, parse, sniff

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wxr"


def read(name: str) -> list:
    with (FIXTURES / name).open("rb") as stream:
        return list(parse(stream))


def items(records) -> dict[int, WxrItem]:
    return {record.wp_id: record for record in records if isinstance(record, WxrItem)}


def test_wxr_1_2_items_authors_and_site():
    records = read("blog-1.2.xml")
    assert [r for r in records if isinstance(r, WxrSite)] == [WxrSite(
        wxr_version="1.2", base_site_url="https://blog.example.org", base_blog_url="https://blog.example.org",
        link="https://blog.example.org")]
    authors = [r for r in records if isinstance(r, WxrAuthor)]
    assert authors[0] == WxrAuthor("colleen", "Colleen Young", "colleen@example.org", "Colleen", "Young")
    assert [a.login for a in authors] == ["colleen", "guest.host"]
    # Authors and the site come before the items that need them.
    first_item = next(i for i, r in enumerate(records) if isinstance(r, WxrItem))
    assert all(isinstance(r, (WxrAuthor, WxrSite)) for r in records[:first_item])
    by_id = items(records)
    assert [(i.wp_id, i.post_type, i.status) for i in by_id.values()] == [
        (101, "post", "publish"), (102, "post", "draft"), (103, "post", "future"), (104, "post", "publish"),
        (105, "post", "trash"), (2, "page", "publish"), (7, "attachment", "inherit")]
    assert [i.record for i in by_id.values()] == list(range(1, 8))


def test_a_post_in_detail():
    post = items(read("blog-1.2.xml"))[101]
    assert post.title == "Chat 116: Trusting health information <em>online</em>"
    assert post.slug == "chat-116-trust"
    assert post.link == "https://blog.example.org/2018/05/03/chat-116-trust/"
    assert post.creator == "colleen"
    assert post.published_at == datetime(2018, 5, 3, 2, 30, tzinfo=UTC)
    assert post.content.startswith("We talked about <strong>trust</strong>.\nWhere")
    assert post.excerpt == "What &amp; where people trust."
    assert post.comment_status == "open" and post.password == ""
    assert [(t.domain, t.slug, t.name) for t in post.terms] == [
        ("category", "chat-recaps", "Chat Recaps"), ("category", "uncategorized", "Uncategorized"),
        ("post_tag", "trust", "trust"), ("post_tag", "trust-2", "Trust"),
        ("post_tag", "health-literacy", "Health &amp; literacy"), ("post_format", "post-format-aside", "Aside")]
    with pytest.raises(dataclasses.FrozenInstanceError):
        post.title = "changed"


def test_comments_threads_statuses_and_kinds():
    comments = items(read("blog-1.2.xml"))[101].comments
    assert [(c.wp_id, c.parent_id, c.approved, c.kind) for c in comments] == [
        (11, None, "1", ""), (13, 11, "1", "comment"), (14, 13, "0", ""), (15, None, "spam", ""),
        (16, None, "trash", ""), (17, None, "1", "pingback"), (18, None, "1", "trackback")]
    first = comments[0]
    assert (first.author_name, first.author_email, first.author_url, first.author_ip) == (
        "Ana", "ana@example.org", "https://ana.example.org/", "192.0.2.1")
    assert first.created_at == datetime(2018, 5, 3, 13, 0, tzinfo=UTC)  # comment_date_gmt, not comment_date
    assert first.content.startswith("Great chat!\n\nThanks <b>all</b>.")
    assert comments[1].user_id == 1 and first.user_id is None


def test_a_draft_without_a_gmt_date_falls_back_to_its_local_date():
    zone = ZoneInfo("America/Toronto")
    with (FIXTURES / "blog-1.2.xml").open("rb") as stream:
        draft = items(parse(stream, default_timezone=zone))[102]
    # post_date_gmt 0000-00-00 and pubDate year -0001 mean "none".
    assert draft.published_at == datetime(2018, 5, 10, 12, 0, tzinfo=zone)
    assert draft.slug == "" and draft.comment_status == "closed"


def test_wxr_1_1_and_1_0():
    older = read("blog-1.1.xml")
    assert next(r for r in older if isinstance(r, WxrSite)).wxr_version == "1.1"
    post = items(older)[201]
    assert post.slug == "sant%c3%a9-et-m%c3%a9dias" and post.title == "Santé et médias sociaux"
    # No <wp:comment_type> at all: an ordinary comment.
    assert [(c.wp_id, c.kind, c.approved) for c in post.comments] == [(1, "", "1")]
    oldest = read("blog-1.0.xml")
    assert next(r for r in oldest if isinstance(r, WxrSite)).wxr_version == "1.0"
    assert not [r for r in oldest if isinstance(r, WxrAuthor)]
    post = items(oldest)[301]
    assert [(t.domain, t.name) for t in post.terms] == [
        ("", "Chat Recaps"), ("category", "Chat Recaps"), ("tag", "archive"), ("tag", "archive")]


def test_the_https_namespace_of_newer_exports_is_read():
    document = (FIXTURES / "blog-1.1.xml").read_bytes().replace(
        b"http://wordpress.org/export/1.1/", b"https://wordpress.org/export/1.2/")
    assert list(items(parse(io.BytesIO(document)))) == [201]


def test_a_cut_off_file_names_its_item():
    with pytest.raises(WxrFormatError) as caught:
        read("malformed.xml")
    assert caught.value.record == 2
    assert "not well-formed XML" in caught.value.message or "no element found" in caught.value.message


def test_entities_are_refused_before_expansion():
    with pytest.raises(WxrFormatError) as caught:
        read("entity-bomb.xml")
    assert "DOCTYPE" in caught.value.message and caught.value.record is None


@pytest.mark.parametrize("document, message", [
    (b"", "empty"),
    (b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'/>", "not <rss>"),
    (b"<rss version='2.0'><channel><title>x</title></channel></rss>", "namespace"),
    (b"<rss xmlns:wp='http://wordpress.org/export/1.2/'><channel><item><title>x</title></item></channel></rss>",
     "wxr_version"),
    (b"<rss xmlns:wp='http://wordpress.org/export/1.2/'><channel><wp:wxr_version>1.2</wp:wxr_version>",
     "not well-formed"),
    (b'{"id_str": "1", "text": "a tweet"}\n', "not a WordPress export (WXR): the file is not XML (line 1"),
])
def test_files_that_are_not_wxr(document, message):
    with pytest.raises(WxrFormatError) as caught:
        list(parse(io.BytesIO(document)))
    assert message in str(caught.value)


def test_an_item_without_an_id_or_a_date_is_skipped_not_fatal():
    document = b"""<rss xmlns:wp='http://wordpress.org/export/1.2/'><channel><wp:wxr_version>1.2</wp:wxr_version>
      <item><title>no id</title><wp:post_type>post</wp:post_type></item>
      <item><title>no date</title><wp:post_id>9</wp:post_id><wp:status>publish</wp:status></item>
      <item><title>ok</title><wp:post_id>10</wp:post_id><wp:post_date_gmt>2019-01-01 00:00:00</wp:post_date_gmt>
        <wp:comment><wp:comment_id>x</wp:comment_id></wp:comment></item>
    </channel></rss>"""
    records = [r for r in parse(io.BytesIO(document)) if not isinstance(r, WxrSite)]
    assert records[:2] == [WxrSkipped(1, "the item has no wp:post_id"),
                           WxrSkipped(2, "post 9 is published but has no readable date")]
    assert records[2].wp_id == 10 and records[2].comments == () and records[2].broken_comments == 1


def test_parsing_streams(monkeypatch):
    """Items come out while the file is still being read."""
    monkeypatch.setattr(wxr, "CHUNK_SIZE", 512)
    stream = (FIXTURES / "blog-1.2.xml").open("rb")
    try:
        records = parse(stream)
        first = next(r for r in records if isinstance(r, WxrItem))
        assert first.wp_id == 101
        assert stream.tell() < (FIXTURES / "blog-1.2.xml").stat().st_size
    finally:
        stream.close()


def test_sniff():
    assert sniff((FIXTURES / "blog-1.0.xml").read_bytes()[:4096])
    assert sniff((FIXTURES / "blog-1.2.xml").read_bytes()[:4096])
    assert not sniff(b'<?xml version="1.0"?><rss version="2.0"><channel><title>a feed</title></channel></rss>')
    assert not sniff(b'{"id_str": "1", "text": "wordpress.org/export/1.2/"}')


# --- WordPress bodies ---------------------------------------------------------------

def test_autop_makes_paragraphs_and_line_breaks_but_leaves_blocks_and_pre():
    assert autop("One\nline.\n\nTwo.") == "<p>One<br />\nline.</p>\n<p>Two.</p>"
    assert autop("<ul>\n<li>a</li>\n</ul>\n\nText") == "<ul>\n<li>a</li>\n</ul>\n<p>Text</p>"
    assert autop("<pre>a\n\nb</pre>") == "<pre>a\n\nb</pre>"
    # A list right after a line of text (no blank line) is still a list.
    assert autop("Ways:\n<ul>\n\t<li>one</li>\n\t<li>two</li>\n</ul>") == (
        "<p>Ways:</p>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>")
    assert autop("Before\n<blockquote>Quoted</blockquote>\nAfter") == (
        "<p>Before</p>\n<blockquote>Quoted</blockquote>\n<p>After</p>")


def test_wordpress_to_html_drops_shortcodes_and_block_comments():
    assert wordpress_to_html('[caption id="1"]<img src="a.png"> Cap[/caption]') == '<p><img src="a.png"> Cap</p>'
    assert wordpress_to_html("<!-- wp:paragraph -->\n<p>Hi</p>\n<!-- /wp:paragraph -->") == "<p>Hi</p>"


def test_plain_text_of_titles():
    assert plain_text("Title <em>With</em> <b>Mark<sup>up</sup></b> &amp; &#8217;s") == "Title With Markup & ’s"
    assert plain_text("<script>x()</script>  Spaced\n out ") == "Spaced out"


def test_html_to_markdown():
    html = ('<h2>Takeaways</h2><p>We <strong>trust</strong> <em>sources</em>, see <a href="https://e.org/a b">this</a>'
            ' and <a href="javascript:x">that</a>.</p><ul><li>one</li><li>two<ol><li>inner</li></ol></li></ul>'
            '<blockquote><p>Quoted *text* <code>&lt;b&gt;</code></p></blockquote><pre>code\n  kept</pre><p>a<br>b</p>'
            '<img src="https://e.org/i.png" alt="chart"><script>bad()</script>')
    assert html_to_markdown(html) == (
        "## Takeaways\n\nWe **trust** *sources*, see [this](https://e.org/a%20b) and that.\n\n- one\n- two\n"
        "   1. inner\n\n> Quoted \\*text\\* `<b>`\n\n```\ncode\n  kept\n```\n\n"
        "a\\\nb\n\n![chart](https://e.org/i.png)\n")
