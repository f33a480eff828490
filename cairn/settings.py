"""Cairn's one settings module. Everything is configured by environment variables (README)."""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from cairn.lib.env import data_dir, env_bool, env_int, env_list, env_str, secret_key

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = data_dir()

SECRET_KEY = secret_key(DATA_DIR)
DEBUG = env_bool("CAIRN_DEBUG", False)
ALLOWED_HOSTS = env_list("CAIRN_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CAIRN_CSRF_TRUSTED_ORIGINS", "")
SECURE_COOKIES = env_bool("CAIRN_SECURE_COOKIES", False)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE_COOKIES else None
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "cairn.orgs",
    "cairn.okrs",
    "cairn.alignment",
    "cairn.checkins",
    "cairn.notifications",
    "cairn.reporting",
    "cairn.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "cairn.okrs.middleware.ClosedPeriodMiddleware",
]

ROOT_URLCONF = "cairn.urls"
WSGI_APPLICATION = "cairn.wsgi.application"

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
                "django.template.context_processors.i18n",
                "cairn.orgs.context_processors.member",
            ],
        },
    },
]

_database_url = env_str("DATABASE_URL")
if _database_url:
    DATABASES = {
        "default": dj_database_url.parse(
            _database_url, conn_max_age=env_int("CAIRN_DB_CONN_MAX_AGE", 60)
        )
    }
    # Short indexed reads are Cairn's whole workload: JIT compilation only adds time to them
    # (130 ms on an inbox query at 150,000 key results), and on SSDs a random page read costs
    # little more than a sequential one, so index plans should win where they do.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = env_str(
        "CAIRN_PG_OPTIONS", "-c jit=off -c random_page_cost=1.1"
    )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "cairn.sqlite3"),
            "OPTIONS": {
                # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at
                # BEGIN so that concurrent writers queue on the busy timeout instead of failing
                # with "database is locked" half-way through a transaction.
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA cache_size=-20000;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": env_int("CAIRN_SQLITE_TIMEOUT", 20),
            },
            # Kept open between requests like PostgreSQL's: opening one and running the
            # PRAGMAs above on every request costs more than most pages' queries.
            "CONN_MAX_AGE": env_int("CAIRN_DB_CONN_MAX_AGE", 60),
            "CONN_HEALTH_CHECKS": True,
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "orgs.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "start"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = env_str("CAIRN_LANGUAGE", "en")
LANGUAGES = [("en", "English"), ("sv", "Svenska"), ("vi", "Tiếng Việt")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("CAIRN_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns at every start while it is missing
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Serve straight from the app directories so a fresh checkout needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

EMAIL_HOST = env_str("CAIRN_EMAIL_HOST")
EMAIL_PORT = env_int("CAIRN_EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("CAIRN_EMAIL_USER")
EMAIL_HOST_PASSWORD = env_str("CAIRN_EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("CAIRN_EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("CAIRN_EMAIL_FROM", "Cairn <cairn@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)

# Where people reach Cairn: e-mails are read outside any request, so their links are built
# from this rather than from a Host header.
CAIRN_BASE_URL = env_str("CAIRN_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
CAIRN_API_RATE_PER_MINUTE = env_int("CAIRN_API_RATE_PER_MINUTE", 600)

TASKS = {"default": {"BACKEND": "django_tasks_db.backend.DatabaseBackend"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("CAIRN_LOG_LEVEL", "INFO")},
    # A 403 or 404 is an answer, not a fault: only server errors go to the log with a trace.
    "loggers": {"django.request": {"level": "ERROR"}},
}
