from django.urls import re_path

from summaries import views

app_name = "summaries"

urlpatterns = [
    # The old blog's permalinks, /2019/01/16/trusting-health-information-online/,
    # with zero-padded month and day so existing links keep working.
    re_path(
        r"^(?P<year>[0-9]{4})/(?P<month>[0-9]{2})/(?P<day>[0-9]{2})/(?P<slug>[-a-zA-Z0-9_]+)/$",
        views.summary_detail,
        name="detail",
    ),
]
