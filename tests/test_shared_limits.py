"""Several app processes (gunicorn workers, machines) share login throttling through Redis
when ``RATELIMIT_STORAGE_URI`` names it: failed logins spread over two processes count
together. Real processes, because the limiter is one object per process."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import uuid

import pytest

REDIS = ("127.0.0.1", 6379)


def _redis_is_there() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1):
            return True
    except OSError:
        return False


WORKER = textwrap.dedent("""
    import sys
    import flask_migrate
    from fundtrack import create_app
    from fundtrack.extensions import db

    database, prefix, attempts, migrate = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": database,
        "SECRET_KEY": "x" * 40,
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
        "RATELIMIT_KEY_PREFIX": prefix,
        "LOGIN_FAILURE_LIMIT": "5 per 5 minutes",
    })
    if migrate == "1":
        with app.app_context():
            flask_migrate.upgrade()
    client = app.test_client()
    for _ in range(attempts):
        answer = client.post("/api/v1/tokens",
                             json={"username": "nobody", "password": "wrong-password-1"})
        print(answer.status_code)
""")


def _worker(tmp_path, prefix: str, attempts: int, migrate: bool) -> list[int]:
    result = subprocess.run(
        [sys.executable, "-c", WORKER, f"sqlite:///{tmp_path}/shared.sqlite", prefix,
         str(attempts), "1" if migrate else "0"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return [int(line) for line in result.stdout.split()]


@pytest.mark.skipif(not _redis_is_there(), reason="needs Redis at 127.0.0.1:6379")
def test_failed_logins_count_across_processes(tmp_path):
    prefix = f"fundtrack-test-{uuid.uuid4().hex}"
    assert _worker(tmp_path, prefix, 3, migrate=True) == [401, 401, 401]
    # another process: two more failures reach the limit of 5, the next is refused
    assert _worker(tmp_path, prefix, 3, migrate=False) == [401, 401, 429]
    # a third process sees the limit too
    assert _worker(tmp_path, prefix, 1, migrate=False) == [429]
    # another deployment on the same Redis (its own RATELIMIT_KEY_PREFIX) counts on its own
    other = f"fundtrack-test-{uuid.uuid4().hex}"
    assert _worker(tmp_path, other, 1, migrate=False) == [401]
