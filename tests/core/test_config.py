"""Configuration helpers: database URL spelling and the secret key."""

import secrets
import stat

import pytest

from fundtrack.config import MIN_SECRET_LENGTH, normalise_database_url, resolve_secret_key


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u:p@db:5432/fundtrack", "postgresql+psycopg://u:p@db:5432/fundtrack"),
        ("postgresql://u:p@db/fundtrack", "postgresql+psycopg://u:p@db/fundtrack"),
        ("postgresql://localhost/fundtrack?sslmode=require",
         "postgresql+psycopg://localhost/fundtrack?sslmode=require"),
        ("postgresql+psycopg://u@db/fundtrack", "postgresql+psycopg://u@db/fundtrack"),
        ("sqlite:////var/lib/fundtrack/fundtrack.sqlite",
         "sqlite:////var/lib/fundtrack/fundtrack.sqlite"),
        ("sqlite://", "sqlite://"),
    ],
)  # fmt: skip
def test_normalise_database_url(url, expected):
    assert normalise_database_url(url) == expected


# --- development ---------------------------------------------------------------------------------


@pytest.fixture
def no_env_secret(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)


def test_development_generates_a_secret_file_once(no_env_secret, tmp_path):
    instance = tmp_path / "instance"
    first = resolve_secret_key({"ENV": "development"}, str(instance))
    second = resolve_secret_key({"ENV": "development"}, str(instance))

    assert first == second
    assert len(first) >= MIN_SECRET_LENGTH
    path = instance / "secret_key"
    assert path.read_text().strip() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_development_secrets_differ_between_instances(no_env_secret, tmp_path):
    one = resolve_secret_key({"ENV": "development"}, str(tmp_path / "one"))
    two = resolve_secret_key({"ENV": "development"}, str(tmp_path / "two"))
    assert one != two


def test_development_without_env_setting_also_generates(no_env_secret, tmp_path):
    key = resolve_secret_key({}, str(tmp_path))
    assert key == (tmp_path / "secret_key").read_text().strip()


def test_development_prefers_the_configured_key(no_env_secret, tmp_path):
    assert resolve_secret_key({"ENV": "development", "SECRET_KEY": "dev"}, str(tmp_path)) == "dev"
    assert not (tmp_path / "secret_key").exists()


def test_development_uses_the_environment_key(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert resolve_secret_key({"ENV": "development"}, str(tmp_path)) == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


# --- production ----------------------------------------------------------------------------------


def test_production_refuses_to_start_without_a_key(no_env_secret, tmp_path):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        resolve_secret_key({"ENV": "production"}, str(tmp_path))
    assert not (tmp_path / "secret_key").exists()


def test_production_ignores_a_generated_development_secret(no_env_secret, tmp_path):
    resolve_secret_key({"ENV": "development"}, str(tmp_path))
    with pytest.raises(RuntimeError):
        resolve_secret_key({"ENV": "production"}, str(tmp_path))


@pytest.mark.parametrize(
    "key",
    [
        "",
        "changeme",
        "CHANGEME",
        "secret",
        "dev",
        "development",
        "change-me",
        "x" * (MIN_SECRET_LENGTH - 1),
        secrets.token_urlsafe(16),
    ],
)
def test_production_refuses_weak_or_short_keys(no_env_secret, tmp_path, key):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        resolve_secret_key({"ENV": "production", "SECRET_KEY": key}, str(tmp_path))


def test_production_refuses_a_weak_key_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "changeme")
    with pytest.raises(RuntimeError):
        resolve_secret_key({"ENV": "production"}, str(tmp_path))


def test_production_accepts_a_long_random_key(no_env_secret, tmp_path):
    key = secrets.token_hex(24)
    assert len(key) == 48
    assert resolve_secret_key({"ENV": "production", "SECRET_KEY": key}, str(tmp_path)) == key
    assert not (tmp_path / "secret_key").exists()


def test_production_accepts_a_long_random_key_from_the_environment(monkeypatch, tmp_path):
    key = secrets.token_urlsafe(36)
    assert len(key) == 48
    monkeypatch.setenv("SECRET_KEY", key)
    assert resolve_secret_key({"ENV": "production"}, str(tmp_path)) == key
