"""the beneficiary register with review and 公示

Beneficiaries get a status (pending → registered → exit_pending → exited, or rejected), the
household, contact, bank account and evidence, and the two people of each review; the unique
ID number becomes unique among live registrations only (a family that moved away may be
registered again elsewhere). 公示, their entries and objections, and the refused duplicate
registrations get tables of their own; categories say whether they need a 公示. The rows
already there are registered (they were entered before review existed) and written as a new
version in one sealed transaction of this revision (sealed from the version tables as the
database has them, not as the models know them). The version columns added here are left out
of a link's payload while NULL (audit.chain.LATER_VERSION_COLUMNS), so the links sealed before
still verify.

A downgrade keeps those version columns (the history is append-only) and refuses while any
公示, entry or objection was written; it fails if an ID number is registered twice (an exit
followed by a new registration), and the older code's audit verify cannot recompute the
links that wrote the new columns: restore a backup rather than downgrade a database in use.

Revision ID: a579d227e144
Revises: c4f7a2e9d183
Create Date: 2026-12-07 12:30:13
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from fundtrack.audit.chain import seal

# revision identifiers, used by Alembic.
revision = "a579d227e144"
down_revision = "c4f7a2e9d183"
branch_labels = None
depends_on = None

#: the categories paid to persons that need a 公示 (fundtrack/data/categories.csv)
PERSONAL_BENEFITS = (
    "hospital_allowance",
    "nursing_subsidy",
    "hardship_relief",
    "special_family_support",
)


def upgrade():
    op.create_table(
        "publicities_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("region_code", sa.String(length=6), autoincrement=False, nullable=True),
        sa.Column("category_code", sa.String(length=32), autoincrement=False, nullable=True),
        sa.Column("title", sa.Unicode(length=128), autoincrement=False, nullable=True),
        sa.Column("start_on", sa.Date(), autoincrement=False, nullable=True),
        sa.Column("end_on", sa.Date(), autoincrement=False, nullable=True),
        sa.Column("objection_place", sa.Unicode(length=128), autoincrement=False, nullable=True),
        sa.Column("objection_phone", sa.String(length=32), autoincrement=False, nullable=True),
        sa.Column("issuer", sa.Unicode(length=128), autoincrement=False, nullable=True),
        sa.Column("status", sa.String(length=16), autoincrement=False, nullable=True),
        sa.Column("created_by_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column("created_at", sa.DateTime(), autoincrement=False, nullable=True),
        sa.Column("closed_by_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column("closed_at", sa.DateTime(), autoincrement=False, nullable=True),
        sa.Column("transaction_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("end_transaction_id", sa.BigInteger(), nullable=True),
        sa.Column("operation_type", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", "transaction_id", name=op.f("pk_publicities_version")),
    )
    with op.batch_alter_table("publicities_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_publicities_version_category_code"), ["category_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_publicities_version_end_transaction_id"),
            ["end_transaction_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_publicities_version_operation_type"), ["operation_type"], unique=False
        )
        batch_op.create_index(
            "ix_publicities_version_pk_transaction_id",
            ["id", sa.literal_column("transaction_id DESC")],
            unique=False,
        )
        batch_op.create_index(
            "ix_publicities_version_pk_validity",
            ["id", "transaction_id", "end_transaction_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_publicities_version_region_code"), ["region_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_publicities_version_transaction_id"), ["transaction_id"], unique=False
        )

    op.create_table(
        "publicity_entries_version",
        sa.Column("publicity_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("beneficiary_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), autoincrement=False, nullable=True),
        sa.Column("transaction_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("end_transaction_id", sa.BigInteger(), nullable=True),
        sa.Column("operation_type", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "publicity_id",
            "beneficiary_id",
            "transaction_id",
            name=op.f("pk_publicity_entries_version"),
        ),
    )
    with op.batch_alter_table("publicity_entries_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_publicity_entries_version_beneficiary_id"),
            ["beneficiary_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_publicity_entries_version_end_transaction_id"),
            ["end_transaction_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_publicity_entries_version_operation_type"),
            ["operation_type"],
            unique=False,
        )
        batch_op.create_index(
            "ix_publicity_entries_version_pk_transaction_id",
            ["publicity_id", "beneficiary_id", sa.literal_column("transaction_id DESC")],
            unique=False,
        )
        batch_op.create_index(
            "ix_publicity_entries_version_pk_validity",
            ["publicity_id", "beneficiary_id", "transaction_id", "end_transaction_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_publicity_entries_version_transaction_id"),
            ["transaction_id"],
            unique=False,
        )

    op.create_table(
        "publicity_objections_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("publicity_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column("beneficiary_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column("reporter", sa.Unicode(length=64), autoincrement=False, nullable=True),
        sa.Column("reporter_contact", sa.Unicode(length=64), autoincrement=False, nullable=True),
        sa.Column("content", sa.UnicodeText(), autoincrement=False, nullable=True),
        sa.Column("received_on", sa.Date(), autoincrement=False, nullable=True),
        sa.Column("status", sa.String(length=16), autoincrement=False, nullable=True),
        sa.Column("decision", sa.UnicodeText(), autoincrement=False, nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column("decided_by_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column("decided_at", sa.DateTime(), autoincrement=False, nullable=True),
        sa.Column("transaction_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("end_transaction_id", sa.BigInteger(), nullable=True),
        sa.Column("operation_type", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "id", "transaction_id", name=op.f("pk_publicity_objections_version")
        ),
    )
    with op.batch_alter_table("publicity_objections_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_publicity_objections_version_beneficiary_id"),
            ["beneficiary_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_publicity_objections_version_end_transaction_id"),
            ["end_transaction_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_publicity_objections_version_operation_type"),
            ["operation_type"],
            unique=False,
        )
        batch_op.create_index(
            "ix_publicity_objections_version_pk_transaction_id",
            ["id", sa.literal_column("transaction_id DESC")],
            unique=False,
        )
        batch_op.create_index(
            "ix_publicity_objections_version_pk_validity",
            ["id", "transaction_id", "end_transaction_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_publicity_objections_version_publicity_id"),
            ["publicity_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_publicity_objections_version_transaction_id"),
            ["transaction_id"],
            unique=False,
        )

    op.create_table(
        "publicities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("category_code", sa.String(length=32), nullable=False),
        sa.Column("title", sa.Unicode(length=128), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=False),
        sa.Column("objection_place", sa.Unicode(length=128), nullable=False),
        sa.Column("objection_phone", sa.String(length=32), nullable=False),
        sa.Column("issuer", sa.Unicode(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'ended', 'withdrawn')", name=op.f("ck_publicities_status_valid")
        ),
        sa.CheckConstraint("start_on <= end_on", name=op.f("ck_publicities_date_range")),
        sa.ForeignKeyConstraint(
            ["category_code"],
            ["expenditure_categories.code"],
            name=op.f("fk_publicities_category_code_expenditure_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["users.id"], name=op.f("fk_publicities_closed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_publicities_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_publicities_region_code_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publicities")),
    )
    with op.batch_alter_table("publicities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_publicities_category_code"), ["category_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_publicities_region_code"), ["region_code"], unique=False
        )

    op.create_table(
        "beneficiary_duplicates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.Unicode(length=64), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("other_beneficiary_id", sa.Integer(), nullable=False),
        sa.Column("other_region_code", sa.String(length=6), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["other_beneficiary_id"],
            ["beneficiaries.id"],
            name=op.f("fk_beneficiary_duplicates_other_beneficiary_id_beneficiaries"),
        ),
        sa.ForeignKeyConstraint(
            ["other_region_code"],
            ["regions.code"],
            name=op.f("fk_beneficiary_duplicates_other_region_code_regions"),
        ),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.code"],
            name=op.f("fk_beneficiary_duplicates_region_code_regions"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_beneficiary_duplicates_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_beneficiary_duplicates")),
    )
    with op.batch_alter_table("beneficiary_duplicates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_beneficiary_duplicates_other_region_code"),
            ["other_region_code"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_beneficiary_duplicates_region_code"), ["region_code"], unique=False
        )

    op.create_table(
        "publicity_entries",
        sa.Column("publicity_id", sa.Integer(), nullable=False),
        sa.Column("beneficiary_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_publicity_entries_amount_fen_positive")),
        sa.ForeignKeyConstraint(
            ["beneficiary_id"],
            ["beneficiaries.id"],
            name=op.f("fk_publicity_entries_beneficiary_id_beneficiaries"),
        ),
        sa.ForeignKeyConstraint(
            ["publicity_id"],
            ["publicities.id"],
            name=op.f("fk_publicity_entries_publicity_id_publicities"),
        ),
        sa.PrimaryKeyConstraint(
            "publicity_id", "beneficiary_id", name=op.f("pk_publicity_entries")
        ),
        sa.UniqueConstraint("publicity_id", "position", name="uq_publicity_entries_position"),
    )
    with op.batch_alter_table("publicity_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_publicity_entries_beneficiary_id"), ["beneficiary_id"], unique=False
        )

    op.create_table(
        "publicity_objections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("publicity_id", sa.Integer(), nullable=False),
        sa.Column("beneficiary_id", sa.Integer(), nullable=True),
        sa.Column("reporter", sa.Unicode(length=64), nullable=False),
        sa.Column("reporter_contact", sa.Unicode(length=64), nullable=False),
        sa.Column("content", sa.UnicodeText(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decision", sa.UnicodeText(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'upheld', 'dismissed')",
            name=op.f("ck_publicity_objections_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["beneficiary_id"],
            ["beneficiaries.id"],
            name=op.f("fk_publicity_objections_beneficiary_id_beneficiaries"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_publicity_objections_decided_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["publicity_id"],
            ["publicities.id"],
            name=op.f("fk_publicity_objections_publicity_id_publicities"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_publicity_objections_recorded_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publicity_objections")),
    )
    with op.batch_alter_table("publicity_objections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_publicity_objections_beneficiary_id"), ["beneficiary_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_publicity_objections_publicity_id"), ["publicity_id"], unique=False
        )

    with op.batch_alter_table("beneficiaries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "household", sa.Unicode(length=128), nullable=False, server_default=sa.text("''")
            )
        )
        batch_op.add_column(
            sa.Column("phone", sa.String(length=20), nullable=False, server_default=sa.text("''"))
        )
        batch_op.add_column(sa.Column("bank_account", sa.String(length=34), nullable=True))
        batch_op.add_column(
            sa.Column("evidence", sa.UnicodeText(), nullable=False, server_default=sa.text("''"))
        )
        batch_op.add_column(
            sa.Column(
                "evidence_document_no",
                sa.Unicode(length=64),
                nullable=False,
                server_default=sa.text("''"),
            )
        )
        batch_op.add_column(
            sa.Column(
                "status",
                sa.String(length=16),
                nullable=False,
                server_default=sa.text("'registered'"),
            )
        )
        batch_op.add_column(sa.Column("exit_reason", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("exit_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("created_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reviewed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reviewed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("exit_proposed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("exit_decided_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("exit_decided_at", sa.DateTime(), nullable=True))
        batch_op.drop_constraint(batch_op.f("uq_beneficiaries_id_number"), type_="unique")
        batch_op.create_check_constraint(
            batch_op.f("ck_beneficiaries_status_valid"),
            "status IN ('pending', 'registered', 'rejected', 'exit_pending', 'exited')",
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_beneficiaries_exit_reason_valid"),
            "exit_reason IS NULL OR exit_reason IN ('death', 'moved', 'ineligible')",
        )
        batch_op.create_index(batch_op.f("ix_beneficiaries_id_number"), ["id_number"], unique=False)
        batch_op.create_index(
            "ix_beneficiaries_waiting",
            ["region_code", "status"],
            unique=False,
            postgresql_where=sa.text("status IN ('pending', 'exit_pending')"),
            sqlite_where=sa.text("status IN ('pending', 'exit_pending')"),
        )
        batch_op.create_index(
            "uq_beneficiaries_live_id_number",
            ["id_number"],
            unique=True,
            postgresql_where=sa.text("status IN ('pending', 'registered', 'exit_pending')"),
            sqlite_where=sa.text("status IN ('pending', 'registered', 'exit_pending')"),
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_beneficiaries_created_by_id_users"), "users", ["created_by_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_beneficiaries_exit_proposed_by_id_users"),
            "users",
            ["exit_proposed_by_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_beneficiaries_reviewed_by_id_users"), "users", ["reviewed_by_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_beneficiaries_exit_decided_by_id_users"),
            "users",
            ["exit_decided_by_id"],
            ["id"],
        )

    _add_version_columns(
        "beneficiaries_version",
        [
            sa.Column("household", sa.Unicode(length=128), nullable=True),
            sa.Column("phone", sa.String(length=20), nullable=True),
            sa.Column("bank_account", sa.String(length=34), nullable=True),
            sa.Column("evidence", sa.UnicodeText(), nullable=True),
            sa.Column("evidence_document_no", sa.Unicode(length=64), nullable=True),
            sa.Column("status", sa.String(length=16), nullable=True),
            sa.Column("exit_reason", sa.String(length=16), nullable=True),
            sa.Column("exit_on", sa.Date(), nullable=True),
            sa.Column("created_by_id", sa.Integer(), nullable=True),
            sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
            sa.Column("reviewed_at", sa.DateTime(), nullable=True),
            sa.Column("exit_proposed_by_id", sa.Integer(), nullable=True),
            sa.Column("exit_decided_by_id", sa.Integer(), nullable=True),
            sa.Column("exit_decided_at", sa.DateTime(), nullable=True),
        ],
        index="ix_beneficiaries_version_id_number",
    )

    with op.batch_alter_table("expenditure_categories", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("requires_publicity", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    _add_version_columns(
        "expenditure_categories_version", [sa.Column("requires_publicity", sa.Boolean())]
    )

    # the defaults were for the rows already there: new ones get theirs from the application
    # (a new registration is pending, never registered by default)
    with op.batch_alter_table("beneficiaries", schema=None) as batch_op:
        for column in ("household", "phone", "evidence", "evidence_document_no", "status"):
            batch_op.alter_column(column, server_default=None)
    with op.batch_alter_table("expenditure_categories", schema=None) as batch_op:
        batch_op.alter_column("requires_publicity", server_default=None)
    categories = sa.table(
        "expenditure_categories",
        sa.column("code", sa.String),
        sa.column("requires_publicity", sa.Boolean),
    )
    op.execute(
        categories.update()
        .where(categories.c.code.in_(PERSONAL_BENEFITS))
        .values(requires_publicity=True)
    )
    _record_upgrade(op.get_bind())


def _add_version_columns(table: str, columns, index: str | None = None) -> None:
    """Version-table columns, unless a downgrade left them (it keeps what was sealed)."""
    inspector = sa.inspect(op.get_bind())
    present = {c["name"] for c in inspector.get_columns(table)}
    indexes = {i["name"] for i in inspector.get_indexes(table)}
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            if column.name not in present:
                batch_op.add_column(column)
        if index is not None and index not in indexes:
            batch_op.create_index(index, ["id_number"], unique=False)


def _record_upgrade(connection):
    """Write the rows this revision changed (every beneficiary, now registered; every
    category, with its publicity rule) as a new version in a transaction of its own, sealed
    like any other: the live rows then equal their newest versions again, and the history
    says when and why they changed."""
    metadata = sa.MetaData()
    changed = []
    for name in ("beneficiaries", "expenditure_categories"):
        live = sa.Table(name, metadata, autoload_with=connection)
        rows = connection.execute(sa.select(live)).mappings().all()
        if rows:
            changed.append(
                (live, sa.Table(f"{name}_version", metadata, autoload_with=connection), rows)
            )
    if not changed:
        return
    transaction = sa.Table("transaction", metadata, autoload_with=connection)
    transaction_id = connection.execute(
        transaction.insert()
        .values(
            issued_at=datetime.now(UTC).replace(tzinfo=None),
            remote_addr="alembic",
            action="升级数据库：受益人档案的登记审核与公示上线，已登记的受益人视为在册；按人发放的待遇须经公示",
        )
        .returning(transaction.c.id)
    ).scalar_one()
    for live, version, rows in changed:
        key = [c.name for c in live.primary_key.columns]
        for row in rows:
            newest = sa.and_(
                *(version.c[k] == row[k] for k in key), version.c.end_transaction_id.is_(None)
            )
            connection.execute(
                version.update().where(newest).values(end_transaction_id=transaction_id)
            )
            connection.execute(
                version.insert().values(
                    **{c: row[c] for c in row if c in version.c},
                    transaction_id=transaction_id,
                    end_transaction_id=None,
                    operation_type=1,
                )
            )
    # every version table as this revision leaves it, in the models' order (by the table
    # they version): what a later revision adds is not there yet
    inspector = sa.inspect(connection)
    names = sorted(
        (
            n
            for n in inspector.get_table_names()
            if n.endswith("_version") and n != "alembic_version"
        ),
        key=lambda n: n[: -len("_version")],
    )
    seal(
        connection, transaction_id, [sa.Table(n, metadata, autoload_with=connection) for n in names]
    )


def downgrade():
    # the sealed history is append-only: the columns this revision added to version tables
    # stay (NULL in what older code writes, which the link payloads leave out), and the
    # tables whose versions are sealed go only while nothing was written to them
    connection = op.get_bind()
    for table in (
        "publicities_version",
        "publicity_entries_version",
        "publicity_objections_version",
    ):
        if connection.execute(
            sa.select(sa.literal(1)).select_from(sa.table(table)).limit(1)
        ).first():
            raise RuntimeError(
                f"{table} holds sealed history: a downgrade would delete it (audit verify "
                "would then fail); restore a backup from before this revision instead"
            )
    with op.batch_alter_table("expenditure_categories", schema=None) as batch_op:
        batch_op.drop_column("requires_publicity")

    with op.batch_alter_table("beneficiaries", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_beneficiaries_status_valid"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_beneficiaries_exit_reason_valid"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_beneficiaries_exit_decided_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_beneficiaries_reviewed_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_beneficiaries_exit_proposed_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_beneficiaries_created_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_index(
            "uq_beneficiaries_live_id_number",
            postgresql_where=sa.text("status IN ('pending', 'registered', 'exit_pending')"),
            sqlite_where=sa.text("status IN ('pending', 'registered', 'exit_pending')"),
        )
        batch_op.drop_index("ix_beneficiaries_waiting")
        batch_op.drop_index(batch_op.f("ix_beneficiaries_id_number"))
        batch_op.create_unique_constraint(batch_op.f("uq_beneficiaries_id_number"), ["id_number"])
        batch_op.drop_column("exit_decided_at")
        batch_op.drop_column("exit_decided_by_id")
        batch_op.drop_column("exit_proposed_by_id")
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("reviewed_by_id")
        batch_op.drop_column("created_by_id")
        batch_op.drop_column("exit_on")
        batch_op.drop_column("exit_reason")
        batch_op.drop_column("status")
        batch_op.drop_column("evidence_document_no")
        batch_op.drop_column("evidence")
        batch_op.drop_column("bank_account")
        batch_op.drop_column("phone")
        batch_op.drop_column("household")

    with op.batch_alter_table("publicity_objections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_publicity_objections_publicity_id"))
        batch_op.drop_index(batch_op.f("ix_publicity_objections_beneficiary_id"))

    op.drop_table("publicity_objections")
    with op.batch_alter_table("publicity_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_publicity_entries_beneficiary_id"))

    op.drop_table("publicity_entries")
    with op.batch_alter_table("beneficiary_duplicates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_beneficiary_duplicates_region_code"))
        batch_op.drop_index(batch_op.f("ix_beneficiary_duplicates_other_region_code"))

    op.drop_table("beneficiary_duplicates")
    with op.batch_alter_table("publicities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_publicities_region_code"))
        batch_op.drop_index(batch_op.f("ix_publicities_category_code"))

    op.drop_table("publicities")
    with op.batch_alter_table("publicity_objections_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_publicity_objections_version_transaction_id"))
        batch_op.drop_index(batch_op.f("ix_publicity_objections_version_publicity_id"))
        batch_op.drop_index("ix_publicity_objections_version_pk_validity")
        batch_op.drop_index("ix_publicity_objections_version_pk_transaction_id")
        batch_op.drop_index(batch_op.f("ix_publicity_objections_version_operation_type"))
        batch_op.drop_index(batch_op.f("ix_publicity_objections_version_end_transaction_id"))
        batch_op.drop_index(batch_op.f("ix_publicity_objections_version_beneficiary_id"))

    op.drop_table("publicity_objections_version")
    with op.batch_alter_table("publicity_entries_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_publicity_entries_version_transaction_id"))
        batch_op.drop_index("ix_publicity_entries_version_pk_validity")
        batch_op.drop_index("ix_publicity_entries_version_pk_transaction_id")
        batch_op.drop_index(batch_op.f("ix_publicity_entries_version_operation_type"))
        batch_op.drop_index(batch_op.f("ix_publicity_entries_version_end_transaction_id"))
        batch_op.drop_index(batch_op.f("ix_publicity_entries_version_beneficiary_id"))

    op.drop_table("publicity_entries_version")
    with op.batch_alter_table("publicities_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_publicities_version_transaction_id"))
        batch_op.drop_index(batch_op.f("ix_publicities_version_region_code"))
        batch_op.drop_index("ix_publicities_version_pk_validity")
        batch_op.drop_index("ix_publicities_version_pk_transaction_id")
        batch_op.drop_index(batch_op.f("ix_publicities_version_operation_type"))
        batch_op.drop_index(batch_op.f("ix_publicities_version_end_transaction_id"))
        batch_op.drop_index(batch_op.f("ix_publicities_version_category_code"))

    op.drop_table("publicities_version")
    # ### end Alembic commands ###
