"""The models and the migrations agree, and the migrations go down and up again."""

from __future__ import annotations

import flask_migrate
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


def test_downgrade_to_base_and_upgrade_again(scratch_database_url):

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": scratch_database_url, "SECRET_KEY": "x" * 40, "TESTING": True}
    )
    with app.app_context():
        try:
            flask_migrate.upgrade()
            load_reference_data(db.session)
            db.session.commit()
            db.session.remove()
            flask_migrate.downgrade(revision="base")
            remaining = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
            assert remaining == set()
            flask_migrate.upgrade()
            assert "funds_version" in sa.inspect(db.engine).get_table_names()
            assert load_reference_data(db.session)["regions"] == 137
            db.session.commit()
        finally:
            db.session.remove()
            db.engine.dispose()
