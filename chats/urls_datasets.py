"""Dataset bundles and pseudonymised exports (downloads built by workers)."""
from django.urls import path

from chats import views_datasets as views
from chats.models import DatasetBundle

app_name = "datasets"

FULL = DatasetBundle.Variant.FULL
PSEUDONYMISED = DatasetBundle.Variant.PSEUDONYMISED

urlpatterns = [
    path("chats/<slug:slug>/dataset.zip", views.chat_dataset, {"variant": FULL}, name="chat"),
    path("chats/<slug:slug>/dataset-pseudonymised.zip", views.chat_dataset, {"variant": PSEUDONYMISED},
         name="chat-pseudonymised"),
    path("chats/<slug:slug>/datasets.json", views.chat_datasets_json, name="chat-json"),
    path("series/<slug:hashtag>/dataset.zip", views.series_dataset, {"variant": FULL}, name="series"),
    path("series/<slug:hashtag>/dataset-pseudonymised.zip", views.series_dataset, {"variant": PSEUDONYMISED},
         name="series-pseudonymised"),
]
