"""ChannelHub settings: one file, driven by environment variables.

Every setting that differs between a laptop and production is read from the
environment through the small typed helpers below; `.env.example` lists them.
With nothing set, the app runs embedded: SQLite in `var/` and a filesystem
Celery broker, so `make run` needs nothing but Python.

It stays one module past 500 lines on purpose: an operator reads every
setting in one place, in the order docs/operations.md lists them.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CHANNELHUB_VAR_DIR", BASE_DIR / "var"))
# Logs, the embedded broker, media and the SQLite file live here; a fresh
# clone has no var/ (it is ignored), so every mode creates it.
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", default=True)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_DEBUG is off.")
    # Only ever used with DEBUG on, on a developer's machine.
    SECRET_KEY = "dev-only-key-not-for-production-0123456789abcdefghijklmnopqrstuvwxyz"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rules.apps.AutodiscoverRulesConfig",
    "django_filters",
    "django_htmx",
    "django_celery_beat",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "axes",
    "simple_history",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "channelhub",
    "channels_app",
    "partners",
    "kpis",
]

MIDDLEWARE = [
    # First: it times the whole request and logs even what later ones refuse.
    "channelhub.middleware.RequestLogMiddleware",
    # A NUL in a query string never reaches a view (the database refuses it).
    "channelhub.middleware.RefuseControlCharactersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Records the signed-in user on every history row a request writes.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Keeps partner users in the portal and shuts a closed account at once.
    "channelhub.portal.middleware.PortalGateMiddleware",
    # Holds a session at the code page until the second factor is typed
    # (channelhub/twofactor); no query per request.
    "channelhub.twofactor.middleware.TwoFactorMiddleware",
    # Last: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "channelhub.urls"
WSGI_APPLICATION = "channelhub.wsgi.application"

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
                "channelhub.context_processors.app",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # JIT compiles our short aggregate queries for longer than they run
        # (~1 s of JIT for a 0.3 s GROUP BY over 1M facts). temp_buffers is a
        # ceiling, allocated only when an import's staging table needs it.
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
            "-c jit=off -c temp_buffers=256MB"
        )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "channelhub.sqlite3"),
            "OPTIONS": {
                # Web, worker and beat write side by side: WAL lets readers go on
                # while one writer works, IMMEDIATE takes the write lock at BEGIN
                # (no deadlock-prone lock upgrade), and the timeout makes a second
                # writer wait instead of failing with "database is locked".
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;"
                ),
            },
            "TEST": {"NAME": str(VAR_DIR / "test_channelhub.sqlite3")},
        }
    }
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out sign-in before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    # ModelBackend, with an email address as username in any capitals.
    "channelhub.lib.backends.EmailCaseBackend",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Internationalisation -----------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
# Keep USE_TZ on: django-celery-beat floods missed runs when it flips.
USE_TZ = True
USE_I18N = True
USE_THOUSAND_SEPARATOR = False

REPORTING_CURRENCY = env_str("REPORTING_CURRENCY", "USD")
FISCAL_YEAR_START_MONTH = env_int("FISCAL_YEAR_START_MONTH", 1)
if not 1 <= FISCAL_YEAR_START_MONTH <= 12:
    raise ImproperlyConfigured("FISCAL_YEAR_START_MONTH must be between 1 and 12.")

# The attention list: a channel needs attention when its ROI in the last
# complete period is below this fraction, or fell by more than this many
# percentage points since the period before, or its facts are older than this.
ATTENTION_ROI_THRESHOLD = float(env_str("ATTENTION_ROI_THRESHOLD", "0"))
ATTENTION_ROI_DROP_POINTS = float(env_str("ATTENTION_ROI_DROP_POINTS", "10"))
# ...and by more than this % of where it was (both must hold: 597% -> 579%
# is 18 points but 3% of its level, noise).
ATTENTION_ROI_DROP_PCT = float(env_str("ATTENTION_ROI_DROP_PCT", "20"))
ATTENTION_STALE_DAYS = env_int("ATTENTION_STALE_DAYS", 7)
# A channel's monthly revenue falling by more than this % while another channel
# with the same target segment grows over the same two months: a
# cannibalisation hint on the attention list (not an automatic case).
ATTENTION_CANNIBALISATION_PCT = float(env_str("ATTENTION_CANNIBALISATION_PCT", "15"))
# ...and by at least this amount of the reporting currency (both must hold).
ATTENTION_CANNIBALISATION_MIN_AMOUNT = float(env_str("ATTENTION_CANNIBALISATION_MIN_AMOUNT", "100"))
# Days from one brand consistency audit of a channel to the next one due.
BRAND_AUDIT_CADENCE_DAYS = env_int("BRAND_AUDIT_CADENCE_DAYS", 90)
# Largest signed contract document (PDF, image) a partner manager may upload.
CONTRACT_DOCUMENT_MAX_BYTES = env_int("CONTRACT_DOCUMENT_MAX_BYTES", 10 * 1024 * 1024)

# Valid dates (channelhub.lib.dates). Facts (imports, the API push, recompute
# scopes) fall between FACTS_FIRST_DAY and today + FACTS_YEARS_AHEAD years;
# business dates (contract ends, deals, MDF claims, reviews, interactions...)
# in the wider window. The facts table also refuses, by a database check,
# days before 2000-01-01 or from 2100-01-01 on: FACTS_FIRST_DAY cannot go lower.
DATE_WINDOWS = {
    "facts": {
        "first": env_str("FACTS_FIRST_DAY", "2000-01-01"),
        "years_ahead": env_int("FACTS_YEARS_AHEAD", 2),
    },
    "business": {
        "first": env_str("BUSINESS_FIRST_DAY", "1990-01-01"),
        "years_ahead": env_int("BUSINESS_YEARS_AHEAD", 50),
    },
}

# The address people reach the app at: links in emails and review packs.
# By default where `make run` serves it (its HOST and PORT).
SITE_URL = env_str(
    "SITE_URL", f"http://{env_str('HOST', '127.0.0.1')}:{env_str('PORT', '8000')}"
).rstrip("/")
# Review packs: attach the rendered file to the email up to this size (above
# it, the email links to the pack instead); how often a failed render or send
# is tried; how long a pack waits for the recompute it depends on.
PACK_ATTACH_MAX_BYTES = env_int("PACK_ATTACH_MAX_BYTES", 15 * 1024 * 1024)
PACK_MAX_ATTEMPTS = env_int("PACK_MAX_ATTEMPTS", 3)
PACK_MAX_WAIT_HOURS = env_int("PACK_MAX_WAIT_HOURS", 6)
# Archived pack files (HTML and CSV) older than this many days are deleted by the
# daily retention sweep (kpis.packs_retention); their rows stay in the archive.
PACK_RETENTION_DAYS = env_int("PACK_RETENTION_DAYS", 400)

# --- Static and media ---------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    # Plotly.js comes from the installed plotly package (no CDN).
    "channelhub.lib.staticfinders.VendorFinder",
]
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
# Decided when settings load, not per request: pytest turns DEBUG off at run
# time, and a checkout without `collectstatic` must still serve its files.
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_USE_FINDERS = DEBUG
# Uploads (imports, contract documents, packs) live outside the web root and
# are only ever served through permission-checked views.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"

# --- Cache ---------------------------------------------------------------------
# Shared by web and workers: job progress lives here (an import's transaction
# is still open while it runs). Redis when configured, else files in var/.
if env_str("REDIS_URL"):
    CACHES = {
        "default": {
            # Degraded, not down: answers from memory while Redis is away.
            "BACKEND": "channelhub.lib.cache.FallbackRedisCache",
            "LOCATION": env_str("REDIS_URL"),
            "KEY_PREFIX": "channelhub",
            "TIMEOUT": 3600,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "TIMEOUT": 3600,
        }
    }

# --- Email --------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "ChannelHub <channelhub@localhost>")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)

# --- Celery -------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
BROKER_DIR = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        # Must exceed the longest hard time limit, or a long job is redelivered
        # while it still runs.
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 2 * 3600),
    }
else:
    # kombu's filesystem transport: a broker that needs no server. Web, worker
    # and beat exchange messages through files in var/broker.
    for sub in ("out", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://localhost//"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "out"),
        "data_folder_out": str(BROKER_DIR / "out"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# Tests run a private worker on a queue of their own; everything else uses "celery".
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
# Model fits (Modeled ROI) run for minutes: they go to a queue of their own,
# which `make run` and docker compose consume with a worker of their own, so an
# import or a recompute never waits behind a fit.
CELERY_MODELING_QUEUE = env_str("CELERY_MODELING_QUEUE", "modeling")
CELERY_TASK_ROUTES = {
    "kpis.model_fit": {"queue": CELERY_MODELING_QUEUE},
}
MODEL_FIT_SOFT_TIME_LIMIT = env_int("MODEL_FIT_SOFT_TIME_LIMIT", 20 * 60)
MODEL_FIT_TIME_LIMIT = env_int("MODEL_FIT_TIME_LIMIT", 25 * 60)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 50 * 60)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 60 * 60)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Workers log through LOGGING below (JSON lines), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Liveness (/health/): each worker writes a heartbeat this often; beat counts
# as dead after two intervals of the heartbeat schedule (this value when the
# schedule is missing from the database).
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 30)
BEAT_HEARTBEAT_SECONDS = env_int("BEAT_HEARTBEAT_SECONDS", 60)

# --- REST framework -----------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so that a request without credentials is answered 401 with a
        # WWW-Authenticate header rather than 403.
        "channelhub.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "channelhub.lib.api.ApiSchema",
    # DRF's parsers, refusing control characters in any text (channelhub/lib/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "channelhub.lib.parsers.JSONParser",
        "channelhub.lib.parsers.FormParser",
        "channelhub.lib.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "channelhub.lib.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["channelhub.lib.filtering.FilterBackend"],
    "EXCEPTION_HANDLER": "channelhub.lib.api.exception_handler",
    # Per process and per cache (not atomic): a fair-use limit, not a
    # brute-force defence (docs/operations.md).
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
        # The per-action limits of RATE_LIMITS (deal registration, imports).
        "channelhub.lib.ratelimit.ScopedActionThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_THROTTLE_ANON", "60/minute"),
        "user": env_str("API_THROTTLE_USER", "1200/minute"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ChannelHub API",
    "DESCRIPTION": (
        "Channels, objectives, partners, KPI snapshots and daily facts. "
        "Authenticate with a personal token from your profile page "
        "(`Authorization: Bearer <token>`) or a signed-in session."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # Text patterns: the control characters the API refuses.
        "channelhub.lib.schema_text.text_patterns_hook",
        # Links: from a create to the object's operations (stateful clients, Schemathesis).
        "channelhub.lib.schema_links.links_hook",
    ],
    # The docs page loads Swagger UI from our static files (sidecar), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "kind" and a "status": name each choice set.
    "ENUM_NAME_OVERRIDES": {
        "ChannelKindEnum": "channels_app.channels.models.Channel.Kind",
        "ChannelStatusEnum": "channels_app.channels.models.Channel.Status",
        "PartnerKindEnum": "partners.directory.models.Partner.Kind",
        "PartnerStatusEnum": "partners.directory.models.Partner.Status",
        "ContractKindEnum": "partners.contracts.models.Contract.Kind",
        "InteractionKindEnum": "partners.activity.models.Interaction.Kind",
        "ObjectiveStatusEnum": "channelhub.metrics.formulas.OBJECTIVE_STATUS_CHOICES",
        "ImportRunStatusEnum": "kpis.models.ImportRun.Status",
        "RecomputeRunStatusEnum": "kpis.models.RecomputeRun.Status",
        "BudgetPlanReachEnum": "kpis.models.BudgetPlan.Reach",
    },
}

# --- Security -----------------------------------------------------------------
# Production (DEBUG off) runs behind a TLS-terminating proxy that sets
# X-Forwarded-Proto; `manage.py check --deploy` passes with these (a test
# proves it).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if not DEBUG else None
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = 0 if DEBUG else env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
X_FRAME_OPTIONS = "DENY"
# Container health checks call http://127.0.0.1:8000/health/ without TLS.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Files above this are refused by the upload forms (Django's memory limits are
# not a size limit).
MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 200 * 1024 * 1024)
# A body read whole into memory (a JSON push of daily facts, a form's fields;
# files go to disk): the facts API takes up to 10,000 rows, about 3 MB with
# every column, and refuses a body over 16 MB itself (413, in JSON). Django's
# default of 2.5 MB answered a full batch with an HTML 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024 * 1024 + 64 * 1024
# With the broker down, an uploaded file up to this size is imported in the
# request (keep it small enough to finish well inside the web server timeout);
# a bigger one waits for the queue and the sweeper.
IMPORT_INLINE_MAX_BYTES = env_int("IMPORT_INLINE_MAX_BYTES", 10 * 1024 * 1024)
# What reading one uploaded spreadsheet (facts, feedback, price list) may cost,
# checked while it is read, never after (channelhub/lib/uploads.py, tabular.py).
# A 1.6 MB workbook unpacked to 472 MB and kept a worker busy for 8 minutes.
UPLOAD_LIMITS = {
    # Data rows of a file (the largest import so far: 300,000 rows).
    "rows": env_int("UPLOAD_MAX_ROWS", 1_000_000),
    # Cells read, blank ones included (a workbook can declare 16,384 columns).
    "cells": env_int("UPLOAD_MAX_CELLS", 20_000_000),
    # All parts of an .xlsx workbook, unpacked, as the workbook itself declares them
    # (the zip reader never unpacks past what a part declares).
    "xlsx_unpacked_bytes": env_int("UPLOAD_MAX_XLSX_UNPACKED_MB", 300) * 1024 * 1024,
    # The shared strings are held in memory whole while a workbook is read.
    "xlsx_shared_strings_bytes": env_int("UPLOAD_MAX_XLSX_STRINGS_MB", 30) * 1024 * 1024,
    # Parts of a workbook: a real one has a few dozen.
    "xlsx_parts": env_int("UPLOAD_MAX_XLSX_PARTS", 1_000),
    # Wall-clock seconds to read a file through (a 300,000-row file takes ~30 s).
    "seconds": env_int("UPLOAD_MAX_SECONDS", 600),
}

# One JSON object per line (LOG_FORMAT=json, the default): a line per request
# (channelhub.request), per job (channelhub.jobs) and for everything else.
# LOG_FORMAT=plain gives readable lines on a laptop.
LOG_FORMAT = env_str("LOG_FORMAT", "json")

# Content-Security-Policy (django-csp): only our own scripts and styles. Every
# page script is a static file (charts get their data through json_script), so
# script-src needs neither 'unsafe-inline' nor 'unsafe-eval'. Plotly.js would
# inject a <style> element; a <link class="no-inline-styles"> in the chart
# pages hands it our static copy of those rules instead (static/css/plotly.css),
# and htmx's own indicator style is turned off in base.html and kept in app.css.
# tests/test_browser_csp.py renders every chart page in Chromium under this
# policy and fails on any violation.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Plotly's "download as PNG" and its SVG icons use data: and blob: URLs.
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Rate limits (channelhub/lib/ratelimit.py): scope -> "count/period". Each can
# be set in the environment: RATE_LIMIT_PASSWORD_RESET="3/hour", ...
RATE_LIMITS = {
    scope: env_str(f"RATE_LIMIT_{scope.upper()}", rate)
    for scope, rate in {
        # A reset email goes to someone's inbox: per account asked for, and
        # per address asking.
        "password_reset": "5/hour",
        "password_reset_ip": "20/hour",
        # Per inviting user, per user registering deals, per user importing
        # (facts, customer feedback, price lists; pages and API).
        "invitation": "30/hour",
        # Partner-portal invitation links tried, per client address.
        "invitation_accept": "20/hour",
        "deal_registration": "60/hour",
        # Two-factor codes typed, per user (sign-in and set-up).
        "two_factor": "10/hour",
        "import": "30/hour",
        # Recomputes queued by hand (POST /api/v1/recompute-runs/), per user.
        "recompute": "30/hour",
        # Model fits started by hand (Fit now, POST /api/v1/model-runs/), per
        # user: each takes minutes of the workers' cores.
        "model_fit": "10/hour",
        # Review pack previews (Render now), per user: each renders every
        # channel's dashboards and keeps the file.
        "pack_render": "20/hour",
    }.items()
}

# Sign-in lockout (django-axes): after AXES_FAILURE_LIMIT failed sign-ins for
# one username from one client address, that pair is locked out for
# AXES_COOLOFF_MINUTES (a failure during the lockout restarts it). Attempts and
# lockouts are listed in the admin (Axes: access attempts / failures), where an
# administrator can also lift one by deleting it. Keyed on username *and*
# address, so one person's typos cannot lock a whole office behind one NAT out.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)

# Partner users must set up two-factor sign-in (an authenticator app) before
# they can use the portal; anyone may turn it on for themselves.
PORTAL_REQUIRE_TWO_FACTOR = env_bool("PORTAL_REQUIRE_TWO_FACTOR", False)
# The name authenticator apps show next to the codes.
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "ChannelHub")
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies of our
# own the address the outermost of them saw (never a client-chosen header).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "channelhub.lib.security.client_ip"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "channelhub.lib.logs.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain" if LOG_FORMAT == "plain" else "json",
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Error reports --------------------------------------------------------------
# Sentry (Django and Celery integrations) only when SENTRY_DSN is set.
SENTRY_DSN = env_str("SENTRY_DSN")
if SENTRY_DSN:
    from channelhub.lib.sentry import sentry_init

    sentry_init(
        SENTRY_DSN,
        environment=env_str("SENTRY_ENVIRONMENT", "production"),
        traces_sample_rate=float(env_str("SENTRY_TRACES_SAMPLE_RATE", "0")),
    )
