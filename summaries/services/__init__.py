"""Writes for summaries. Each service is ``<thing>_<verb>(*, ...)`` and runs in one transaction."""
