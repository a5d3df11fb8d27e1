"""System checks of our own settings (``manage.py check --deploy``)."""
from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def site_url_is_set(app_configs, **kwargs):
    """Citations and dataset bundles name the archive by HCSMCA_SITE_URL; a
    deployment without it would publish http://127.0.0.1:8000 in them."""
    if settings.SITE_URL.startswith("https://"):
        return []
    return [Warning(
        "HCSMCA_SITE_URL is not an https:// address: citations and dataset bundles would carry "
        f"{settings.SITE_URL or 'http://127.0.0.1:8000'!r}.",
        hint="Set HCSMCA_SITE_URL to the archive's public address, e.g. https://archive.example.org.",
        id="hcsmca.W001")]
