"""The bundles' admin: listed read-only; the action queues builds."""
import pytest

from chats.models import DatasetBundle
from chats.services.bundles import FULL, bundle_build

pytestmark = pytest.mark.django_db


def test_bundles_are_listed_and_the_action_queues_a_build(admin_client, demo_chat, django_capture_on_commit_callbacks,
                                                          monkeypatch):
    from chats import tasks_datasets

    row = bundle_build(chat_id=demo_chat.pk, variant=FULL)
    page = admin_client.get("/admin/chats/datasetbundle/")
    assert page.status_code == 200 and "Full bundle of #hcsmca 116" in page.content.decode()
    assert admin_client.get(f"/admin/chats/datasetbundle/{row.pk}/change/").status_code == 200
    assert admin_client.get("/admin/chats/datasetbundle/add/").status_code == 403

    sent = []
    monkeypatch.setattr(tasks_datasets.build_bundle, "delay", lambda **kwargs: sent.append(kwargs))
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/chats/datasetbundle/", {
            "action": "rebuild", "_selected_action": [row.pk]})
    assert response.status_code == 302
    assert sent == [{"chat_id": demo_chat.pk, "series_id": None, "variant": FULL}]
    assert DatasetBundle.objects.get(pk=row.pk).source_version == ""
