"""A participant's request to be removed from the archive."""
from django.urls import path

from chats import views_consent

app_name = "consent"

urlpatterns = [
    path("removal/", views_consent.removal_request, name="removal-request"),
    path("removal/thanks/", views_consent.removal_thanks, name="removal-thanks"),
]
