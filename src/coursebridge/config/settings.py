"""Settings, read from the environment.

DATABASE_URL      default sqlite:///var/coursebridge.sqlite3
CB_BROKER_URL     default: kombu's SQLAlchemy transport on var/broker.sqlite3 (beat runs in the worker)
SECRET_KEY        default: generated into var/secret_key on first run
CB_ENCRYPTION_KEY default: generated into var/encryption_key (Fernet) on first run
CB_DEBUG          1 for development pages; production is the default
CB_ALLOWED_HOSTS  comma separated, default 127.0.0.1,localhost
CB_SECURE         1 behind HTTPS: secure cookies, HSTS, SSL redirect
"""

from __future__ import annotations

import os

import dj_database_url

from coursebridge.config.paths import PROJECT_DIR, generated_secret, var_dir


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


VAR_DIR = var_dir()
BASE_DIR = PROJECT_DIR

SECRET_KEY = os.environ.get("SECRET_KEY") or generated_secret("secret_key")
ENCRYPTION_KEY = os.environ.get("CB_ENCRYPTION_KEY") or generated_secret("encryption_key", make="fernet")
DEBUG = env_flag("CB_DEBUG")
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("CB_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CB_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",  # its templates and static files: the API docs page works offline
    "coursebridge.core",
    "coursebridge.accounts",
    "coursebridge.catalog",
    "coursebridge.learning",
    "coursebridge.content",
    "coursebridge.records",
    "coursebridge.web",
    "coursebridge.marketplace",
    "coursebridge.connectors",
    "coursebridge.programs",
    "coursebridge.reporting",
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
]

ROOT_URLCONF = "coursebridge.config.urls"
WSGI_APPLICATION = "coursebridge.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "coursebridge.web.context.navigation",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'coursebridge.sqlite3'}",
        conn_max_age=int(os.environ.get("CB_DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes; a busy timeout instead of "database is locked".
    # Reports read big indexes: a 64 MB page cache per connection (SQLite's default is 2 MB) and
    # temporary sorts in memory (decision 43). No memory map: SQLite unmaps it at every transaction
    # after another connection wrote, which costs each HACP message more than reports gain from it.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA cache_size=-65536; PRAGMA mmap_size=0; PRAGMA temp_store=MEMORY;"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("CB_TEST_SQLITE_NAME") or None}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise serves from it; collectstatic fills it
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and not env_flag("CB_TESTING")
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG or env_flag("CB_TESTING")

# Security. Cookies are HttpOnly; HTTPS settings switch on with CB_SECURE behind TLS.
SECURE = env_flag("CB_SECURE")
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE
SECURE_HSTS_SECONDS = 31536000 if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE else None
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Celery: embedded broker by default, Redis (or RabbitMQ) when CB_BROKER_URL is set.
CELERY_BROKER_URL = os.environ.get("CB_BROKER_URL") or f"sqla+sqlite:///{VAR_DIR / 'broker.sqlite3'}"
CELERY_EMBEDDED_BROKER = CELERY_BROKER_URL.startswith("sqla+")
CELERY_TASK_ALWAYS_EAGER = env_flag("CB_TASKS_EAGER")
CELERY_TASK_EAGER_PROPAGATES = True
# One queue per deployment by default; the test suite gives each test process its own (with pytest-xdist,
# PYTEST_XDIST_WORKER), so worker processes started by parallel tests never take each other's tasks.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CB_TASK_QUEUE") or (
    f"test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}" if env_flag("CB_TESTING") else "celery"
)

# API
API_MAX_PAGE_SIZE = 200
API_DEFAULT_PAGE_SIZE = 50

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CB_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

TESTING = env_flag("CB_TESTING")
if TESTING:
    # The suite signs in hundreds of users; a deliberately slow production hasher would dominate its time.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
