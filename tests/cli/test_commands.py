import os
import subprocess
import sys

import sqlalchemy as sa
from sqlalchemy_continuum import versioning_manager

from fundtrack.models import Allocation, Disbursement, Fund, User
from tests.conftest import DEMO_PASSWORD


def _count(db_session, model):
    return db_session.scalar(sa.select(sa.func.count()).select_from(model))


def test_users_create_adds_a_user_who_can_get_a_token(runner, client):
    args = ["users", "create", "--username", "ningxiang_finance", "--role", "maker"]
    result = runner.invoke(args=[*args, "--region", "430124", "--password", "Ningxiang-2018"])
    assert result.exit_code == 0, result.output
    assert "created user ningxiang_finance" in result.output
    response = client.post(
        "/api/v1/tokens", json={"username": "ningxiang_finance", "password": "Ningxiang-2018"}
    )
    assert response.status_code == 201


def test_users_create_refuses_weak_passwords_unknown_regions_and_duplicates(runner, db_session):

    before = _count(db_session, User)
    cases = [
        (["--username", "weak_user", "--region", "430481", "--password", "short1"], "至少"),
        (["--username", "weak_user", "--region", "430481", "--password", "abcdefghijkl"], "字母"),
        (["--username", "nowhere", "--region", "999999", "--password", "Long-enough-1"], "地区"),
        (["--username", "auditor", "--region", "430000", "--password", "Long-enough-1"], "已存在"),
    ]
    for args, message in cases:
        result = runner.invoke(args=["users", "create", "--role", "maker", *args])
        assert result.exit_code != 0, args
        assert message in result.output, result.output
    assert _count(db_session, User) == before


def test_demo_is_idempotent(runner, db_session):

    counted = [Allocation, Disbursement, Fund, User, versioning_manager.transaction_cls]
    before = [_count(db_session, model) for model in counted]
    result = runner.invoke(args=["demo", "--password", DEMO_PASSWORD])
    assert result.exit_code == 0, result.output
    assert "not itemised 10000000.00" in result.output
    assert "leiyang_finance" in result.output
    assert [_count(db_session, model) for model in counted] == before


def test_reference_load_is_idempotent(runner):
    result = runner.invoke(args=["reference", "load"])
    assert result.exit_code == 0, result.output
    assert "regions 0 written" in result.output


def test_upgrade_and_demo_work_from_any_directory(tmp_path):
    """What a new user types, in a directory that is not the project's."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'elsewhere.sqlite'}",
        "SECRET_KEY": "x" * 40,
    }
    flask = [sys.executable, "-m", "flask", "--app", "fundtrack"]
    for args in (["db", "upgrade"], ["demo", "--password", DEMO_PASSWORD]):
        done = subprocess.run(
            flask + args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
    assert "2017-SJH 三结合项目经费: budget 5180000.00" in done.stdout
    assert (tmp_path / "elsewhere.sqlite").stat().st_size > 0
