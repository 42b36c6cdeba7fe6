"""two people for every movement of money

A fund's budget is proposed (``draft``) and approved by a second person; a year-end close is
a proposal (``year_end_closes``, the fund ``closing`` meanwhile) that a second person approves
or rejects, and the recalls and carry-overs it writes name it and both people; a reversal is
a pending compensating record, so a payment may have several reversal proposals over time
but only one that is not rejected (a partial unique index instead of the unique column). The
transaction table gets ``action``, the program's sentence, beside ``reason``, the person's
own words. The funds' status CHECK gains ``closing`` and ``cancelled``; SQLite cannot alter a
constraint, so batch mode recreates the table there. A downgrade refuses nothing: closing
funds become active again, cancelled ones draft, and rejected reversal proposals (which the
older unique column cannot hold beside a later one) are deleted.

Revision ID: 7a8756f4cf28
Revises: 3a1f0c2b9d47
Create Date: 2026-12-06 13:01:14
"""

import sqlalchemy as sa
from alembic import op

revision = "7a8756f4cf28"
down_revision = "3a1f0c2b9d47"
branch_labels = None
depends_on = None

OLD_FUND_STATUSES = ("draft", "active", "closed")
NEW_FUND_STATUSES = ("draft", "active", "closing", "closed", "cancelled")


def _replace_fund_status_check(statuses) -> None:
    check = "status IN (" + ", ".join(f"'{status}'" for status in statuses) + ")"
    with op.batch_alter_table("funds") as batch_op:
        batch_op.drop_constraint(op.f("ck_funds_status_valid"), type_="check")
        batch_op.create_check_constraint(op.f("ck_funds_status_valid"), check)


def upgrade():
    op.create_table(
        "year_end_closes_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("fund_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column("policy", sa.String(length=16), autoincrement=False, nullable=True),
        sa.Column("to_fund_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column("reason", sa.UnicodeText(), autoincrement=False, nullable=True),
        sa.Column("status", sa.String(length=16), autoincrement=False, nullable=True),
        sa.Column("created_at", sa.DateTime(), autoincrement=False, nullable=True),
        sa.Column("created_by_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column("decided_by_id", sa.Integer(), autoincrement=False, nullable=True),
        sa.Column("decided_at", sa.DateTime(), autoincrement=False, nullable=True),
        sa.Column("closed_on", sa.Date(), autoincrement=False, nullable=True),
        sa.Column("transaction_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("end_transaction_id", sa.BigInteger(), nullable=True),
        sa.Column("operation_type", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", "transaction_id", name=op.f("pk_year_end_closes_version")),
    )
    with op.batch_alter_table("year_end_closes_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_year_end_closes_version_end_transaction_id"),
            ["end_transaction_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_year_end_closes_version_fund_id"), ["fund_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_year_end_closes_version_operation_type"),
            ["operation_type"],
            unique=False,
        )
        batch_op.create_index(
            "ix_year_end_closes_version_pk_transaction_id",
            ["id", sa.literal_column("transaction_id DESC")],
            unique=False,
        )
        batch_op.create_index(
            "ix_year_end_closes_version_pk_validity",
            ["id", "transaction_id", "end_transaction_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_year_end_closes_version_transaction_id"),
            ["transaction_id"],
            unique=False,
        )

    op.create_table(
        "year_end_closes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fund_id", sa.Integer(), nullable=False),
        sa.Column("policy", sa.String(length=16), nullable=False),
        sa.Column("to_fund_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.UnicodeText(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "policy IN ('recall', 'carry_over')", name=op.f("ck_year_end_closes_policy_valid")
        ),
        sa.CheckConstraint(
            "status IN ('proposed', 'approved', 'rejected')",
            name=op.f("ck_year_end_closes_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_year_end_closes_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_year_end_closes_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["fund_id"], ["funds.id"], name=op.f("fk_year_end_closes_fund_id_funds")
        ),
        sa.ForeignKeyConstraint(
            ["to_fund_id"], ["funds.id"], name=op.f("fk_year_end_closes_to_fund_id_funds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_year_end_closes")),
    )
    with op.batch_alter_table("year_end_closes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_year_end_closes_fund_id"), ["fund_id"], unique=False)

    with op.batch_alter_table("allocation_recalls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("year_end_close_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_allocation_recalls_year_end_close_id"),
            ["year_end_close_id"],
            unique=False,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_allocation_recalls_year_end_close_id_year_end_closes"),
            "year_end_closes",
            ["year_end_close_id"],
            ["id"],
        )

    with op.batch_alter_table("allocation_recalls_version", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("year_end_close_id", sa.Integer(), autoincrement=False, nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_allocation_recalls_version_year_end_close_id"),
            ["year_end_close_id"],
            unique=False,
        )

    with op.batch_alter_table("disbursements", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_disbursements_reverses_id"), type_="unique")
        batch_op.create_index(
            batch_op.f("ix_disbursements_reverses_id"), ["reverses_id"], unique=False
        )
        batch_op.create_index(
            "uq_disbursements_live_reversal",
            ["reverses_id"],
            unique=True,
            postgresql_where=sa.text("status <> 'rejected'"),
            sqlite_where=sa.text("status <> 'rejected'"),
        )

    with op.batch_alter_table("disbursements_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_disbursements_version_reverses_id"), ["reverses_id"], unique=False
        )

    with op.batch_alter_table("fund_carry_overs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approved_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("year_end_close_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_fund_carry_overs_year_end_close_id"), ["year_end_close_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_fund_carry_overs_approved_by_id_users"),
            "users",
            ["approved_by_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_fund_carry_overs_year_end_close_id_year_end_closes"),
            "year_end_closes",
            ["year_end_close_id"],
            ["id"],
        )

    with op.batch_alter_table("fund_carry_overs_version", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("approved_by_id", sa.Integer(), autoincrement=False, nullable=True)
        )
        batch_op.add_column(
            sa.Column("year_end_close_id", sa.Integer(), autoincrement=False, nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_fund_carry_overs_version_year_end_close_id"),
            ["year_end_close_id"],
            unique=False,
        )

    with op.batch_alter_table("funds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approved_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("approved_at", sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_funds_approved_by_id_users"), "users", ["approved_by_id"], ["id"]
        )

    with op.batch_alter_table("funds_version", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("approved_by_id", sa.Integer(), autoincrement=False, nullable=True)
        )
        batch_op.add_column(
            sa.Column("approved_at", sa.DateTime(), autoincrement=False, nullable=True)
        )

    with op.batch_alter_table("transaction", schema=None) as batch_op:
        batch_op.add_column(sa.Column("action", sa.UnicodeText(), nullable=True))

    _replace_fund_status_check(NEW_FUND_STATUSES)


def downgrade():
    funds = sa.table("funds", sa.column("status", sa.String))
    op.execute(funds.update().where(funds.c.status == "closing").values(status="active"))
    op.execute(funds.update().where(funds.c.status == "cancelled").values(status="draft"))
    _replace_fund_status_check(OLD_FUND_STATUSES)
    disbursements = sa.table(
        "disbursements", sa.column("status", sa.String), sa.column("reverses_id", sa.Integer)
    )
    op.execute(
        disbursements.delete().where(
            disbursements.c.reverses_id.is_not(None), disbursements.c.status == "rejected"
        )
    )
    with op.batch_alter_table("transaction", schema=None) as batch_op:
        batch_op.drop_column("action")

    with op.batch_alter_table("funds_version", schema=None) as batch_op:
        batch_op.drop_column("approved_at")
        batch_op.drop_column("approved_by_id")

    with op.batch_alter_table("funds", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_funds_approved_by_id_users"), type_="foreignkey")
        batch_op.drop_column("approved_at")
        batch_op.drop_column("approved_by_id")

    with op.batch_alter_table("fund_carry_overs_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fund_carry_overs_version_year_end_close_id"))
        batch_op.drop_column("year_end_close_id")
        batch_op.drop_column("approved_by_id")

    with op.batch_alter_table("fund_carry_overs", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_fund_carry_overs_year_end_close_id_year_end_closes"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_fund_carry_overs_approved_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_fund_carry_overs_year_end_close_id"))
        batch_op.drop_column("year_end_close_id")
        batch_op.drop_column("approved_by_id")

    with op.batch_alter_table("disbursements_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disbursements_version_reverses_id"))

    with op.batch_alter_table("disbursements", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_disbursements_live_reversal",
            postgresql_where=sa.text("status <> 'rejected'"),
            sqlite_where=sa.text("status <> 'rejected'"),
        )
        batch_op.drop_index(batch_op.f("ix_disbursements_reverses_id"))
        batch_op.create_unique_constraint(
            batch_op.f("uq_disbursements_reverses_id"), ["reverses_id"]
        )

    with op.batch_alter_table("allocation_recalls_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allocation_recalls_version_year_end_close_id"))
        batch_op.drop_column("year_end_close_id")

    with op.batch_alter_table("allocation_recalls", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_allocation_recalls_year_end_close_id_year_end_closes"),
            type_="foreignkey",
        )
        batch_op.drop_index(batch_op.f("ix_allocation_recalls_year_end_close_id"))
        batch_op.drop_column("year_end_close_id")

    with op.batch_alter_table("year_end_closes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_year_end_closes_fund_id"))

    op.drop_table("year_end_closes")
    with op.batch_alter_table("year_end_closes_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_year_end_closes_version_transaction_id"))
        batch_op.drop_index("ix_year_end_closes_version_pk_validity")
        batch_op.drop_index("ix_year_end_closes_version_pk_transaction_id")
        batch_op.drop_index(batch_op.f("ix_year_end_closes_version_operation_type"))
        batch_op.drop_index(batch_op.f("ix_year_end_closes_version_fund_id"))
        batch_op.drop_index(batch_op.f("ix_year_end_closes_version_end_transaction_id"))

    op.drop_table("year_end_closes_version")
