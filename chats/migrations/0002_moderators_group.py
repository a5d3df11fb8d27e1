"""The Moderators group: who may import, edit chats and questions, write and
publish summaries and moderate comments."""
from django.contrib.auth.management import create_permissions
from django.db import migrations

MODERATOR_APPS = ("chats", "summaries", "taggit")


def create_moderators(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they
    # exist now so the group can be given them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Moderators")
    group.permissions.add(*Permission.objects.filter(content_type__app_label__in=MODERATOR_APPS))


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
