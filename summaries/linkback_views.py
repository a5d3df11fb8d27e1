"""Machine endpoints where other sites say they link to a summary, and the
headers that advertise them on each summary page.

- ``POST /webmention/`` (W3C Webmention): form fields ``source`` and
  ``target``; 202 Accepted, or 400 with the reason.
- ``POST /xmlrpc/`` (Pingback 1.0): ``pingback.ping(sourceURI, targetURI)``;
  a string on acceptance, else a fault with the spec's code.
- ``POST <permalink>trackback/`` (TrackBack): ``url``, ``title``,
  ``excerpt``, ``blog_name``; the TrackBack XML answer, error 0 or 1.

Each checks only what it can at once (summaries.services.linkbacks
``linkback_check``) and queues the ``summaries.verify_linkback`` task, which
fetches the source and stores the linkback, pending moderation, only if the
page links to the summary. No cookies are involved, so CSRF does not apply;
bodies are size-limited (LINKBACK_MAX_REQUEST_BYTES) and each client address
is rate-limited (LINKBACK_RATE_LIMIT) with the comment form's limiter.
"""
from __future__ import annotations

import functools
import logging
# Parses bodies from anyone: _xmlrpc_call refuses any DOCTYPE or ENTITY (the
# source of every XML expansion and external-entity attack) before
# xmlrpc.client sees the body; tests/summaries/test_linkbacks.py sends both.
import xmlrpc.client  # nosec B411
from xml.parsers.expat import ExpatError

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.http.request import validate_host
from django.urls import reverse
from django.utils.html import escape
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from hcsmca.client_ip import client_ip
from summaries.models import Comment
from summaries.services.comments import rate_limited
from summaries.services.linkbacks import LinkbackRejected, linkback_check, linkback_exists
from summaries.tasks import verify_linkback

logger = logging.getLogger(__name__)


def advertise_linkbacks(view):
    """Adds the Webmention ``Link`` and the ``X-Pingback`` headers to a
    summary page's successful answers (the page's head carries the same, as
    <link> elements)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 200:
            response["Link"] = f'<{request.build_absolute_uri(reverse("summaries:webmention"))}>; rel="webmention"'
            response["X-Pingback"] = request.build_absolute_uri(reverse("summaries:xmlrpc"))
        return response

    return wrapped


# --- shared checks --------------------------------------------------------------


def _our_host(hostname: str | None) -> bool:
    """Whether a target's host is this site's, by the same list Django
    checks incoming requests against."""
    if not hostname:
        return False
    allowed = settings.ALLOWED_HOSTS or (
        [".localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else []
    )
    name = f"[{hostname}]" if ":" in hostname else hostname  # IPv6 as Django writes it
    return validate_host(name.lower(), allowed)


def _too_large(request: HttpRequest) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    return length > settings.LINKBACK_MAX_REQUEST_BYTES


def _over_limit(request: HttpRequest) -> bool:
    limit, window = settings.LINKBACK_RATE_LIMIT
    return rate_limited(scope="linkback", key=client_ip(request), limit=limit, window=window)


def _queue(*, summary_id: int, kind: str, source: str, blog_name: str = "") -> None:
    transaction.on_commit(lambda: verify_linkback.delay(summary_id, kind, source, blog_name))


def _text(message: str, status: int) -> HttpResponse:
    return HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")


# --- Webmention -------------------------------------------------------------------


@csrf_exempt
@require_POST
def webmention(request: HttpRequest) -> HttpResponse:
    if _too_large(request):
        return _text("The request is too large.", 413)
    if _over_limit(request):
        return _text("Too many requests; try again later.", 429)
    source, target = request.POST.get("source", ""), request.POST.get("target", "")
    if not source or not target:
        return _text("Both source and target are required.", 400)
    try:
        summary = linkback_check(source=source, target=target, allowed_host=_our_host)
    except LinkbackRejected as rejected:
        return _text(rejected.message, 400)
    _queue(summary_id=summary.pk, kind=Comment.Kind.WEBMENTION, source=source.strip())
    return _text("Accepted: the source will be checked for a link to the target, then moderated.", 202)


# --- Pingback (XML-RPC) -------------------------------------------------------------

XMLRPC_PARSE_ERROR = -32700
XMLRPC_NO_METHOD = -32601
XMLRPC_BAD_PARAMS = -32602


def _xmlrpc(result) -> HttpResponse:
    if isinstance(result, xmlrpc.client.Fault):
        body = xmlrpc.client.dumps(result, methodresponse=True, encoding="utf-8")
    else:
        body = xmlrpc.client.dumps((result,), methodresponse=True, encoding="utf-8")
    # XML-RPC answers 200 whatever the outcome; faults are in the body.
    return HttpResponse(body, content_type="text/xml; charset=utf-8")


def _xmlrpc_call(raw: bytes) -> tuple[tuple, str]:
    """(params, method name) of an XML-RPC call, or ValueError. The body
    must be UTF-8 with no DOCTYPE or entity declarations: the declaration's
    encoding is dropped so that expat reads exactly the text checked here
    (no UTF-16 or EBCDIC body hides a DOCTYPE), and no entity ever expands."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("the body is not UTF-8") from None
    text = text.lstrip("\ufeff").lstrip()
    if text.startswith("<?xml"):
        end = text.find("?>")
        if end == -1:
            raise ValueError("unterminated XML declaration")
        text = text[end + 2:]
    upper = text.upper()
    if "<!DOCTYPE" in upper or "<!ENTITY" in upper or "\x00" in text:
        raise ValueError("DOCTYPE and entity declarations are not accepted")
    try:
        params, method = xmlrpc.client.loads(text.encode("utf-8"))
    except (ExpatError, xmlrpc.client.ResponseError, TypeError, KeyError, IndexError, OverflowError) as error:
        raise ValueError(f"malformed XML-RPC: {error}") from None
    return params, method or ""


@csrf_exempt
@require_POST
def xmlrpc_endpoint(request: HttpRequest) -> HttpResponse:
    if _too_large(request):
        return _xmlrpc(xmlrpc.client.Fault(XMLRPC_PARSE_ERROR, "The request is too large."))
    if _over_limit(request):
        return _xmlrpc(xmlrpc.client.Fault(LinkbackRejected.DENIED, "Too many requests; try again later."))
    try:
        params, method = _xmlrpc_call(request.body)
    except ValueError as error:
        return _xmlrpc(xmlrpc.client.Fault(XMLRPC_PARSE_ERROR, f"Parse error: {error}"))
    if method != "pingback.ping":
        return _xmlrpc(xmlrpc.client.Fault(XMLRPC_NO_METHOD, f"No method {method[:100]!r}; only pingback.ping."))
    if len(params) != 2 or not all(isinstance(param, str) for param in params):
        return _xmlrpc(xmlrpc.client.Fault(XMLRPC_BAD_PARAMS, "pingback.ping takes sourceURI and targetURI."))
    source, target = (param.strip() for param in params)
    try:
        summary = linkback_check(source=source, target=target, allowed_host=_our_host)
        if linkback_exists(summary=summary, source=source):
            raise LinkbackRejected(LinkbackRejected.ALREADY, "This pingback is already registered.")
    except LinkbackRejected as rejected:
        return _xmlrpc(xmlrpc.client.Fault(rejected.code, rejected.message))
    _queue(summary_id=summary.pk, kind=Comment.Kind.PINGBACK, source=source)
    return _xmlrpc(f"Pingback from {source} to {target} received; it will be checked, then moderated.")


# --- TrackBack -----------------------------------------------------------------------


def _trackback_answer(error: str = "", status: int = 200) -> HttpResponse:
    if error:
        inner = f"<error>1</error>\n<message>{escape(error)}</message>"
    else:
        inner = "<error>0</error>"
    body = f'<?xml version="1.0" encoding="utf-8"?>\n<response>\n{inner}\n</response>\n'
    return HttpResponse(body, content_type="text/xml; charset=utf-8", status=status)


@csrf_exempt
@require_POST
def trackback(request: HttpRequest, year: str, month: str, day: str, slug: str) -> HttpResponse:
    """The TrackBack ping for the summary at this permalink. Its title and
    excerpt are not kept: the stored text is the source page's own, read by
    the verifier; ``blog_name`` names the linkback."""
    if _too_large(request):
        return _trackback_answer("The request is too large.")
    if _over_limit(request):
        return _trackback_answer("Too many requests; try again later.")
    source = request.POST.get("url", "").strip()
    if not source:
        return _trackback_answer("A url is required.")
    permalink = reverse("summaries:detail", kwargs={"year": year, "month": month, "day": day, "slug": slug})
    try:
        summary = linkback_check(source=source, target=request.build_absolute_uri(permalink), allowed_host=_our_host)
    except LinkbackRejected as rejected:
        # No summary here (unknown, draft): 404 like its permalink, with the answer.
        return _trackback_answer(rejected.message, 404 if rejected.code == LinkbackRejected.NO_TARGET else 200)
    blog_name = request.POST.get("blog_name", "").strip()[:200]
    _queue(summary_id=summary.pk, kind=Comment.Kind.TRACKBACK, source=source, blog_name=blog_name)
    return _trackback_answer()
