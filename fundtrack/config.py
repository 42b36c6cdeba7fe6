"""Defaults. ``instance/config.py``, then environment variables, then ``create_app(config)``
override them.

Environment: ``DATABASE_URL`` (default SQLite in instance/), ``SECRET_KEY``,
``FUNDTRACK_ENV=production``, and any ``FUNDTRACK_<KEY>`` for the keys below.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

#: placeholder values that never count as a real secret
#: the checkout (or install) root: instance/, templates/ and migrations/ live here
PROJECT_ROOT = Path(__file__).resolve().parent.parent

WEAK_SECRETS = {"", "dev", "secret", "changeme", "change-me", "development"}
MIN_SECRET_LENGTH = 32


class DefaultConfig:
    #: "development" or "production"; production refuses weak secrets and sets Secure cookies
    ENV = "development"
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SQLALCHEMY_RECORD_QUERIES = False

    API_TITLE = "fundtrack API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"

    #: lifetime of an API token
    API_TOKEN_TTL = timedelta(hours=12)
    #: failed logins allowed per account and per address before 429
    LOGIN_FAILURE_LIMIT = "5 per 5 minutes"
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    #: addresses of reverse proxies whose X-Forwarded-For is believed
    TRUSTED_PROXIES: tuple[str, ...] = ("127.0.0.1", "::1")

    #: month-day of the following year by which a year's evaluations are due
    EVALUATION_DEADLINE = "03-31"

    #: the file of the key that signs the audit tree's heads; development makes one in
    #: instance/ once, production refuses to start without one (README: 审计见证)
    AUDIT_SIGNING_KEY_FILE: str | None = None
    #: "ed25519" or "sm2-sm3" (GB/T 39786-2021 商用密码), for a key generated in development
    AUDIT_SIGNING_ALGORITHM = "ed25519"
    #: public key files of retired signing keys, whose heads still verify
    AUDIT_TRUSTED_KEY_FILES: tuple[str, ...] = ()
    #: a directory outside the database (WORM storage, another machine) where a signed head
    #: is appended every AUDIT_DIGEST_EVERY sealed transactions; None: no digests
    AUDIT_DIGEST_DIR: str | None = None
    AUDIT_DIGEST_EVERY = 100
    #: days a 公示 runs unless its end is given, and the fewest it may run
    PUBLICITY_DAYS = 7
    PUBLICITY_MIN_DAYS = 5
    #: rendered output (a fund's balance tree, the balances API's JSON) each worker keeps,
    #: keyed on the figures it shows (core.fragments); 0: none
    FRAGMENT_CACHE_SIZE = 256

    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "fundtrack_session"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    #: WTForms' own messages follow the page language (core.i18n)
    WTF_I18N_ENABLED = True


def normalise_database_url(url: str) -> str:
    """Accept the usual spellings of a PostgreSQL URL and use psycopg 3 for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def default_database_url(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "fundtrack.sqlite")


def write_private_file(path: Path, text: str) -> None:
    """Create ``path`` readable by its owner only (0600); never overwrites (FileExistsError)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


def resolve_secret_key(config, instance_path: str) -> str:
    """The secret from config or environment; in development a file generated once in instance/.

    Production refuses to start without a real secret of its own.
    """
    key = config.get("SECRET_KEY") or os.environ.get("SECRET_KEY")
    if config.get("ENV") == "production":
        if not key or key.lower() in WEAK_SECRETS or len(key) < MIN_SECRET_LENGTH:
            raise RuntimeError(
                "fundtrack refuses to start in production without a real SECRET_KEY "
                f"(at least {MIN_SECRET_LENGTH} random characters, from the environment "
                "or instance/config.py)"
            )
        return key
    if key:
        return key
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        write_private_file(path, secrets.token_urlsafe(48))
    return path.read_text().strip()
