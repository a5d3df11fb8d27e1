"""Rate limits key on the client, also behind reverse proxies, and a
client-sent X-Forwarded-For never chooses its own key."""
from __future__ import annotations

import pytest
from django.test import RequestFactory

from hcsmca.client_ip import client_ip


def request_from(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/", **extra)


def test_without_proxies_the_header_is_ignored(settings):
    settings.HCSMCA_TRUSTED_PROXIES = 0
    assert client_ip(request_from("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


@pytest.mark.parametrize(("hops", "forwarded", "client"), [
    (1, "203.0.113.9", "203.0.113.9"),                           # one proxy: what it saw
    (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),                  # a forged entry on the left is skipped
    (2, "6.6.6.6, 203.0.113.9, 10.0.0.2", "203.0.113.9"),        # CDN then nginx
    (2, "203.0.113.9", "203.0.113.9"),                           # fewer entries than proxies: the nearest's view
])
def test_behind_proxies_the_client_is_the_entry_the_outermost_proxy_wrote(settings, hops, forwarded, client):
    settings.HCSMCA_TRUSTED_PROXIES = hops
    assert client_ip(request_from("10.0.0.1", forwarded)) == client


def test_behind_a_proxy_without_the_header_the_remote_address_is_used(settings):
    settings.HCSMCA_TRUSTED_PROXIES = 1
    assert client_ip(request_from("10.0.0.1")) == "10.0.0.1"


@pytest.mark.django_db
def test_two_commenters_behind_one_proxy_have_limits_of_their_own(client, settings):
    """Through the real comment view: the first visitor's limit does not
    refuse the second, who comes through the same proxy."""
    from datetime import timedelta

    from django.core.cache import cache
    from django.utils import timezone

    from summaries.models import Comment
    from tests.factories import SummaryFactory
    from tests.summaries.commenting import form_data

    cache.clear()
    settings.HCSMCA_TRUSTED_PROXIES = 1
    settings.COMMENTS_RATE_LIMIT_IP = (1, 600)
    summary = SummaryFactory(published_at=timezone.now() - timedelta(days=1))
    url = summary.get_absolute_url()
    sent = [("203.0.113.1", "a@example.org"), ("203.0.113.1", "b@example.org"), ("203.0.113.2", "c@example.org")]
    statuses = [
        client.post(url, form_data(summary, body=f"Comment {n}", email=email),
                    REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=visitor).status_code
        for n, (visitor, email) in enumerate(sent)
    ]
    # The first visitor's second comment is over their limit; the other visitor is not.
    assert statuses[0] == 302 and statuses[1] == 429 and statuses[2] == 302, statuses
    assert Comment.objects.count() == 2
