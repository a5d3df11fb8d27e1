from django.urls import path, re_path

from summaries import feeds, views

app_name = "summaries"

urlpatterns = [
    # The old blog's permalinks, /2019/01/16/trusting-health-information-online/,
    # with zero-padded month and day so existing links keep working.
    re_path(
        r"^(?P<year>[0-9]{4})/(?P<month>[0-9]{2})/(?P<day>[0-9]{2})/(?P<slug>[-a-zA-Z0-9_]+)/$",
        views.summary_detail,
        name="detail",
    ),
    # The old blog's month archives, /2019/01/.
    re_path(r"^(?P<year>[0-9]{4})/(?P<month>[0-9]{2})/$", views.month_summaries, name="month"),
    path("summaries/", views.summary_list, name="list"),
    path("summaries/series/<slug:hashtag>/", views.series_summaries, name="series"),
    # <str:> because taggit keeps Unicode letters in slugs ("santé") and
    # usernames may carry @ . + -.
    path("summaries/tags/<str:tag>/", views.tag_summaries, name="tag"),
    path("summaries/authors/<str:username>/", views.author_summaries, name="author"),
    path("feeds/summaries.atom", feeds.SummariesAtomFeed(), name="feed-atom"),
    path("feeds/summaries.rss", feeds.SummariesRssFeed(), name="feed-rss"),
    path("feeds/summaries/series/<slug:hashtag>.atom", feeds.SeriesSummariesAtomFeed(), name="series-feed-atom"),
    path("feeds/summaries/series/<slug:hashtag>.rss", feeds.SeriesSummariesRssFeed(), name="series-feed-rss"),
    path("feeds/summaries/tags/<str:tag>.atom", feeds.TagSummariesAtomFeed(), name="tag-feed-atom"),
    path("feeds/summaries/tags/<str:tag>.rss", feeds.TagSummariesRssFeed(), name="tag-feed-rss"),
]
