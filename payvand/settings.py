"""Payvand settings: one module, driven by environment variables through typed helpers that fail loudly."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

TESTING = "pytest" in sys.modules or os.environ.get("PAYVAND_TESTING") == "1"


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"Environment variable {name} is required.")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}.") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    """SECRET_KEY from the environment; otherwise one generated once into var/secret-key (never in the repo)."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = VAR_DIR / "secret-key"
    VAR_DIR.mkdir(exist_ok=True)
    if not path.exists():
        import secrets

        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.forms",
    "django_htmx",
    "django_tasks_db",
    "axes",
    "channels",
    "payvand.core",
    "payvand.accounts",
    "payvand.contacts",
    "payvand.forms",
    "payvand.projects",
    "payvand.helpdesk",
    "payvand.notifications",
    "payvand.reports",
    "payvand.sla",
    "payvand.automation",
    "payvand.telephony",
    "payvand.mail",
    "payvand.messaging",
    "payvand.portal",
    "payvand.kb",
    "payvand.cases",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "payvand.core.middleware.ApiErrorShapeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "payvand.accounts.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "payvand.urls"
# Forms render through TEMPLATES, so {{ form }} finds the project's includes/form.html (Bootstrap layout).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
ASGI_APPLICATION = "payvand.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "payvand" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "payvand.core.context_processors.payvand",
            ],
            "builtins": ["payvand.core.templatetags.payvand"],
        },
    }
]

# Database: embedded SQLite by default, PostgreSQL via DATABASE_URL.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'payvand.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
    }
    _test_db = os.environ.get("PAYVAND_TEST_DB", "test-payvand")
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"{_test_db}.sqlite3")}
elif os.environ.get("PAYVAND_TEST_DB"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["PAYVAND_TEST_DB"]}
IS_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Login rate limit and lockout (django-axes): N failures per (username, IP) lock for the cool-off period.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("LOGIN_LOCKOUT_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "payvand.accounts.auth.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en")
LANGUAGES = [("en", _("English")), ("fa", _("Persian")), ("hu", _("Hungarian"))]
# scripts/messages.sh empties LOCALE_PATHS while it extracts an app's strings into payvand/<app>/locale/.
LOCALE_PATHS = [] if os.environ.get("PAYVAND_APP_MESSAGES") else [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Background work: django.tasks. DatabaseBackend (django-tasks-db) by default; TASK_BACKEND switches engines.
TASK_BACKEND = env_str(
    "TASK_BACKEND", "django.tasks.backends.immediate.ImmediateBackend" if TESTING else "django_tasks_db.DatabaseBackend"
)
TASKS = {"default": {"BACKEND": TASK_BACKEND}}

REDIS_URL = os.environ.get("REDIS_URL")
CHANNEL_LAYERS: dict[str, dict[str, object]] = {
    "default": (
        {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}
        if REDIS_URL
        else {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    )
}

# Email (Django 6.1 MAILERS). EMAIL_BACKEND=smtp sends through EMAIL_HOST; the default prints mail to the console.
_EMAIL_BACKENDS = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
}
_email_backend = env_str("EMAIL_BACKEND", "locmem" if TESTING else "console")
if _email_backend not in _EMAIL_BACKENDS:
    raise ImproperlyConfigured(f"EMAIL_BACKEND must be one of {', '.join(_EMAIL_BACKENDS)}, got {_email_backend!r}.")
_email_options: dict[str, object] = {}
if _email_backend == "smtp":
    _email_options = {
        "host": env_str("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 25),
        "username": env_str("EMAIL_HOST_USER", ""),
        "password": env_str("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        "timeout": env_int("EMAIL_TIMEOUT", 30),
    }
elif _email_backend == "file":
    _email_options = {"file_path": str(VAR_DIR / "mail")}
MAILERS = {"default": {"BACKEND": _EMAIL_BACKENDS[_email_backend], "OPTIONS": _email_options}}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Payvand <payvand@localhost>")

SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = 60 * 60 * 12

# Payvand settings.
PAYVAND_NAME = env_str("PAYVAND_NAME", "Payvand")
# The address users reach Payvand at, for links in emails.
PAYVAND_BASE_URL = env_str("BASE_URL", "http://127.0.0.1:8000").rstrip("/")
PHONE_DEFAULT_REGION = env_str("PHONE_DEFAULT_REGION", "IR")
# The 360° page draws a map only with a tile server of the installation's own (none by default: no tiles from the
# internet); without one each address gets a geo: link. Example: https://tiles.example.com/{z}/{x}/{y}.png
MAP_TILE_URL = env_str("MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = env_str("MAP_TILE_ATTRIBUTION", "© OpenStreetMap contributors")
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 50 * 1024 * 1024)
# Validate the next batch of an import in a forked process (when the worker runs no other threads), not a thread.
IMPORT_READ_AHEAD_PROCESS = env_bool("IMPORT_READ_AHEAD_PROCESS", True)
API_PAGE_SIZE_MAX = 200
# The portal's "My requests" page: requests per page.
PORTAL_PAGE_SIZE = env_int("PORTAL_PAGE_SIZE", 25)

# Helpdesk.
PAYVAND_TICKET_PREFIX = env_str("TICKET_PREFIX", "#")
# New tickets from the same requester with a similar subject within this many days are offered as duplicates.
TICKET_DUPLICATE_WINDOW_DAYS = env_int("TICKET_DUPLICATE_WINDOW_DAYS", 14)
# What a customer's reply to a closed ticket does: "reopen" it or open a "follow_up" ticket.
TICKET_REPLY_TO_CLOSED = env_str("TICKET_REPLY_TO_CLOSED", "follow_up")
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024)
# The SMTP listener of payvand.mail (`manage.py smtp_listen`; `manage.py serve` starts it when the port is not 0).
MAIL_SMTP_HOST = env_str("MAIL_SMTP_HOST", "127.0.0.1")
MAIL_SMTP_PORT = env_int("MAIL_SMTP_PORT", 0)
# A PEM file of certificate authorities to trust for IMAP servers (instead of the system's), for mailboxes whose
# own "IMAP CA certificate file" is empty. Certificates are always verified (host name too).
MAIL_IMAP_CA_FILE = env_str("MAIL_IMAP_CA_FILE", "")

# Telephony (docs/telephony.md): the Asterisk Manager Interface, for `manage.py telephony_ami` and click-to-call.
TELEPHONY_AMI_HOST = env_str("TELEPHONY_AMI_HOST", "")
TELEPHONY_AMI_PORT = env_int("TELEPHONY_AMI_PORT", 5038)
TELEPHONY_AMI_USER = env_str("TELEPHONY_AMI_USER", "")
TELEPHONY_AMI_SECRET = env_str("TELEPHONY_AMI_SECRET", "")
TELEPHONY_ORIGINATE_CONTEXT = env_str("TELEPHONY_ORIGINATE_CONTEXT", "from-internal")
TELEPHONY_ORIGINATE_CHANNEL = env_str("TELEPHONY_ORIGINATE_CHANNEL", "PJSIP/{extension}")
# How long the event path keeps the extension → agents map in memory (an extension change shows within it).
TELEPHONY_AGENT_CACHE_SECONDS = env_int("TELEPHONY_AGENT_CACHE_SECONDS", 60)

# Channels (docs/channels.md): SMS, Telegram, WhatsApp and public web forms.
SMS_BACKEND = env_str("SMS_BACKEND", "console")
if SMS_BACKEND not in ("console", "kavenegar", "twilio", "generic"):
    raise ImproperlyConfigured("SMS_BACKEND must be console, kavenegar, twilio or generic.")
SMS_KAVENEGAR_API_KEY = env_str("SMS_KAVENEGAR_API_KEY", "")
SMS_KAVENEGAR_SENDER = env_str("SMS_KAVENEGAR_SENDER", "")
SMS_KAVENEGAR_URL = env_str("SMS_KAVENEGAR_URL", "https://api.kavenegar.com").rstrip("/")
SMS_KAVENEGAR_WEBHOOK_TOKEN = env_str("SMS_KAVENEGAR_WEBHOOK_TOKEN", "")
SMS_TWILIO_ACCOUNT_SID = env_str("SMS_TWILIO_ACCOUNT_SID", "")
SMS_TWILIO_AUTH_TOKEN = env_str("SMS_TWILIO_AUTH_TOKEN", "")
SMS_TWILIO_FROM = env_str("SMS_TWILIO_FROM", "")
SMS_TWILIO_URL = env_str("SMS_TWILIO_URL", "https://api.twilio.com").rstrip("/")
SMS_GENERIC_SEND_URL = env_str("SMS_GENERIC_SEND_URL", "")
SMS_GENERIC_SECRET = env_str("SMS_GENERIC_SECRET", "")
SMS_GENERIC_SIGNATURE_HEADER = env_str("SMS_GENERIC_SIGNATURE_HEADER", "X-Payvand-Signature")
TELEGRAM_BOT_TOKEN = env_str("TELEGRAM_BOT_TOKEN", "")
TELEGRAM_WEBHOOK_SECRET = env_str("TELEGRAM_WEBHOOK_SECRET", "")
TELEGRAM_API_URL = env_str("TELEGRAM_API_URL", "https://api.telegram.org").rstrip("/")
WHATSAPP_TOKEN = env_str("WHATSAPP_TOKEN", "")
WHATSAPP_PHONE_NUMBER_ID = env_str("WHATSAPP_PHONE_NUMBER_ID", "")
WHATSAPP_APP_SECRET = env_str("WHATSAPP_APP_SECRET", "")
WHATSAPP_VERIFY_TOKEN = env_str("WHATSAPP_VERIFY_TOKEN", "")
WHATSAPP_API_URL = env_str("WHATSAPP_API_URL", "https://graph.facebook.com/v21.0").rstrip("/")
# Attempts of one reply delivery (SMS/Telegram/WhatsApp) before it is marked failed on the ticket.
CHANNEL_SEND_ATTEMPTS = env_int("CHANNEL_SEND_ATTEMPTS", 5)
# Inbound SMS/Telegram/WhatsApp: messages per sender and hour that become ticket messages; the rest are kept raw
# as "over the rate limit" for an admin to process by hand. 0: no limit. Each channel may override it.
CHANNEL_RATE_LIMIT_PER_HOUR = env_int("CHANNEL_RATE_LIMIT_PER_HOUR", 30)
CHANNEL_RATE_LIMITS = {
    "sms": env_int("SMS_RATE_LIMIT_PER_HOUR", CHANNEL_RATE_LIMIT_PER_HOUR),
    "telegram": env_int("TELEGRAM_RATE_LIMIT_PER_HOUR", CHANNEL_RATE_LIMIT_PER_HOUR),
    "whatsapp": env_int("WHATSAPP_RATE_LIMIT_PER_HOUR", CHANNEL_RATE_LIMIT_PER_HOUR),
}
if CHANNEL_RATE_LIMIT_PER_HOUR < 0 or min(CHANNEL_RATE_LIMITS.values()) < 0:
    raise ImproperlyConfigured("The channel rate limits must be 0 (no limit) or more.")
# The satisfaction survey after a resolution goes by SMS to requesters who wrote by SMS, or who have a phone and no
# email address (docs/portal.md); False: email and the portal only.
SATISFACTION_SMS = env_bool("SATISFACTION_SMS", True)
# Public web forms: at most this many submissions per IP address in the window.
WEBFORM_RATE_LIMIT = env_int("WEBFORM_RATE_LIMIT", 5)
WEBFORM_RATE_WINDOW_SECONDS = env_int("WEBFORM_RATE_WINDOW_SECONDS", 600)
# Portal sign-in (magic-link requests, password attempts; counted apart): at most this many per email address and
# per IP address in the window (docs/portal.md).
PORTAL_SIGNIN_RATE_LIMIT_PER_EMAIL = env_int("PORTAL_SIGNIN_RATE_LIMIT_PER_EMAIL", 5)
PORTAL_SIGNIN_RATE_LIMIT_PER_IP = env_int("PORTAL_SIGNIN_RATE_LIMIT_PER_IP", 20)
PORTAL_SIGNIN_RATE_WINDOW_SECONDS = env_int("PORTAL_SIGNIN_RATE_WINDOW_SECONDS", 900)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    MEDIA_ROOT = VAR_DIR / "test-media"
