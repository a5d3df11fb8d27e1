"""Content-Security-Policy for every response (Django 5.2 has none built in).

Scripts come only from our own origin: templates carry no inline <script>,
no event-handler attributes and no javascript: links, so even markup that
slipped past escaping could not run. The other security headers
(X-Content-Type-Options, Referrer-Policy, X-Frame-Options, HSTS) are Django's
own, set in hcsmca/settings.py.
"""
from __future__ import annotations

from django.conf import settings

HEADER = "Content-Security-Policy"


def build_policy(directives: dict[str, str]) -> str:
    return "; ".join(f"{name} {value}".strip() for name, value in directives.items())


class ContentSecurityPolicyMiddleware:
    """Sets settings.CSP_DIRECTIVES on responses that do not set their own
    policy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if HEADER not in response:
            # Read per request (a join of a few strings) so override_settings applies.
            response[HEADER] = build_policy(settings.CSP_DIRECTIVES)
        return response
