"""A Redis cache that never finds anything (see bench/uncached_settings.py)."""
from django.core.cache.backends.redis import RedisCache


class AlwaysMissRedisCache(RedisCache):
    def get(self, key, default=None, version=None):
        return default

    def get_many(self, keys, version=None):
        return {}

    def has_key(self, key, version=None):
        return False
