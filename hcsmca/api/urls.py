"""The read-only open data API under /api/v1/ (README: "Open data API")."""
from django.urls import path
from rest_framework.routers import DefaultRouter

from hcsmca.api import views
from hcsmca.api.schema_view import OpenApiDocumentView

app_name = "api"

router = DefaultRouter()
router.register("series", views.SeriesViewSet, basename="series")
router.register("chats", views.ChatViewSet, basename="chat")
router.register("questions", views.QuestionViewSet, basename="question")
router.register("posts", views.PostViewSet, basename="post")
router.register("participants", views.ParticipantViewSet, basename="participant")
router.register("links", views.LinkViewSet, basename="link")
router.register("studies", views.StudyViewSet, basename="study")
router.register("summaries", views.SummaryViewSet, basename="summary")
router.register("comments", views.CommentViewSet, basename="comment")

urlpatterns = [
    path("openapi.json", OpenApiDocumentView.as_view(), name="openapi"),
    *router.urls,
]
