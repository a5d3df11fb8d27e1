"""Admin of dataset bundles: what was built, when, from what, and why a
build failed; an action asks a worker to build them again."""
from django.contrib import admin, messages
from django.db import transaction

from chats.models import DatasetBundle


@admin.register(DatasetBundle)
class DatasetBundleAdmin(admin.ModelAdmin):
    list_display = ("__str__", "variant", "status", "size", "built_at", "has_error")
    list_filter = ("variant", "status")
    search_fields = ("chat__slug", "series__hashtag")
    list_select_related = ("chat__series", "series")
    readonly_fields = ("chat", "series", "variant", "status", "file", "size", "sha256", "source_version", "error",
                       "built_at")
    actions = ["rebuild"]

    def has_add_permission(self, request):
        return False  # built by workers (chats.rebuild_stale_bundles), not by hand

    @admin.display(boolean=True, description="Error")
    def has_error(self, bundle: DatasetBundle) -> bool:
        return bool(bundle.error)

    @admin.action(description="Build the selected bundles again")
    def rebuild(self, request, queryset):
        from chats.tasks_datasets import build_bundle

        jobs = list(queryset.values_list("chat_id", "series_id", "variant"))
        # The built row is written by the worker; a build that finds the data
        # unchanged and its file in place changes nothing.
        queryset.update(source_version="")
        for chat_id, series_id, variant in jobs:
            transaction.on_commit(lambda c=chat_id, s=series_id, v=variant: build_bundle.delay(
                chat_id=c, series_id=s, variant=v))
        self.message_user(request, f"{len(jobs)} bundle build(s) queued.", messages.SUCCESS)
