from django.contrib import admin

from chats.admin import HTTPS_URL_FIELDS
from summaries.models import Comment, Summary


@admin.register(Summary)
class SummaryAdmin(admin.ModelAdmin):
    list_display = ["title", "chat", "status", "published_at", "author", "comments_open"]
    list_filter = ["status", "comments_open", "tags"]
    search_fields = ["title", "slug", "body_markdown"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["title"]}
    raw_id_fields = ["chat"]
    filter_horizontal = ["featured_links", "featured_studies"]
    readonly_fields = ["body_html", "created_at", "updated_at"]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URL_FIELDS
    list_display = ["author_name", "summary", "kind", "status", "created_at"]
    list_filter = ["status", "kind"]
    search_fields = ["author_name", "author_email", "body"]
    raw_id_fields = ["summary", "parent", "user"]
    readonly_fields = ["body_html", "ip_hash", "user_agent", "created_at"]
