from django.urls import path

from chats import exports, views

app_name = "chats"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("chats/<slug:slug>/", views.chat_detail, name="detail"),
    path("chats/<slug:slug>/transcript.json", views.chat_transcript_json, name="transcript-json"),
    path("chats/<slug:slug>/transcript.csv", exports.chat_transcript_csv, name="transcript-csv"),
    path("chats/<slug:slug>/transcript.md", exports.chat_transcript_md, name="transcript-md"),
]
