"""The Moderators group: who may import, edit chats and questions, write and
publish summaries and moderate comments."""
from django.db import migrations

from chats.migration_helpers import grant_app_permissions_to_moderators

MODERATOR_APPS = ("chats", "summaries", "taggit")


def create_moderators(apps, schema_editor):
    grant_app_permissions_to_moderators(apps, *MODERATOR_APPS)


def remove_moderators(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Moderators").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("chats", "0001_initial"),
        ("summaries", "0001_initial"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_moderators, remove_moderators)]
