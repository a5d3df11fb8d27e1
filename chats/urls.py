from django.urls import path

from chats import browse, exports, feeds, views

app_name = "chats"

urlpatterns = [
    path("", browse.home, name="home"),
    path("archive/", browse.archive, name="archive"),
    path("archive/<int:year>/", browse.archive_year, name="archive-year"),
    path("archive/<int:year>/<int:month>/", browse.archive_month, name="archive-month"),
    path("series/<slug:hashtag>/", browse.series_detail, name="series"),
    path("tags/<slug:tag>/", browse.tag_detail, name="tag"),
    path("resources/", browse.resources, name="resources"),
    path("search/", views.search, name="search"),
    # <str:> because handles carry dots and @ (name.bsky.social, user@instance.social).
    path("people/<str:platform>/<str:handle>/", browse.participant, name="participant"),
    path("chats/<slug:slug>/", views.chat_detail, name="detail"),
    path("chats/<slug:slug>/transcript.json", views.chat_transcript_json, name="transcript-json"),
    path("chats/<slug:slug>/transcript.csv", exports.chat_transcript_csv, name="transcript-csv"),
    path("chats/<slug:slug>/transcript.md", exports.chat_transcript_md, name="transcript-md"),
    path("feeds/chats.atom", feeds.ChatsAtomFeed(), name="feed-atom"),
    path("feeds/chats.rss", feeds.ChatsRssFeed(), name="feed-rss"),
    path("feeds/series/<slug:hashtag>.atom", feeds.SeriesChatsAtomFeed(), name="series-feed-atom"),
    path("feeds/series/<slug:hashtag>.rss", feeds.SeriesChatsRssFeed(), name="series-feed-rss"),
]
