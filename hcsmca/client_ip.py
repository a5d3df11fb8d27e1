"""The address a request came from, for rate limits (comments, linkbacks,
removal requests; the API's throttle reads the same setting).

Behind reverse proxies REMOTE_ADDR is the nearest proxy's address: every
visitor would share one rate limit. Each proxy appends the address it got
the request from to X-Forwarded-For, so with HCSMCA_TRUSTED_PROXIES = N the
client is the N-th entry from the right; entries further left were written
by the client and are never trusted (a forged header cannot buy a fresh
limit).
"""
from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    hops = settings.HCSMCA_TRUSTED_PROXIES
    if hops <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < hops:
        # Fewer proxies than configured wrote the header: the nearest one's
        # view is the best there is.
        return forwarded[0] if forwarded else remote
    return forwarded[-hops]
