"""Balai settings: one module, driven by the environment (see README "Configuration")."""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from balai.env import envbool, envint, envsecret, envstr

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(envstr("BALAI_DATA_DIR", str(BASE_DIR / "var"))).resolve()

# `balai demo` sets BALAI_DEMO: generated secrets, the WhatsApp simulator, debug pages.
DEMO = envbool("BALAI_DEMO", False)
DEBUG = envbool("BALAI_DEBUG", DEMO)

# Secrets are generated into DATA_DIR only in demo/debug mode; production must supply them.
_secret_dir = DATA_DIR / "secrets" if DEBUG else None
SECRET_KEY = envsecret("SECRET_KEY", fallback_file=_secret_dir and _secret_dir / "secret_key")
# Keys NIK/KK encryption (Fernet) and the keyed lookup hash; rotate by listing old keys after
# the new one, comma-separated.
FIELD_ENCRYPTION_KEYS = [
    k.strip()
    for k in envsecret(
        "FIELD_ENCRYPTION_KEY", fallback_file=_secret_dir and _secret_dir / "field_key"
    ).split(",")
    if k.strip()
]

ALLOWED_HOSTS = [h.strip() for h in envstr("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")]
if DEBUG:
    ALLOWED_HOSTS.append("testserver")
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = [SITE_URL] if SITE_URL.startswith("https://") else []

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks_db",
    "balai.core",
    "balai.villages",
    "balai.accounts",
    "balai.residents",
    "balai.whatsapp",
    "balai.simulator",
    "balai.nlu",
    "balai.letters",
    "balai.complaints",
    "balai.conversations",
    "balai.public",
    "balai.posters",
    "balai.announcements",
    "balai.programmes",
    "balai.market",
    "balai.outcomes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "balai.core.middleware.RejectNulCharacters",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "balai.accounts.middleware.RequireTwoFactor",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "balai.urls"
WSGI_APPLICATION = "balai.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "balai" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "balai.villages.context_processors.console",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = envstr("DATABASE_URL", "")
if DATABASE_URL:
    try:
        _db = dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 60))
    except ValueError as e:
        raise ImproperlyConfigured(
            f"DATABASE_URL is malformed ({e}); expected e.g. postgres://user:pass@host:5432/name"
        ) from None
    if _db.get("ENGINE") not in {"django.db.backends.postgresql", "django.db.backends.sqlite3"}:
        raise ImproperlyConfigured(
            f"DATABASE_URL scheme is not supported: use postgres://… or sqlite:///path "
            f"(got engine {_db.get('ENGINE')!r})"
        )
    if _db["ENGINE"] == "django.db.backends.postgresql":
        _db["CONN_HEALTH_CHECKS"] = True
        _db.setdefault("TEST", {})["NAME"] = _db["NAME"]
else:
    _db = {"ENGINE": "django.db.backends.sqlite3", "NAME": DATA_DIR / "balai.sqlite3"}
    DATA_DIR.mkdir(parents=True, exist_ok=True)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the worker read while the other writes; IMMEDIATE makes
    # write transactions take the lock up front instead of failing half-way with "locked".
    # Reusing the connection saves reopening the file (and a WAL checkpoint) per request.
    _db["CONN_MAX_AGE"] = envint("DB_CONN_MAX_AGE", 60)
    _db["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, tasks, Redis --------------------------------------------------------------------
REDIS_URL = envstr("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    # Shared by every process on the machine (login throttling, rate limits); the table is
    # created by a migration in balai.core.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "balai_cache",
        }
    }

# "inbox" processes received messages, "outbox" sends; separate queues let a deployment give
# sending its own workers so a storm of inbound work never starves replies.
TASK_QUEUES = ["default", "inbox", "outbox"]
# The database backend even with Redis: RQ's worker forks a process per job, which cost ten
# times the worker CPU per message in `make bench-load` (docs/deploy.md, "Redis").
TASK_BACKEND = envstr("TASK_BACKEND", "db")
if TASK_BACKEND == "db":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": TASK_QUEUES}}
elif TASK_BACKEND == "rq":
    if not REDIS_URL:
        raise ImproperlyConfigured("TASK_BACKEND=rq needs REDIS_URL, e.g. redis://127.0.0.1:6379/0")
    INSTALLED_APPS += ["django_rq"]
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": TASK_QUEUES}}
    RQ_QUEUES = {q: {"URL": REDIS_URL} for q in TASK_QUEUES}
elif TASK_BACKEND in {"immediate", "dummy"}:
    TASKS = {
        "default": {
            "BACKEND": f"django.tasks.backends.{TASK_BACKEND}.{TASK_BACKEND.capitalize()}Backend",
            "QUEUES": TASK_QUEUES,
        }
    }
else:
    raise ImproperlyConfigured(f"TASK_BACKEND={TASK_BACKEND!r}: use db, rq, immediate or dummy")
# Failed tasks are retried with exponential backoff (balai.core.jobs) this many times in all.
TASK_MAX_ATTEMPTS = envint("TASK_MAX_ATTEMPTS", 6, minimum=1, maximum=50)

# --- Auth and sessions ----------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "villages:home"
LOGOUT_REDIRECT_URL = "accounts:login"
SESSION_COOKIE_AGE = envint("SESSION_HOURS", 12, minimum=1, maximum=24 * 30) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
LOGIN_MAX_FAILURES = envint("LOGIN_MAX_FAILURES", 5, minimum=1)
LOGIN_LOCKOUT_MINUTES = envint("LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
# Two-step login (TOTP): wrong codes allowed per user per lockout window; required for every
# staff member when set (platform operators can also require it per village in the admin).
TWO_FACTOR_MAX_FAILURES = envint("TWO_FACTOR_MAX_FAILURES", 5, minimum=1)
TWO_FACTOR_REQUIRED = envbool("TWO_FACTOR_REQUIRED", False)

# --- Security ---------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "media-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF, "https://wa.me"],
}
if not DEBUG:
    SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_HSTS_SECONDS = envint("HSTS_SECONDS", 60 * 60 * 24 * 365, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = False
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", False)
# Monitoring reaches the processes directly over HTTP on the machine (docs/deploy.md).
SECURE_REDIRECT_EXEMPT = [r"^healthz", r"^metrics$"]
# Bearer token for /metrics (Prometheus text format); empty: the endpoint answers 404.
METRICS_TOKEN = envstr("METRICS_TOKEN", "").strip()
if METRICS_TOKEN and len(METRICS_TOKEN) < 16:
    raise ImproperlyConfigured("METRICS_TOKEN is too short: use at least 16 characters")
if envbool("BEHIND_PROXY", False):
    # Only behind a reverse proxy that sets this header itself (nginx, Caddy).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Language and time ------------------------------------------------------------------------
LANGUAGE_CODE = "id"
LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "balai" / "locale"]
USE_I18N = True
USE_TZ = True
# The server's zone; each village activates its own (WIB/WITA/WIT) in the console.
TIME_ZONE = envstr("TIME_ZONE", "Asia/Jakarta")

# --- Static and media files -----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "balai" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(DATA_DIR / "media")))
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 3 * 1024 * 1024 + 1024

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "balai.lib.logs.RedactIdentityNumbers"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]},
    },
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

ADMIN_URL = envstr("ADMIN_URL", "admin/")

# --- WhatsApp Cloud API -----------------------------------------------------------------------
# One Meta app serves every village number: its secret signs every webhook.
WHATSAPP_APP_SECRET = envstr("WHATSAPP_APP_SECRET", "") or (
    envsecret(
        "WHATSAPP_APP_SECRET", fallback_file=_secret_dir / "whatsapp_app_secret", min_length=16
    )
    if _secret_dir
    else ""
)
WHATSAPP_VERIFY_TOKEN = envstr("WHATSAPP_VERIFY_TOKEN", "") or (
    envsecret(
        "WHATSAPP_VERIFY_TOKEN", fallback_file=_secret_dir / "whatsapp_verify_token", min_length=16
    )
    if _secret_dir
    else ""
)
WHATSAPP_API_BASE = envstr("WHATSAPP_API_BASE", "https://graph.facebook.com/v25.0").rstrip("/")
WHATSAPP_HTTP_TIMEOUT = envint("WHATSAPP_HTTP_TIMEOUT", 20, minimum=1, maximum=120)
WHATSAPP_MAX_SEND_ATTEMPTS = envint("WHATSAPP_MAX_SEND_ATTEMPTS", 8, minimum=1, maximum=30)
# Meta's pair rate limit: sustained 1 message per 6 s to one user, short bursts allowed.
WHATSAPP_PAIR_BURST = envint("WHATSAPP_PAIR_BURST", 20, minimum=1, maximum=45)
WHATSAPP_PAIR_INTERVAL_SECONDS = envint("WHATSAPP_PAIR_INTERVAL_SECONDS", 6, minimum=1)
# Where inbound messages go once stored and understood (the conversation engine).
# A resident sending more than this many messages in this many seconds is flooding: the
# messages are kept, the assistant answers once and waits.
CONVERSATION_FLOOD_LIMIT = envint("CONVERSATION_FLOOD_LIMIT", 12)
CONVERSATION_FLOOD_SECONDS = envint("CONVERSATION_FLOOD_SECONDS", 30)
WHATSAPP_MESSAGE_HANDLER = envstr("WHATSAPP_MESSAGE_HANDLER", "balai.conversations.engine.handle")
# The fake Cloud API and phone-like chat page: demo and debug only (tests switch it on).
SIMULATOR_ENABLED = envbool("SIMULATOR_ENABLED", DEBUG or DEMO)
