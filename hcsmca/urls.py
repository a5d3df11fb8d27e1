from django.contrib import admin
from django.urls import include, path

from chats.health import healthz

admin.site.site_header = "hcsmca archive"
admin.site.site_title = "hcsmca archive"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("", include("chats.urls")),
]
