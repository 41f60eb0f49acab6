"""Django settings of the portal (the control plane).

Paths and database come from `mdp.settings`, so the portal, the hub plugins and
the CLI share one database.
"""

import os
import secrets
from pathlib import Path

import dj_database_url

from mdp import settings as mdp_settings

_S = mdp_settings.get()
BASE_DIR = Path(__file__).resolve().parent

PREFIX = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/portal/")


def _secret_key() -> str:
    if os.environ.get("MDP_PORTAL_SECRET_KEY"):
        return os.environ["MDP_PORTAL_SECRET_KEY"]
    path = _S.state_dir / "portal-secret-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(secrets.token_urlsafe(50))
        tmp.chmod(0o600)
        tmp.rename(path)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("MDP_DEBUG") == "1"
ALLOWED_HOSTS = ["*"]  # only reachable through the hub's proxy, which checks nothing host-based
CSRF_TRUSTED_ORIGINS = [_S.public_url, f"http://localhost:{_S.public_port}"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "mdp.audit",
    "mdp.registry",
    "mdp.applications",
    "mdp.portal",
    "mdp.outputs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",  # the page's language: cookie, then the browser's
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "mdp.portal.urls"
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
                "mdp.portal.context.roles",
            ],
        },
    },
]
WSGI_APPLICATION = "mdp.portal.wsgi.application"

DATABASES = {"default": dj_database_url.parse(_S.database_url, conn_max_age=60)}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Several processes write (hub, portal, cut-off service, CLI): take the write
    # lock at BEGIN so that the audit chain is extended by one writer at a time.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 30}
    DATABASES["default"]["CONN_MAX_AGE"] = 0

AUTH_PASSWORD_VALIDATORS = []  # passwords live in the hub (NativeAuthenticator), not here
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]  # catalogue: mdp/portal/locale/, compiled by setup-host.sh
LANGUAGE_COOKIE_PATH = PREFIX
TIME_ZONE = _S.time_zone.key
USE_I18N = True
USE_TZ = True

STATIC_URL = PREFIX + "static/"
WHITENOISE_USE_FINDERS = True  # serve app static files without a collectstatic step
SESSION_COOKIE_NAME = "mdp-portal-session"
SESSION_COOKIE_PATH = PREFIX
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_PATH = PREFIX
LOGIN_URL = PREFIX + "login"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,  # the hub imports Django: keep its loggers
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"mdp": {"level": "INFO"}},
}
