"""The suite's tasks go to a queue of this run's own, never to the queue a
`make run` worker on the same Redis listens to."""
from django.conf import settings


def test_tasks_are_sent_to_this_runs_own_queue():
    from hcsmca.celery import app

    assert app.conf.task_default_queue.startswith("hcsmca-test-")
    assert app.conf.task_default_queue != settings.CELERY_TASK_DEFAULT_QUEUE
    assert set(app.amqp.queues) == {app.conf.task_default_queue}
