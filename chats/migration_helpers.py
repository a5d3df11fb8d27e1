"""Helpers that data migrations share (kept importable and stable: old
migrations call them)."""
from __future__ import annotations

from django.contrib.auth.management import create_permissions


def grant_app_permissions_to_moderators(apps, *app_labels: str) -> None:
    """Give the Moderators group (made if missing) every permission of the
    models of ``app_labels``, creating the permissions first (Django normally
    makes them only after all migrations have run)."""
    for app_label in app_labels:
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Moderators")
    group.permissions.add(*Permission.objects.filter(content_type__app_label__in=app_labels))
