"""Rate limits of the API, counted in the default cache (Redis) so that every
web process shares them.

Both throttles fail open: when the cache cannot be reached the request is
served and the error logged (README, "When something fails": readers keep
being answered while Redis is down; the API is a reader too). The rates are
read from settings on every request, not when the class is defined as DRF
does, so that a test's ``settings`` override takes effect.
"""
from __future__ import annotations

import logging

from redis.exceptions import RedisError
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)

# What the cache raises when Redis is down or stops answering.
CACHE_ERRORS = (RedisError, OSError)


class FailOpenThrottle(SimpleRateThrottle):
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS as error:
            logger.warning("API rate limit not applied, the cache is unavailable: %s", error)
            return True


class ReaderRateThrottle(FailOpenThrottle):
    """Everyone but staff, by client address (NUM_PROXIES = HCSMCA_TRUSTED_PROXIES, as hcsmca/client_ip.py)."""

    scope = "anon"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_staff:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class StaffRateThrottle(FailOpenThrottle):
    """Staff signed in to the site: a higher rate, per user."""

    scope = "staff"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_staff):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
