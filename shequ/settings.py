"""One settings module, driven by the environment.

With nothing set, the app runs as a local demo: DEBUG on, hosts 127.0.0.1 and localhost,
a secret key generated once under var/, SQLite under var/. Production sets them all.
Every variable is read through shequ.environment, which refuses a value it cannot read
(docs/settings.md lists them).
"""

import importlib.util
import secrets
from datetime import timedelta
from pathlib import Path

from shequ.environment import (
    LOG_LEVELS,
    SettingError,
    database,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_rate,
    env_secret,
    env_str,
    site_host,
    site_url,
)

PACKAGE_DIR = Path(__file__).resolve().parent


def _default_var_dir() -> Path:
    # In a source checkout var/ sits beside pyproject.toml; an installed package uses the
    # working directory, since site-packages is no place for a database.
    checkout = PACKAGE_DIR.parent
    if (checkout / "pyproject.toml").exists():
        return checkout / "var"
    return Path.cwd() / "var"


def _secret_key(var_dir: Path) -> str:
    if env_str("SECRET_KEY"):
        return env_str("SECRET_KEY")
    key_file = var_dir / "secret_key"
    if not key_file.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="utf-8").strip()


VAR_DIR = Path(env_str("SHEQU_VAR_DIR") or _default_var_dir())
SECRET_KEY = _secret_key(VAR_DIR)
DEBUG = env_bool("DEBUG", True)

# The address users open (scheme, host, port): links in e-mails start with it, and a form
# posted from it is trusted, whatever the port (behind nginx the Host header has none).
_SITE_URL_GIVEN = env_str("SHEQU_SITE_URL")
SHEQU_SITE_URL = site_url(
    _SITE_URL_GIVEN or ("http://127.0.0.1:8000" if DEBUG else ""), debug=DEBUG
)
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS",
    [site_host(SHEQU_SITE_URL)] if _SITE_URL_GIVEN else ["127.0.0.1", "localhost"],
)
CSRF_TRUSTED_ORIGINS = list(dict.fromkeys([*env_list("CSRF_TRUSTED_ORIGINS", []), SHEQU_SITE_URL]))

# The deployment's full district name: titles of exported workbooks and reports.
SHEQU_DISTRICT_NAME = env_str("SHEQU_DISTRICT_NAME", "重庆市北碚区")
SHEQU_SYSTEM_NAME = "城乡社区综合服务设施台账系统"

INSTALLED_APPS = [
    # First, so that its templates (login, password change) win over the admin's.
    "shequ.web",
    "shequ.accounts.admin_config.ShequAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "shequ.apps.ShequConfig",
    "shequ.core",
    "shequ.regions",
    "shequ.accounts",
    "shequ.ledger",
    "shequ.compliance",
    "shequ.plans",
    "shequ.evaluation",
    "shequ.assets",
    "shequ.subsidy",
    "shequ.checklist",
    "axes",
]

MIDDLEWARE = [
    # Outermost: any error answer under /api/ leaves as the API's JSON error (ADR 0038).
    "shequ.web.errors.ApiErrorsAsJsonMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "shequ.web.security.ContentSecurityPolicyMiddleware",
    "shequ.web.security.PrivateResponseMiddleware",
    "shequ.web.security.DenialLogMiddleware",
    # Ahead of every view (the middleware above reads nothing on the way in): during a
    # migration every request is a 503.
    "shequ.web.maintenance.MaintenanceMiddleware",
    "shequ.web.database_errors.DatabaseUnavailableMiddleware",
    # A NUL byte in a page's query: the site's 400 before any view reads it (web.query).
    "shequ.web.query.NulInQueryMiddleware",
    "shequ.web.scoping.DomainErrorMiddleware",
    "shequ.web.sessions.ExpiredSessionMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out username before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Five wrong passwords for one username from one address lock that pair for 30 minutes;
# twenty from one address, whatever the names, lock the address (password spraying), and
# each failure from 3 on is answered a little later (shequ.accounts.lockout, ADR 0036).
AXES_FAILURE_LIMIT = env_int("SHEQU_LOGIN_FAILURES", 5, minimum=1)
SHEQU_ADDRESS_LOGIN_FAILURES = env_int("SHEQU_ADDRESS_LOGIN_FAILURES", 20, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("SHEQU_LOCKOUT_MINUTES", 30, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "shequ.accounts.lockout.LockoutHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "shequ.web.lockout_page.lockout_response"
AXES_VERBOSE = False
# How many proxies of ours (nginx, a load balancer) stand in front of the app: the client's
# address is read that many entries from the right of X-Forwarded-For (core.addresses).
SHEQU_PROXY_COUNT = env_int("SHEQU_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "shequ.core.addresses.client_address"
# The API's rate limits (django-ninja throttles, shequ.api.throttles, ADR 0038): requests
# per token (or per signed-in user) and per client address, counted in each worker
# process; beyond them a 429 with Retry-After. `off` lifts a limit.
SHEQU_API_TOKEN_RATE = env_rate("SHEQU_API_TOKEN_RATE", "600/min")
SHEQU_API_ADDRESS_RATE = env_rate("SHEQU_API_ADDRESS_RATE", "1200/min")

if not DEBUG:
    # Production serves collected static files itself; the demo's runserver does it in DEBUG.
    MIDDLEWARE.insert(2, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "shequ.urls"
# A refused CSRF token (a form left open past a logout) answers the site's Chinese 403.
CSRF_FAILURE_VIEW = "shequ.web.errors.csrf_failure"
# While this file exists every request answers 503 with its text (shequ.web.maintenance).
SHEQU_MAINTENANCE_FILE = Path(env_str("SHEQU_MAINTENANCE_FILE") or VAR_DIR / "maintenance")
# Run after each `shequ backup --to-dir` with the new file's path as its last argument (no
# shell), to copy it off the machine (docs/backup.md, ADR 0031). Empty: no copy.
SHEQU_BACKUP_COPY_COMMAND = env_str("SHEQU_BACKUP_COPY_COMMAND")
WSGI_APPLICATION = "shequ.wsgi.application"

# The API docs page (Swagger UI) ships inside django-ninja. Its templates and assets are
# found by path rather than by listing "ninja" as an app: an app is imported at start-up,
# and every command would import ninja (and pydantic) for nothing.
NINJA_DIR = Path(importlib.util.find_spec("ninja").origin).parent

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [NINJA_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shequ.web.context.navigation",
            ],
        },
    },
    {
        # Only the street grid's number cells (shequ/web/jinja2/, ADR 0025); escaping on.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": True, "environment": "shequ.web.jinja_env.environment"},
    },
]

_CONN_MAX_AGE = env_int("CONN_MAX_AGE", 0)
# A kept connection is checked before a request reuses it: after a database restart the
# next request reconnects instead of failing (ADR 0015; shequ.environment.database).
DATABASES = {
    "default": database(
        "DATABASE_URL",
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'shequ.sqlite3'}"),
        # A password with any characters, not encoded (the URL's, if any, is replaced).
        password=env_secret("DATABASE_PASSWORD"),
        conn_max_age=_CONN_MAX_AGE,
    )
}
# Read replicas (PostgreSQL standbys), comma-separated: dashboards and summaries read from
# them through shequ.core.db_router; writes and everything else stay on the primary. Tests
# mirror them onto the default database rather than creating test databases on a standby.
REPLICA_DATABASES = []
for number, url in enumerate(env_list("DATABASE_REPLICA_URL", []), start=1):
    alias = f"replica{number}"
    DATABASES[alias] = database("DATABASE_REPLICA_URL", url, conn_max_age=_CONN_MAX_AGE)
    DATABASES[alias]["TEST"] = {"MIRROR": "default"}
    REPLICA_DATABASES.append(alias)
DATABASE_ROUTERS = ["shequ.core.db_router.ReplicaRouter"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a concurrent writer instead of failing at once with "database is locked";
    # IMMEDIATE transactions take the write lock up front, so two saves cannot deadlock.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
    # Tests use a file, not shared-cache memory: the browser tests' live server answers
    # requests in parallel, and shared-cache memory fails those with "table is locked".
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test_shequ.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "shequ.accounts.passwords.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # demo1234 is refused wherever the site is not the demo (issue 25).
    {"NAME": "shequ.accounts.passwords.DemoPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [NINJA_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT") or VAR_DIR / "static")
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
        # Static files are public and nginx (another user) serves them: world-readable,
        # unlike uploads (FILE_UPLOAD_PERMISSIONS below), whose mode would apply otherwise.
        "OPTIONS": {"file_permissions_mode": 0o644, "directory_permissions_mode": 0o755},
    },
}

# E-mail (shequ.core.mail): with EMAIL_HOST set, SMTP; otherwise the console, as in the
# demo, unless EMAIL_BACKEND names one. A failed send is logged and told to the admins.
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if env_str("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise SettingError(
        "EMAIL_USE_TLS 和 EMAIL_USE_SSL 只能开一个：587 端口（STARTTLS）用前者，465 端口用后者"
    )
EMAIL_PORT = env_int("EMAIL_PORT", 465 if EMAIL_USE_SSL else 587 if EMAIL_USE_TLS else 25)
# smtplib sends the login as ASCII: env_secret(ascii=True) refuses anything else.
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD", ascii=True)
# Seconds to wait for the mail server: a daily `shequ remind` must not hang on a dead one.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "shequ@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
X_FRAME_OPTIONS = "DENY"
# A working day on a shared office computer: a session ends eight hours after login or
# when the browser closes. (Not renewed on each request: that would write to the database
# on every page view, which a deadline day cannot afford.)
SESSION_COOKIE_AGE = env_int("SHEQU_SESSION_HOURS", 8, minimum=1) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    # Behind nginx terminating TLS (docs/deployment.md): HTTPS only, remembered for a year.
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = False
# A bureau's intranet host name must not be submitted to the browsers' HSTS preload list;
# `check --deploy` warns about that choice (W021), which is deliberate.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
# Sent on every page (not only in production: the demo must work under the same policy).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# Uploads: the import takes workbooks up to 20 MB; nothing larger reaches a view.
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every message on one line: a line break a client wrote is escaped (shequ.core.logtext).
    "formatters": {"one_line": {"()": "shequ.core.logtext.OneLineFormatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "one_line"}},
    "root": {"handlers": ["stderr"], "level": env_choice("LOG_LEVEL", "WARNING", LOG_LEVELS)},
    "loggers": {
        # Logins, failed logins, token use and refusals, also kept in the audit trail.
        "shequ.security": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        # Every e-mail that could not be sent: recipient and reason (shequ.core.mail).
        "shequ.mail": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}
