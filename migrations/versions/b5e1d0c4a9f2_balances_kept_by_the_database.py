"""balances kept by the database

One row per fund and region (``fund_balances``) with the components the pages show, kept
by the application in the transaction of every movement (``fundtrack.ledger.postings``),
and a CHECK that what is available never falls below zero. The upgrade fills the rows from
the records already there, by the rules of the balance aggregate written out in SQL here
(as they stand at this revision), so a database with years of history upgrades in place.
A partial index on pending payments keeps the home page's to-do counts cheap without the
per-process cache that went with this change.

Revision ID: b5e1d0c4a9f2
Revises: 7a8756f4cf28
Create Date: 2026-12-07 02:10:00
"""

import sqlalchemy as sa
from alembic import op

from fundtrack.core.money import yuan_str

revision = "b5e1d0c4a9f2"
down_revision = "7a8756f4cf28"
branch_labels = None
depends_on = None

AVAILABLE = "received_fen - allocated_out_fen - disbursed_fen - carried_over_fen"

#: every kind of record as (fund, region, received, out, disbursed, carried, spent)
MOVES = """
SELECT a.fund_id, a.to_region_code AS region_code,
       CASE WHEN a.status IN ('approved', 'recalled') THEN a.amount_fen ELSE 0 END AS received,
       0 AS allocated_out, 0 AS disbursed, 0 AS carried, 0 AS spent
  FROM allocations a
UNION ALL
SELECT a.fund_id, a.from_region_code, 0,
       CASE WHEN a.status IN ('draft', 'approved', 'recalled') THEN a.amount_fen ELSE 0 END,
       0, 0, 0
  FROM allocations a
UNION ALL
SELECT a.fund_id, a.to_region_code,
       CASE WHEN r.status = 'approved' THEN -r.amount_fen ELSE 0 END,
       CASE WHEN r.status = 'draft' THEN r.amount_fen ELSE 0 END, 0, 0, 0
  FROM allocation_recalls r JOIN allocations a ON a.id = r.allocation_id
UNION ALL
SELECT a.fund_id, a.from_region_code, 0,
       CASE WHEN r.status = 'approved' THEN -r.amount_fen ELSE 0 END, 0, 0, 0
  FROM allocation_recalls r JOIN allocations a ON a.id = r.allocation_id
UNION ALL
SELECT c.from_fund_id, c.region_code, 0, 0, 0, c.amount_fen, 0 FROM fund_carry_overs c
UNION ALL
SELECT c.to_fund_id, c.region_code, c.amount_fen, 0, 0, 0, 0 FROM fund_carry_overs c
UNION ALL
SELECT d.fund_id, d.region_code, 0, 0,
       SUM(CASE WHEN d.status IN ('pending', 'approved', 'reversed')
                 AND (d.status <> 'pending' OR d.amount_fen > 0) THEN d.amount_fen ELSE 0 END),
       0,
       SUM(CASE WHEN d.status IN ('approved', 'reversed') THEN d.amount_fen ELSE 0 END)
  FROM disbursements d GROUP BY d.fund_id, d.region_code
UNION ALL
SELECT f.id, f.region_code, f.budget_fen, 0, 0, 0, 0 FROM funds f
 WHERE f.status IN ('active', 'closing', 'closed') AND f.budget_fen <> 0
"""


#: at most this many overspent rows are named when the upgrade refuses
NAMED_AT_MOST = 50


def refuse_overspent_records() -> None:
    """Stop (before anything is created) when the records already leave a fund's region
    with less than nothing: the new CHECK would refuse the rows with a bare constraint
    error; this names each fund and region and its figures, so they can be put right (a
    payment reversed, an allocation recalled) in the release before this one."""
    overspent = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT f.code, m.region_code, SUM(received), SUM(allocated_out), "
                "SUM(disbursed), SUM(carried) "
                f"FROM ({MOVES}) m JOIN funds f ON f.id = m.fund_id "
                "GROUP BY f.code, m.region_code "
                "HAVING SUM(received) - SUM(allocated_out) - SUM(disbursed) - SUM(carried) < 0 "
                "ORDER BY f.code, m.region_code"
            )
        )
        .all()
    )
    if not overspent:
        return
    lines = [
        f"fund {code}, region {region}: available {yuan_str(rec - out - paid - carried)} yuan "
        f"(received {yuan_str(rec)}, allocated out {yuan_str(out)}, "
        f"paid or reserved {yuan_str(paid)}, carried over {yuan_str(carried)})"
        for code, region, rec, out, paid, carried in overspent[:NAMED_AT_MOST]
    ]
    if len(overspent) > NAMED_AT_MOST:
        lines.append(f"... and {len(overspent) - NAMED_AT_MOST} more")
    raise RuntimeError(
        f"cannot keep balances: the records overspend {len(overspent)} fund region(s); "
        "put them right (reverse or reject the payments, recall the allocations) and "
        "upgrade again (this revision changed nothing).\n" + "\n".join(lines)
    )


def upgrade():
    refuse_overspent_records()
    op.create_table(
        "fund_balances",
        sa.Column("fund_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("received_fen", sa.BigInteger(), nullable=False),
        sa.Column("allocated_out_fen", sa.BigInteger(), nullable=False),
        sa.Column("disbursed_fen", sa.BigInteger(), nullable=False),
        sa.Column("carried_over_fen", sa.BigInteger(), nullable=False),
        sa.Column("spent_fen", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            f"{AVAILABLE} >= 0", name=op.f("ck_fund_balances_available_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["fund_id"], ["funds.id"], name=op.f("fk_fund_balances_fund_id_funds")
        ),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.code"],
            name=op.f("fk_fund_balances_region_code_regions"),
        ),
        sa.PrimaryKeyConstraint("fund_id", "region_code", name=op.f("pk_fund_balances")),
    )
    op.execute(
        "INSERT INTO fund_balances (fund_id, region_code, received_fen, allocated_out_fen, "
        "disbursed_fen, carried_over_fen, spent_fen) "
        "SELECT fund_id, region_code, SUM(received), SUM(allocated_out), SUM(disbursed), "
        f"SUM(carried), SUM(spent) FROM ({MOVES}) moves GROUP BY fund_id, region_code"
    )
    op.create_index(
        "ix_disbursements_pending",
        "disbursements",
        ["region_code", "amount_fen"],
        postgresql_where=sa.text("status = 'pending'"),
        sqlite_where=sa.text("status = 'pending'"),
    )


def downgrade():
    op.drop_index("ix_disbursements_pending", table_name="disbursements")
    op.drop_table("fund_balances")
