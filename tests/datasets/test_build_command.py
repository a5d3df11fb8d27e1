"""manage.py build_bundles: every missing or stale bundle, built at once."""
from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from chats.models import DatasetBundle
from tests.factories import ChatFactory, PostFactory

pytestmark = pytest.mark.django_db


def test_it_builds_what_is_missing_and_then_nothing_more(site_url):
    chat = ChatFactory()
    PostFactory.create_batch(3, chat=chat)
    out = StringIO()

    call_command("build_bundles", stdout=out)

    # Each variant of the chat and of its series.
    assert DatasetBundle.objects.filter(status=DatasetBundle.Status.READY).count() == 4
    assert "4 bundles built or confirmed" in out.getvalue()
    again = StringIO()
    call_command("build_bundles", stdout=again)
    assert "0 bundles built or confirmed, 0 with nothing public to hold." in again.getvalue()
