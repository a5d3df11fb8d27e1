"""Celery tasks that build dataset bundles (thin: ids in, one service call)."""
