"""Downloads of dataset bundles, served from storage (built by workers:
chats.services.bundles). Thin: find the public chat or series, its ready
bundle, and hand the stored file over."""
from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date

from chats.models import Chat, DatasetBundle, Series
from chats.robots import noindex_header
from chats.services.bundles import bundle_downloads, download_name, ready_bundles, series_bundle_scope_exists

PREPARING = "This dataset is being prepared. Please try again in a few minutes.\n"


def chat_dataset(request, slug: str, variant: str):
    # Hidden or scheduled chats have no public bundle: 404 like their page.
    chat = get_object_or_404(Chat.objects.archived(), slug=slug)
    return noindex_header(_serve(request, ready_bundles(chat=chat).get(variant), download_name(chat.slug, variant)),
                          chat)


def series_dataset(request, hashtag: str, variant: str):
    series = get_object_or_404(Series, hashtag=hashtag)
    if not series_bundle_scope_exists(series):
        raise Http404("No public chats in this series.")
    return _serve(request, ready_bundles(series=series).get(variant),
                  download_name(f"{series.hashtag}-series", variant))


def _serve(request, bundle: DatasetBundle | None, filename: str):
    if bundle is None:
        response = HttpResponse(PREPARING, status=404, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = "120"  # the beat queues a build every minute
        return response
    etag = f'"{bundle.sha256}"'
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        return not_modified
    try:
        stored = default_storage.open(bundle.file.name, "rb")
    except FileNotFoundError:
        # Replaced by a newer build between reading the row and opening it.
        response = HttpResponse(PREPARING, status=404, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = "60"
        return response
    response = FileResponse(stored, as_attachment=True, filename=filename, content_type="application/zip")
    response["ETag"] = etag
    response["Content-Length"] = str(bundle.size)
    if bundle.built_at:
        response["Last-Modified"] = http_date(bundle.built_at.timestamp())
    patch_cache_control(response, no_cache=True)
    return response


def chat_datasets_json(request, slug: str):
    """The chat's downloads as the page's "Data" section lists them: read by
    a script, because the page itself is cached by the chat's content
    version and a bundle is ready minutes after that version changes."""
    chat = get_object_or_404(Chat.objects.archived().select_related("series"), slug=slug)
    response = JsonResponse({"downloads": bundle_downloads(chat)})
    patch_cache_control(response, no_cache=True)
    return response
