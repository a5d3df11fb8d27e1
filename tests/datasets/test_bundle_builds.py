"""Rebuilds: unchanged data gives the same bytes and changes nothing; a
change makes the bundle stale; a chat no longer public loses its bundle."""
import pytest
from django.core.files.storage import default_storage

from chats.models import Chat, DatasetBundle, Post
from chats.services.bundles import FULL, PSEUDONYMISED, Job, bundle_build, bundles_stale
from chats.services.content import chats_content_touch

pytestmark = pytest.mark.django_db


def jobs_for(chat) -> set[Job]:
    return {job for job in bundles_stale() if job.chat_id == chat.pk or job.series_id == chat.series_id}


@pytest.mark.parametrize("variant", [FULL, PSEUDONYMISED])
def test_an_unchanged_rebuild_is_byte_identical_and_changes_nothing(demo_chat, variant):
    first = bundle_build(chat_id=demo_chat.pk, variant=variant)
    first_built = first.built_at
    again = bundle_build(chat_id=demo_chat.pk, variant=variant)
    assert (again.sha256, again.file.name, again.built_at) == (first.sha256, first.file.name, first_built)

    # Built from scratch (file gone, row forgotten): the very same bytes.
    default_storage.delete(first.file.name)
    DatasetBundle.objects.all().delete()
    rebuilt = bundle_build(chat_id=demo_chat.pk, variant=variant)
    assert rebuilt.sha256 == first.sha256
    assert rebuilt.file.name == first.file.name


def test_every_bundle_is_stale_until_built_then_fresh(demo_chat):
    assert jobs_for(demo_chat) == {
        Job(demo_chat.pk, None, FULL), Job(demo_chat.pk, None, PSEUDONYMISED),
        Job(None, demo_chat.series_id, FULL), Job(None, demo_chat.series_id, PSEUDONYMISED),
    }
    for job in jobs_for(demo_chat):
        bundle_build(chat_id=job.chat_id, series_id=job.series_id, variant=job.variant)
    assert jobs_for(demo_chat) == set()


def test_a_content_change_makes_chat_and_series_bundles_stale(demo_chat, django_capture_on_commit_callbacks):
    for job in jobs_for(demo_chat):
        bundle_build(chat_id=job.chat_id, series_id=job.series_id, variant=job.variant)
    old = DatasetBundle.objects.get(chat=demo_chat, variant=FULL)

    post = Post.objects.filter(chat=demo_chat).order_by("created_at").first()
    Post.objects.filter(pk=post.pk).update(text="Welcome, edited by a moderator #hcsmca")
    with django_capture_on_commit_callbacks(execute=True):
        chats_content_touch(chat_ids=[demo_chat.pk])
    assert jobs_for(demo_chat) == {
        Job(demo_chat.pk, None, FULL), Job(demo_chat.pk, None, PSEUDONYMISED),
        Job(None, demo_chat.series_id, FULL), Job(None, demo_chat.series_id, PSEUDONYMISED),
    }
    with django_capture_on_commit_callbacks(execute=True):
        new = bundle_build(chat_id=demo_chat.pk, variant=FULL)
    assert new.pk == old.pk
    assert new.sha256 != old.sha256 and new.file.name != old.file.name
    # The old file went once the new one was in place.
    assert default_storage.exists(new.file.name)
    assert not default_storage.exists(old.file.name)


def test_a_hidden_chat_gets_no_bundle_and_loses_the_one_it_had(demo_chat, django_capture_on_commit_callbacks):
    built = bundle_build(chat_id=demo_chat.pk, variant=FULL)
    bundle_build(series_id=demo_chat.series_id, variant=FULL)
    Chat.objects.filter(pk=demo_chat.pk).update(visibility=Chat.Visibility.HIDDEN)

    stale = jobs_for(demo_chat)
    # Its builds (and the series', which has no public chat left) delete them.
    assert Job(demo_chat.pk, None, FULL) in stale and Job(None, demo_chat.series_id, FULL) in stale
    with django_capture_on_commit_callbacks(execute=True):
        for job in stale:
            assert bundle_build(chat_id=job.chat_id, series_id=job.series_id, variant=job.variant) is None
    assert not DatasetBundle.objects.exists()
    assert not default_storage.exists(built.file.name)
    assert jobs_for(demo_chat) == set()


def test_a_failed_first_build_is_recorded_and_not_retried_until_the_data_change(demo_chat, monkeypatch):
    from chats.services import bundles

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(bundles, "bundle_contents", broken)
    with pytest.raises(RuntimeError):
        bundle_build(chat_id=demo_chat.pk, variant=FULL)
    row = DatasetBundle.objects.get(chat=demo_chat, variant=FULL)
    assert row.status == DatasetBundle.Status.FAILED
    assert "disk full" in row.error
    assert Job(demo_chat.pk, None, FULL) not in jobs_for(demo_chat)
    chats_content_touch(chat_ids=[demo_chat.pk])
    assert Job(demo_chat.pk, None, FULL) in jobs_for(demo_chat)


def test_a_failed_rebuild_keeps_serving_the_bundle_it_had(demo_chat, monkeypatch):
    from chats.services import bundles

    built = bundle_build(chat_id=demo_chat.pk, variant=FULL)
    chats_content_touch(chat_ids=[demo_chat.pk])
    monkeypatch.setattr(bundles, "bundle_contents", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    with pytest.raises(RuntimeError):
        bundle_build(chat_id=demo_chat.pk, variant=FULL)
    row = DatasetBundle.objects.get(pk=built.pk)
    assert (row.status, row.file.name, row.sha256) == (DatasetBundle.Status.READY, built.file.name, built.sha256)
    assert "boom" in row.error
    assert default_storage.exists(row.file.name)


def test_files_no_bundle_points_at_are_pruned_once_old(demo_chat):
    import os
    import time

    from django.core.files.base import ContentFile

    from chats.services.bundles import bundles_prune_files

    kept = bundle_build(chat_id=demo_chat.pk, variant=FULL)
    old_orphan = default_storage.save("bundles/left-by-a-failed-build.zip", ContentFile(b"PK"))
    young_orphan = default_storage.save("bundles/being-built.zip", ContentFile(b"PK"))
    two_hours_ago = time.time() - 7200
    for name in (old_orphan, kept.file.name):
        os.utime(default_storage.path(name), (two_hours_ago, two_hours_ago))

    assert bundles_prune_files() == 1
    assert not default_storage.exists(old_orphan)
    assert default_storage.exists(young_orphan) and default_storage.exists(kept.file.name)


def test_a_scheduled_chat_page_cites_but_offers_no_data(client, demo_chat):
    Chat.objects.filter(pk=demo_chat.pk).update(status=Chat.Status.SCHEDULED)
    html = client.get("/chats/hcsmca-116/").content.decode()
    assert "Cite this chat" in html and "being prepared" not in html and 'id="data-heading"' not in html
    assert bundle_build(chat_id=demo_chat.pk, variant=FULL) is None


def test_renaming_the_series_makes_its_bundles_stale(demo_chat):
    for job in jobs_for(demo_chat):
        bundle_build(chat_id=job.chat_id, series_id=job.series_id, variant=job.variant)
    demo_chat.series.name = "Health Care Social Media Canada"
    demo_chat.series.save()
    assert len(jobs_for(demo_chat)) == 4
    row = bundle_build(chat_id=demo_chat.pk, variant=FULL)
    from tests.datasets.helpers import read_bundle

    assert "- Series: #hcsmca (Health Care Social Media Canada)" in read_bundle(row)["README.md"].decode()
