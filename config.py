"""Settings for pptracker: defaults, development, testing and production.

Environment variables override the defaults: ``DATABASE_URL``, ``SECRET_KEY``,
``MAX_UPLOAD_MB``, ``SESSION_COOKIE_SECURE`` and any ``PPTRACKER_<NAME>``
(read by ``app.config.from_prefixed_env``).
"""

import os


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


class Config:
    """Defaults for a local run on SQLite in ``instance/``."""

    ENV_NAME = "default"

    #: None means "read instance/secret_key, generating it on first start".
    SECRET_KEY = os.environ.get("SECRET_KEY")
    #: None means SQLite at ``instance/pptracker.sqlite``.
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "") == "1"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # token lives as long as the session

    #: Key of the audit chain's HMAC; None means "read instance/audit_key,
    #: generating it on first use". Keep it out of the database and backups of it.
    AUDIT_KEY = os.environ.get("AUDIT_KEY")

    #: Read events (report downloads) are written in batches: this many at
    #: most, at most this many seconds after they happen (see audit/batched.py).
    AUDIT_BATCH_SIZE = _env_int("AUDIT_BATCH_SIZE", 100)
    AUDIT_BATCH_SECONDS = float(os.environ.get("AUDIT_BATCH_SECONDS", "1"))

    #: Where uploaded files are stored; None means ``<instance>/documents``. A
    #: relative path is taken inside the instance folder.
    DOCUMENTS_DIR = os.environ.get("DOCUMENTS_DIR")

    #: Largest accepted request body (uploads included), in megabytes.
    MAX_UPLOAD_MB = _env_int("MAX_UPLOAD_MB", 25)

    #: Failed sign-ins from one client within the window before it is refused.
    SIGN_IN_MAX_FAILURES = _env_int("SIGN_IN_MAX_FAILURES", 5)
    SIGN_IN_WINDOW_MINUTES = _env_int("SIGN_IN_WINDOW_MINUTES", 15)

    #: Prefix of OC4IDS project ids, ``oc4ids-<6 chars>`` from the OC4IDS helpdesk.
    OC4IDS_PREFIX = os.environ.get("OC4IDS_PREFIX", "oc4ids-pptrak")
    #: The open data's licence (its canonical URI) and its name, for the
    #: OC4IDS package and the open data page.
    OPENDATA_LICENSE_URL = os.environ.get(
        "OPENDATA_LICENSE_URL", "https://creativecommons.org/licenses/by/4.0/"
    )
    OPENDATA_LICENSE_TITLE = os.environ.get(
        "OPENDATA_LICENSE_TITLE", "Creative Commons Attribution 4.0 International (CC BY 4.0)"
    )
    #: Who publishes the open data (the OC4IDS package's ``publisher.name``).
    OPENDATA_PUBLISHER_NAME = os.environ.get("OPENDATA_PUBLISHER_NAME", "pptracker")
    #: Where to report a problem with the data, besides a project's feedback
    #: form; None leaves the feedback form as the only way.
    OPENDATA_CONTACT_EMAIL = os.environ.get("OPENDATA_CONTACT_EMAIL")
    #: The full OC4IDS package is read this many projects at a time, the
    #: tables this many rows at a time: memory stays flat whatever the size.
    OPENDATA_PROJECTS_PER_BATCH = _env_int("OPENDATA_PROJECTS_PER_BATCH", 100)
    OPENDATA_ROWS_PER_FETCH = _env_int("OPENDATA_ROWS_PER_FETCH", 1000)

    PROJECTS_PER_PAGE = 20
    #: Public pages rendered for anonymous readers, kept per server process
    #: until the data change (see pptracker/pagecache.py); 0 turns it off.
    PUBLIC_PAGE_CACHE_ENTRIES = _env_int("PUBLIC_PAGE_CACHE_ENTRIES", 256)

    #: The public site's address, printed (and QR-coded) in the reports. It is
    #: configured, not taken from the request, so a report's bytes do not
    #: depend on the host name a reader happened to use.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    #: Where built reports are cached; None means ``<instance>/report-cache``.
    REPORT_CACHE_DIR = os.environ.get("REPORT_CACHE_DIR")
    #: PAdES signing of the public reports: PEM files of the private key and
    #: its certificate (both, or neither). The key's passphrase, if any, comes
    #: from the environment only. See the README, "Signed reports".
    REPORT_SIGNING_KEY = os.environ.get("REPORT_SIGNING_KEY")
    REPORT_SIGNING_CERT = os.environ.get("REPORT_SIGNING_CERT")
    REPORT_SIGNING_PASSPHRASE = os.environ.get("REPORT_SIGNING_PASSPHRASE")

    #: Red flag: payments ahead of physical progress by more than this many
    #: percentage points (share of the budget paid minus weighted progress).
    PAYMENTS_AHEAD_MARGIN = _env_int("PAYMENTS_AHEAD_MARGIN", 10)
    #: Red flag: amendments raising a contract's value by more than this percentage.
    AMENDMENT_VALUE_FLAG_PERCENT = _env_int("AMENDMENT_VALUE_FLAG_PERCENT", 15)

    #: Public feedback still without a reply after this many days is flagged
    #: to the project's managers and shown as "awaiting a reply since …".
    FEEDBACK_REPLY_DAYS = _env_int("FEEDBACK_REPLY_DAYS", 14)
    #: At most this many messages per client (keyed hash of its address) in
    #: FEEDBACK_RATE_WINDOW seconds; more get a 429 and are not kept.
    FEEDBACK_RATE_LIMIT = _env_int("FEEDBACK_RATE_LIMIT", 5)
    FEEDBACK_RATE_WINDOW = _env_int("FEEDBACK_RATE_WINDOW", 3600)

    #: Password for the demo accounts; None generates one into instance/.
    DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD")

    BOOTSTRAP_SERVE_LOCAL = True
    BOOTSTRAP_BOOTSWATCH_THEME = None


class DevelopmentConfig(Config):
    """Local development: same as the defaults, with the debugger allowed."""


class TestingConfig(Config):
    """The test suite: an in-memory database unless a test gives another."""

    ENV_NAME = "testing"

    TESTING = True
    SECRET_KEY = "test-only-not-secret"  # noqa: S105 - never used outside tests
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    WTF_CSRF_ENABLED = False
    DEMO_PASSWORD = "demo-password-for-tests"  # noqa: S105
    AUDIT_KEY = "test-audit-key-not-secret"
    # Each read event is written at once, so tests see it after the request.
    AUDIT_BATCH_SIZE = 1
    # Fast hashing: the default scrypt cost makes every sign-in in a test slow.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 - a method name
    # Pages are rendered afresh, so tests see what the queries give (the
    # cache has tests of its own).
    PUBLIC_PAGE_CACHE_ENTRIES = 0


class ProductionConfig(Config):
    """Production: secrets and the database come from the environment."""

    ENV_NAME = "production"

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"


CONFIGS = {
    "default": Config,
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
