"""Make sure a moderator account exists and say how to log in.

The login comes from HCSMCA_MODERATOR_USERNAME / HCSMCA_MODERATOR_PASSWORD;
without a password a random one is made once and kept in var/ (readable by
this user only) so that every `make run` prints the same login.
"""
from __future__ import annotations

import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the moderator account if it is missing and print its login."

    def handle(self, *args, **options):
        username = os.environ.get("HCSMCA_MODERATOR_USERNAME", "moderator")
        password = os.environ.get("HCSMCA_MODERATOR_PASSWORD") or self._stored_password()
        User = get_user_model()
        user, created = User.objects.get_or_create(username=username, defaults={"is_staff": True})
        if created or os.environ.get("HCSMCA_MODERATOR_PASSWORD"):
            user.set_password(password)
            user.is_staff = True
            user.save()
        user.groups.add(Group.objects.get(name="Moderators"))
        note = "" if created else " (unless changed since)"
        self.stdout.write(f"Moderator login: {username} / {password}{note}")

    def _password_file(self):
        return settings.VAR_DIR / "moderator-password.txt"

    def _stored_password(self) -> str:
        path = self._password_file()
        if path.exists():
            return path.read_text().strip()
        password = secrets.token_urlsafe(12)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(password + "\n")
        return password
