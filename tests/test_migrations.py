"""The models and the migrations agree, and the migrations go down and up again."""

from __future__ import annotations

import contextlib

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from fundtrack import create_app
from fundtrack.core.migrations import configure_kwargs
from fundtrack.extensions import db
from fundtrack.reference import load_reference_data


def test_autogenerate_finds_no_difference_between_models_and_migrations(app, _schema):

    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={**configure_kwargs(connection.dialect.name)}
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_version_and_transaction_tables_are_in_the_migrated_schema(app, _schema):

    with app.app_context():
        tables = set(sa.inspect(db.engine).get_table_names())
    for name in (
        "transaction",
        "funds_version",
        "fund_earmarks_version",
        "allocations_version",
        "allocation_recalls_version",
        "disbursements_version",
        "beneficiaries_version",
        "evaluations_version",
        "evaluation_indicators_version",
        "evaluation_declared_uses_version",
        "users_version",
    ):
        assert name in tables, name


@contextlib.contextmanager
def _upgraded_with_reference_data(url):
    """An app context on the scratch database at ``url``, upgraded to head with the
    reference data committed; its connections closed afterwards."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x" * 40, "TESTING": True})
    with app.app_context():
        try:
            flask_migrate.upgrade()
            load_reference_data(db.session)
            db.session.commit()
            db.session.remove()
            yield
        finally:
            db.session.remove()
            db.engine.dispose()


def test_downgrade_to_base_and_upgrade_again(scratch_database_url):

    with _upgraded_with_reference_data(scratch_database_url):
        flask_migrate.downgrade(revision="base")
        remaining = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        flask_migrate.upgrade()
        assert "funds_version" in sa.inspect(db.engine).get_table_names()
        assert load_reference_data(db.session)["regions"] == 137
        db.session.commit()


def test_the_kept_balances_upgrade_names_what_already_overspends(scratch_database_url, capfd):
    """A database whose records already spend more than a region received cannot get the
    kept balances' CHECK: the upgrade stops before it creates anything and names the fund,
    the region and its figures, instead of failing on a bare constraint error."""
    with _upgraded_with_reference_data(scratch_database_url):
        flask_migrate.downgrade(revision="7a8756f4cf28")
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO users (id, username, display_name, password_hash, role, "
                    "region_code, active, created_at, language) VALUES (1, 'legacy', "
                    "'legacy', 'x', 'maker', '430000', true, :now, 'zh')"
                ),
                {"now": "2018-01-01 00:00:00"},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO funds (id, code, name, kind_code, fiscal_year, region_code, "
                    "source, budget_fen, status, year_end_policy, created_at) VALUES "
                    "(1, '2018-OLD', 'old', 'other', 2018, '430000', 'province', 100000, "
                    "'active', 'recall', :now)"
                ),
                {"now": "2018-01-01 00:00:00"},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO fund_earmarks (fund_id, category_code, earmarkable) "
                    "VALUES (1, 'project_support', true)"
                )
            )
            connection.execute(
                sa.text(
                    "INSERT INTO disbursements (id, fund_id, region_code, category_code, "
                    "amount_fen, paid_on, payee_name, project_name, voucher_no, purpose, "
                    "status, created_at, created_by_id) VALUES (1, 1, '430000', "
                    "'project_support', 250000, '2018-03-01', 'x', 'x', 'V-1', 'x', "
                    "'approved', :now, 1)"
                ),
                {"now": "2018-03-01 00:00:00"},
            )
        with pytest.raises(SystemExit):  # flask db upgrade prints the error, exits 1
            flask_migrate.upgrade()
        message = capfd.readouterr().err
        assert "1 fund region(s)" in message
        assert "fund 2018-OLD, region 430000: available -1500.00 yuan" in message
        assert "paid or reserved 2500.00" in message
        db.session.remove()
        assert "fund_balances" not in sa.inspect(db.engine).get_table_names()
        with db.engine.connect() as connection:
            version = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
            assert version.scalar() == "7a8756f4cf28"
