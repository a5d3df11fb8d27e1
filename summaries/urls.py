from django.urls import path, re_path

from summaries import comment_views, feeds, views
from summaries import linkback_views

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
    # Comments (summaries/comment_views.py): the moderators' queue and the links mailed to commenters.
    path("moderation/comments/", comment_views.moderation, name="moderation"),
    path("comments/subscription/<str:token>/confirm/", comment_views.subscribe_confirm, name="comment-subscribe-confirm"),
    path("comments/subscription/<str:token>/unsubscribe/", comment_views.unsubscribe, name="comment-unsubscribe"),
    path("summaries/series/<slug:hashtag>/", views.series_summaries, name="series"),
    # <str:> because taggit keeps Unicode letters in slugs ("santé") and
    # usernames may carry @ . + -.
    path("summaries/tags/<str:tag>/", views.tag_summaries, name="tag"),
    path("summaries/authors/<str:username>/", views.author_summaries, name="author"),
    # Linkbacks (summaries/linkback_views.py): machine endpoints other sites notify.
    path("webmention/", linkback_views.webmention, name="webmention"),
    path("xmlrpc/", linkback_views.xmlrpc_endpoint, name="xmlrpc"),
    re_path(
        r"^(?P<year>[0-9]{4})/(?P<month>[0-9]{2})/(?P<day>[0-9]{2})/(?P<slug>[-a-zA-Z0-9_]+)/trackback/$",
        linkback_views.trackback,
        name="trackback",
    ),
    # Approved comments as Atom: one summary's, and every summary's.
    re_path(
        r"^(?P<year>[0-9]{4})/(?P<month>[0-9]{2})/(?P<day>[0-9]{2})/(?P<slug>[-a-zA-Z0-9_]+)/comments/feed/$",
        feeds.SummaryCommentsAtomFeed(),
        name="comments-feed",
    ),
    path("feeds/comments.atom", feeds.CommentsAtomFeed(), name="all-comments-feed"),
    path("feeds/summaries.atom", feeds.SummariesAtomFeed(), name="feed-atom"),
    path("feeds/summaries.rss", feeds.SummariesRssFeed(), name="feed-rss"),
    path("feeds/summaries/series/<slug:hashtag>.atom", feeds.SeriesSummariesAtomFeed(), name="series-feed-atom"),
    path("feeds/summaries/series/<slug:hashtag>.rss", feeds.SeriesSummariesRssFeed(), name="series-feed-rss"),
    path("feeds/summaries/tags/<str:tag>.atom", feeds.TagSummariesAtomFeed(), name="tag-feed-atom"),
    path("feeds/summaries/tags/<str:tag>.rss", feeds.TagSummariesRssFeed(), name="tag-feed-rss"),
]
