"""Settings of the benchmark's "uncached" server: the project's settings with
a cache in which every read misses.

Writes still go to Redis, so an uncached request does all the work of the
first request after a chat changed (render, then store the fragments); only
the next request does not find them. Used only by bench/page_benchmark.py
(gunicorn --pythonpath bench, DJANGO_SETTINGS_MODULE=uncached_settings).
"""
from hcsmca.settings import *  # noqa: F403
from hcsmca.settings import CACHES

CACHES = {**CACHES, "default": {**CACHES["default"], "BACKEND": "_cache.AlwaysMissRedisCache"}}
