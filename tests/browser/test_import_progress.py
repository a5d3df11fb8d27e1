"""The import page's progress bar follows the worker, in a real browser."""
import threading
import time

import pytest
from django.db import connection

from chats.models import Import
from tests.browser.conftest import admin_login

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.browser]


@pytest.fixture
def running_import(moderator):
    return Import.objects.create(original_name="chat.jsonl", status=Import.Status.RUNNING, progress=1200,
                                 bytes_read=250, bytes_total=1000, requested_by=moderator)


def advance_later(row_pk: int) -> threading.Thread:
    """What the worker does meanwhile: more progress, then the outcome."""

    def work():
        try:
            time.sleep(1.5)
            Import.objects.filter(pk=row_pk).update(progress=3000, bytes_read=600)
            time.sleep(2)
            Import.objects.filter(pk=row_pk).update(status=Import.Status.SUCCEEDED, bytes_read=1000,
                                                    created_count=3000)
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    return thread


def test_the_progress_bar_moves_and_the_page_shows_the_outcome(live_server, running_import, page):
    admin_login(page, live_server, f"/admin/chats/import/{running_import.pk}/change/")
    bar = page.locator("progress.import-progress")
    assert bar.get_attribute("value") == "25"
    worker = advance_later(running_import.pk)
    try:
        page.wait_for_function("document.querySelector('progress.import-progress').value == 60", timeout=10_000)
        assert "3,000 records, 60% read" in page.locator(".import-progress-label").inner_text()
        # Once finished, the page reloads itself to show the counts.
        page.wait_for_selector("text=Succeeded", timeout=10_000)
    finally:
        worker.join()
    assert page.locator("progress.import-progress").get_attribute("value") == "100"
    assert page.errors == []
