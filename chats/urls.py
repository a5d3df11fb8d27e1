from django.urls import path

from chats import views

app_name = "chats"

urlpatterns = [
    path("", views.home, name="home"),
    path("chats/<slug:slug>/", views.chat_detail, name="detail"),
    path("chats/<slug:slug>/transcript.json", views.chat_transcript_json, name="transcript-json"),
]
