"""The old blog's links keep working (issue 5).

- ``/?p=123`` and ``/index.php?p=123`` (WordPress's plain links, and what its shortlinks led to):
  301 to the permalink of the summary imported from post 123 when it is
  published, else 404.
- An old permalink that is not this site's (``/wp-6-1-font-size-scale/``, or
  ``/2018/11/02/block-cover/`` for a post now dated 2018-11-01 in the site's
  timezone): 301 to the summary whose ``legacy_path`` it is, when published.

Only paths this site built are redirected to (``get_absolute_url``), never a
value from the request, so nothing here is an open redirect. The permalink
lookup runs only for requests that would otherwise answer 404, like
django.contrib.redirects' fallback middleware, so normal pages pay nothing.
"""
from __future__ import annotations

from django.http import Http404, HttpResponsePermanentRedirect

from summaries.models import Summary

LEGACY_METHODS = {"GET", "HEAD"}
# WordPress answered ?p= on its front page and on index.php alike.
POST_ID_PATHS = {"/", "/index.php"}


class LegacyLinksMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in LEGACY_METHODS and request.path_info in POST_ID_PATHS and "p" in request.GET:
            return post_id_redirect(request.GET["p"])
        response = self.get_response(request)
        if response.status_code == 404 and request.method in LEGACY_METHODS:
            target = old_permalink_target(request.path_info)
            if target is not None:
                return HttpResponsePermanentRedirect(target)
        return response


def post_id_redirect(value: str) -> HttpResponsePermanentRedirect:
    """``?p=<id>``: the published summary imported from that post, or 404."""
    value = value.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise Http404("Not a post id of the old blog.")
    summary = Summary.objects.published().filter(wp_post_id=int(value)).only("slug", "published_at").first()
    if summary is None:
        raise Http404("No published summary came from that post.")
    return HttpResponsePermanentRedirect(summary.get_absolute_url())


def old_permalink_target(path: str) -> str | None:
    """The permalink of the published summary whose old path is ``path``
    (with or without its final slash), unless it is ``path`` itself."""
    candidates = [path] if path.endswith("/") else [path, path + "/"]
    summary = (
        Summary.objects.published().filter(legacy_path__in=candidates)
        .only("slug", "published_at").order_by("pk").first()
    )
    if summary is None:
        return None
    target = summary.get_absolute_url()
    return None if target in candidates else target
