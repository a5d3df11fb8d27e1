"""Citation formatting: pure functions, no database."""
from datetime import UTC, date, datetime

import pytest

from chats.models import Chat, Series
from chats.services.citations import (
    Citation, apa, bibtex, bibtex_escape, bibtex_key, chat_citation, site_url,
)

ACCESSED = date(2026, 11, 27)


@pytest.fixture
def chat(settings):
    settings.SITE_URL = "https://archive.example.org/"
    series = Series(hashtag="hcsmca", name="Health Care Social Media Canada", timezone="America/Toronto")
    # 00:00 UTC on 12 March is the evening of 11 March in Toronto: the chat's day there.
    return Chat(series=series, number=116, slug="hcsmca-116",
                title="Social media and self-care in cancer survivors",
                start=datetime(2025, 3, 12, 0, 0, tzinfo=UTC), end=datetime(2025, 3, 12, 1, 0, tzinfo=UTC))


def test_apa_reference_of_a_chat(chat):
    assert apa(chat_citation(chat), accessed=ACCESSED) == (
        "hcsmca. (2025, March 11). #hcsmca chat 116: Social media and self-care in cancer survivors "
        "[Tweet chat transcript]. hcsmca archive. Retrieved November 27, 2026, from "
        "https://archive.example.org/chats/hcsmca-116/")


def test_apa_without_access_date_ends_with_the_url(chat):
    assert apa(chat_citation(chat)).endswith("hcsmca archive. https://archive.example.org/chats/hcsmca-116/")


def test_bibtex_of_a_chat(chat):
    assert bibtex(chat_citation(chat), accessed=ACCESSED) == "\n".join([
        "@misc{hcsmca116_2025,",
        "  title = {{\\#hcsmca chat 116: Social media and self-care in cancer survivors}},",
        "  author = {{\\#hcsmca community}},",
        "  year = {2025},",
        "  month = {3},",
        "  howpublished = {\\url{https://archive.example.org/chats/hcsmca-116/}},",
        "  publisher = {hcsmca archive},",
        "  note = {Accessed: 2026-11-27}",
        "}",
    ])


@pytest.mark.parametrize(("text", "escaped"), [
    ("Costs & benefits: 50% of {patients}", r"Costs \& benefits: 50\% of \{patients\}"),
    ("#hcsmca_chat $5 ~ ^ \\", r"\#hcsmca\_chat \$5 \textasciitilde{} \textasciicircum{} \textbackslash{}"),
    ("two\nlines", "two lines"),
])
def test_bibtex_escapes_latex_specials(text, escaped):
    assert bibtex_escape(text) == escaped


def test_a_title_cannot_close_the_bibtex_field(chat):
    chat.title = "Broken} @misc{evil, title={x"
    entry = bibtex(chat_citation(chat), accessed=ACCESSED)
    title_line = entry.splitlines()[1]
    assert title_line == r"  title = {{\#hcsmca chat 116: Broken\} @misc\{evil, title=\{x}},"
    # Braces balance: the entry is one @misc.
    unescaped = entry.replace("\\{", "").replace("\\}", "")
    assert unescaped.count("{") == unescaped.count("}")


def test_bibtex_url_escapes_what_breaks_its_argument():
    citation = Citation(author="a", bibtex_author="{a}", published=date(2020, 1, 2), title="t", kind="k",
                        publisher="p", url="https://x.example/a%20b#c", key="k")
    assert "\\url{https://x.example/a\\%20b\\#c}" in bibtex(citation, accessed=ACCESSED)


def test_bibtex_key_is_ascii():
    assert bibtex_key("hcsmca116", "2025") == "hcsmca116_2025"
    assert all(char.isascii() for char in bibtex_key("santé-116", "2025"))


def test_chat_without_title(chat):
    chat.title = ""
    assert "#hcsmca chat 116 [Tweet chat transcript]" in apa(chat_citation(chat), accessed=ACCESSED)


def test_site_url_is_the_setting_or_the_development_server(settings):
    settings.SITE_URL = ""
    settings.ALLOWED_HOSTS = ["archive.hcsmca.example"]
    assert site_url() == "http://127.0.0.1:8000"
    settings.SITE_URL = "https://hcsmca.example/"
    assert site_url() == "https://hcsmca.example"
