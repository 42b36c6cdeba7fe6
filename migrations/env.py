"""Alembic environment for fundtrack (through Flask-Migrate).

The models are imported (fundtrack.models) so that continuum's version and transaction
tables are part of the metadata that autogenerate compares.
"""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

import fundtrack.models  # noqa: F401  configures mappers: version tables exist from here on
from fundtrack.core.migrations import configure_kwargs

config = context.config
if config.config_file_name:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

db = current_app.extensions["migrate"].db


def run_migrations_offline():
    context.configure(
        url=str(db.engine.url),
        target_metadata=db.metadata,
        literal_binds=True,
        **configure_kwargs(db.engine.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    with db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # batch mode rebuilds tables that others refer to (drop, create, copy, rename):
            # SQLite's own procedure for that (https://sqlite.org/lang_altertable.html) turns
            # foreign keys off (outside a transaction: here) and checks them afterwards
            # (on the driver's connection: SQLAlchemy's would begin a transaction first)
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection,
            target_metadata=db.metadata,
            process_revision_directives=process_revision_directives,
            **configure_kwargs(connection.dialect.name),
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").first()
                if broken is not None:
                    raise RuntimeError(f"a migration broke a foreign key: {tuple(broken)}")
        if sqlite:
            # not back to the pool with foreign keys off: the next connection is a new one,
            # set up as every connection is (core.db_setup)
            connection.invalidate()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
