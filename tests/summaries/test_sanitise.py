"""Whatever people write, what leaves summaries.sanitise holds no script."""
from html.parser import HTMLParser

import pytest

from summaries.sanitise import clean_comment_html, comment_markdown_to_html, summary_markdown_to_html

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=https://example.org></iframe>",
    '<svg onload="alert(1)"></svg>',
    "<style>body{display:none}</style>",
]


@pytest.mark.parametrize("source", HOSTILE)
@pytest.mark.parametrize("render", [summary_markdown_to_html, comment_markdown_to_html, clean_comment_html])
def test_no_executable_markup_survives(render, source):
    # Escaped text ("&lt;script&gt;") is harmless; elements and attributes are what run.
    elements = _elements(str(render(source)))
    for tag, attributes in elements:
        assert tag not in {"script", "iframe", "svg", "style", "object", "embed"}
        for name, value in attributes:
            assert not name.startswith("on")
            if name in {"href", "src"}:
                assert value.split(":", 1)[0].lower() in {"http", "https", "mailto"}


def _elements(html: str) -> list[tuple[str, list]]:
    found = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Collector().feed(html)
    return found


def test_summary_markdown_keeps_structure_and_marks_links():
    html = str(summary_markdown_to_html("## T1\n\n- a **bold** [study](https://doi.org/10.1/x)\n\n| a | b |\n|---|---|\n| 1 | 2 |"))
    assert "<h2>T1</h2>" in html and "<strong>bold</strong>" in html and "<table>" in html
    assert '<a href="https://doi.org/10.1/x" rel="nofollow ugc noopener">study</a>' in html


def test_raw_html_in_markdown_is_shown_as_text():
    assert "&lt;b&gt;" in str(summary_markdown_to_html("<b>hi</b>"))


def test_comments_get_light_markdown_only():
    html = str(comment_markdown_to_html("# Big\n\n> quoted *emphasis* `code`\n\n![img](https://x.org/a.png)"))
    assert "<h1>" not in html and "<img" not in html
    assert "<blockquote>" in html and "<em>emphasis</em>" in html and "<code>code</code>" in html


@pytest.mark.parametrize("url", ["//evil.example/x", " //evil.example", "evil.example/x", "../x"])
def test_protocol_relative_and_bare_relative_links_are_dropped(url):
    for render in (summary_markdown_to_html, comment_markdown_to_html):
        hrefs = [value for tag, attributes in _elements(str(render(f"[x]({url})")))
                 for name, value in attributes if name == "href"]
        assert hrefs == [], (render.__name__, hrefs)


def test_summaries_keep_links_within_the_site_and_comments_do_not():
    assert 'href="/chats/hcsmca-116/#T1"' in str(summary_markdown_to_html("[T1](/chats/hcsmca-116/#T1)"))
    assert 'href="#T1"' in str(summary_markdown_to_html("[T1](#T1)"))
    assert "href" not in str(comment_markdown_to_html("[T1](/chats/hcsmca-116/#T1)"))
