from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from chats.health import healthz
from chats.sitemaps import SITEMAPS
from summaries.sitemaps import SITEMAPS as SUMMARY_SITEMAPS

admin.site.site_header = "hcsmca archive"
admin.site.site_title = "hcsmca archive"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("sitemap.xml", sitemap, {"sitemaps": {**SITEMAPS, **SUMMARY_SITEMAPS}}, name="django.contrib.sitemaps.views.sitemap"),
    path("api/v1/", include("hcsmca.api.urls")),
    path("", include("chats.urls_datasets")),
    path("", include("chats.urls_consent")),
    path("", include("summaries.urls")),
    path("", include("chats.urls")),
]
