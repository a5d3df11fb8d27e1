"""manage.py draft_summary."""
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from summaries.models import Summary
from tests.summaries.workflow import demo_chat, eager_tasks  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("draft_summary", *args, stdout=out)
    return out.getvalue()


def test_sync_drafts_and_prints_the_admin_url(demo_chat):
    out = run("hcsmca-116", "--sync")
    summary = Summary.objects.get()
    assert out == f"Drafted: /admin/summaries/summary/{summary.pk}/change/\n"
    assert "\n#### [T1a]" in summary.body_markdown and "\n### [T1]" in summary.body_markdown


def test_queued_through_the_task(demo_chat, eager_tasks):
    out = run("hcsmca-116")
    summary = Summary.objects.get()
    assert out == f"Queued; the draft will be at /admin/summaries/summary/?chat__id__exact={demo_chat.pk}\n"
    assert summary.body_markdown.startswith("On Tuesday 11 March 2025")
    assert run("hcsmca-116") == f"Queued; the draft will be at /admin/summaries/summary/{summary.pk}/change/\n"


def test_an_edited_body_needs_overwrite(demo_chat, eager_tasks):
    run("hcsmca-116", "--sync")
    Summary.objects.update(body_markdown="Mine.", body_edited_at=timezone.now())
    for args in (("--sync",), ()):
        with pytest.raises(CommandError, match="was edited; confirm to replace it. Run again with --overwrite"):
            run("hcsmca-116", *args)
    assert Summary.objects.get().body_markdown == "Mine."
    run("hcsmca-116", "--overwrite")
    assert Summary.objects.get().body_markdown.startswith("On Tuesday")


def test_an_unknown_slug_exits_1_with_a_message(db, capsys):
    with pytest.raises(CommandError, match="No chat with the slug 'hcsmca-999'"):
        run("hcsmca-999")
    # As a process: exit status 1 and the message on stderr.
    with pytest.raises(SystemExit) as exit_:
        from django.core.management import ManagementUtility

        ManagementUtility(["manage.py", "draft_summary", "hcsmca-999"]).execute()
    assert exit_.value.code == 1
    assert "No chat with the slug 'hcsmca-999'" in capsys.readouterr().err
