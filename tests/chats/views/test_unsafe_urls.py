"""A hostile transcript can carry ``javascript:`` or ``data:`` URLs where a
profile or a post's address should be: the chat page shows them as text and
never as a link."""
from html.parser import HTMLParser

import pytest

from tests.factories import AuthorFactory, ChatFactory, LinkFactory, PostFactory, PostLinkFactory

pytestmark = pytest.mark.django_db

HOSTILE_URLS = ["javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,<script>alert(1)</script>"]


def _hrefs(html: str) -> list[str]:
    found = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.extend(value for name, value in attrs if name in {"href", "src"} and value)

    Collector().feed(html)
    return found


@pytest.mark.parametrize("hostile", HOSTILE_URLS)
@pytest.mark.parametrize("order", ["question", "time"])
def test_chat_page_links_only_http_urls(client, hostile, order):
    chat = ChatFactory()
    author = AuthorFactory(handle="mallory", profile_url=hostile)
    post = PostFactory(chat=chat, author=author, url=hostile, text="A1 see https://example.org/study")
    PostLinkFactory(post=post, link=LinkFactory(url="https://example.org/study", first_post=post, share_count=1))

    response = client.get(f"{chat.get_absolute_url()}?order={order}")

    assert response.status_code == 200
    html = response.content.decode()
    assert "@mallory" in html  # the author is shown: as text
    for href in _hrefs(html):
        assert not href.strip().lower().startswith(("javascript:", "data:")), href
