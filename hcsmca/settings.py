"""One settings module, read from the environment (see .env.example and README).

Defaults are the embedded development servers that `make run` starts, so a
shell with no environment can still run `manage.py` against them.
"""
import os
import warnings
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from tools.dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent
load_dotenv()
VAR_DIR = Path(os.environ.get("HCSMCA_VAR_DIR", BASE_DIR / "var"))

# Ports of the embedded servers (tools/embedded.py); kept away from the
# system defaults so they never collide with a real PostgreSQL or Redis.
EMBEDDED_POSTGRES_PORT = int(os.environ.get("EMBEDDED_POSTGRES_PORT", "54329"))
EMBEDDED_REDIS_PORT = int(os.environ.get("EMBEDDED_REDIS_PORT", "63799"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use true or false)")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)
_DEV_SECRET_KEY = "insecure-development-key-set-DJANGO_SECRET_KEY-in-production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or _DEV_SECRET_KEY
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "taggit",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "chats",
    "summaries",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "hcsmca.security.ContentSecurityPolicyMiddleware",
    # The old blog's ?p=<id> links and permalinks (it acts on 404s).
    "summaries.legacy.LegacyLinksMiddleware",
    # A database out of reach answers 503, not 500 (its process_exception runs first: last here).
    "hcsmca.unavailable.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "hcsmca.urls"
WSGI_APPLICATION = "hcsmca.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"postgresql://postgres@127.0.0.1:{EMBEDDED_POSTGRES_PORT}/hcsmca",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgresql://...)")
# A second connection to the same database, outside an import's transaction,
# so that its progress is visible while it runs. Tests share the default one.
DATABASES["progress"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}

REDIS_URL = os.environ.get("REDIS_URL") or f"redis://127.0.0.1:{EMBEDDED_REDIS_PORT}/0"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "hcsmca",
        "TIMEOUT": 300,
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-ca"
# Stored datetimes are UTC; this is the default zone of a new series, whose
# own timezone is used to display its chats.
TIME_ZONE = os.environ.get("HCSMCA_TIME_ZONE", "America/Toronto")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", VAR_DIR / "static"))
MEDIA_URL = "media/"
# Uploaded transcripts live here; web and worker must share it.
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", VAR_DIR / "media"))
# Hashed, compressed static files once `collectstatic` has written its
# manifest (the production image does); otherwise files are served straight
# from the app folders (development and tests).
STATIC_MANIFEST_BUILT = (STATIC_ROOT / "staticfiles.json").exists()
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_MANIFEST_BUILT
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST_BUILT
if not STATIC_MANIFEST_BUILT:
    # Without collectstatic there is no STATIC_ROOT to serve from, by design.
    warnings.filterwarnings("ignore", message="No directory at", module="whitenoise.base")

# Largest transcript a moderator may upload through the admin.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# How many reverse proxies in front append to X-Forwarded-For: rate limits
# then key on the client they saw, not on the proxy (hcsmca/client_ip.py).
HCSMCA_TRUSTED_PROXIES = int(os.environ.get("HCSMCA_TRUSTED_PROXIES", "0"))
# The archive's public address (https://archive.example.org): citations,
# dataset bundles and CITATION.cff carry it. Not taken from requests: the
# chat page is cached whole and must not show one visitor's Host to another.
SITE_URL = os.environ.get("HCSMCA_SITE_URL", "").rstrip("/")
HCSMCA_MAX_UPLOAD_BYTES = int(os.environ.get("HCSMCA_MAX_UPLOAD_BYTES", str(500 * 1024 * 1024)))
# A .gz or .zip transcript is decompressed while it is read; these stop a
# "zip bomb" after bounded work. 4 GiB is several times the largest upload's
# real content (JSON captures compress about 10:1) while staging stays flat in
# memory; no real transcript compresses 100:1, a bomb does about 1000:1.
HCSMCA_MAX_DECOMPRESSED_BYTES = 4 * 1024 * 1024 * 1024
HCSMCA_MAX_DECOMPRESSION_RATIO = 100
# The size limit is checked while the upload is read, before the file is stored.
FILE_UPLOAD_HANDLERS = [
    "chats.upload_handlers.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
HCSMCA_DEFAULT_SERIES = os.environ.get("HCSMCA_DEFAULT_SERIES", "hcsmca")

# Celery: Redis is the broker; nothing reads task results, so none are stored.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "hcsmca")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# An import must not be lost when a worker dies mid-task: acknowledge after the
# task ran, and hand it back to the queue when the worker is lost.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis redelivers an unacknowledged task after this many seconds: it must be
# longer than the longest import.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "7200"))}
# Beat (tools/run.py runs the worker with --beat): scheduled summaries go out
# within a minute of their time (summaries.services.publishing).
CELERY_BEAT_SCHEDULE = {
    "summaries-publish-due": {"task": "summaries.publish_due", "schedule": 60.0},
    # Dataset bundles older than their chat's or series' data (chats/tasks_datasets.py).
    "chats-rebuild-stale-bundles": {"task": "chats.rebuild_stale_bundles", "schedule": 60.0},
}

# Comments on summaries (summaries/services/comments.py). Plain settings, no
# environment: moderators change them here.
COMMENTS_MAX_DEPTH = 5  # WordPress's default; deeper replies attach at this level
COMMENTS_CLOSE_AFTER_DAYS = 90  # after publication; 0 keeps them open until a moderator closes them
COMMENTS_MAX_LINKS = 2  # more links than this hold a comment for moderation
COMMENTS_MIN_SECONDS = 3  # a form sent sooner after it was shown is a robot's
COMMENTS_MAX_AGE_SECONDS = 4 * 3600  # an older form is refused (replayed or stale)
# (attempts, seconds): per client IP hash and per email, counted in Redis so
# that every web process shares them.
COMMENTS_RATE_LIMIT_IP = (5, 600)
COMMENTS_RATE_LIMIT_EMAIL = (3, 600)
COMMENTS_RECENTLY_REMOVED_DAYS = 30  # removed comments stay in the moderation queue this long
# Mail (comment notifications, subscription links) is sent by Celery tasks:
# through SMTP when DJANGO_EMAIL_HOST is set, else printed on the console
# (development; tests use Django's outbox).
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "hcsmca archive <noreply@localhost>")

SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG and SECRET_KEY != _DEV_SECRET_KEY)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (hcsmca/security.py): scripts and styles only from
# our own files, never inline; images may be remote (avatars, link previews).
CSP_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: https:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
# The admin works under it too (Django 5.2's admin has no inline script; its
# one inline <style>, in change_list.html, only renders for a ModelAdmin with
# actions_on_top and actions_on_bottom both off, which none of ours has).
if env_bool("DJANGO_BEHIND_HTTPS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGIN_URL = "admin:login"

# Linkbacks (webmention, pingback, trackback; summaries/fetch.py): the source
# page is fetched by a worker within these limits. Private, loopback and
# link-local addresses are never fetched; tests against a local server lift
# that with override_settings only.
LINKBACK_ALLOW_PRIVATE_ADDRESSES = False
LINKBACK_FETCH_TIMEOUT = 5  # seconds per connect or read
LINKBACK_FETCH_TOTAL_TIMEOUT = 15  # seconds for the whole fetch, redirects included
LINKBACK_FETCH_MAX_BYTES = 1024 * 1024
LINKBACK_FETCH_MAX_REDIRECTS = 3
LINKBACK_MAX_REQUEST_BYTES = 64 * 1024  # largest webmention / pingback / trackback request body
LINKBACK_RATE_LIMIT = (20, 3600)  # requests per client address per this many seconds

# The read-only open data API (/api/v1/, hcsmca/api/). Plain settings, no
# environment. Throttle counters live in the default cache (Redis); the
# throttles let requests through when it is down (hcsmca/api/throttling.py).
REST_FRAMEWORK = {
    # Sessions only: staff signed in to the site get their higher rate; no
    # Basic auth, which would take password guesses without a rate limit.
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "hcsmca.api.pagination.ApiCursorPagination",
    "DEFAULT_SCHEMA_CLASS": "hcsmca.api.schema.ApiAutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["hcsmca.api.throttling.ReaderRateThrottle", "hcsmca.api.throttling.StaffRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": "120/minute", "staff": "1200/minute"},
    # Clients are told apart like the comment and linkback limits
    # (hcsmca/client_ip.py): by REMOTE_ADDR, or behind HCSMCA_TRUSTED_PROXIES
    # proxies by the address the outermost one saw; a client-sent
    # X-Forwarded-For never picks its own bucket.
    "NUM_PROXIES": HCSMCA_TRUSTED_PROXIES,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "hcsmca archive open data API",
    "DESCRIPTION": "Read-only JSON for the archive's public chats, posts, participants, links, studies, "
                   "published summaries and approved comments.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}
