from django.apps import AppConfig


class ChatsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "chats"
    verbose_name = "Chats and transcripts"

    def ready(self) -> None:
        from chats import checks  # noqa: F401  (registers the system checks)
