"""the Merkle tree over the audit chain: its kept perfect subtrees

``audit_tree_nodes`` holds every perfect subtree of 2**8 leaves and more of the RFC 9162
tree whose leaf i is the chain's link i + 1; append-only like ``audit_seals``. The upgrade
computes the nodes of the history already sealed.

Revision ID: c4f7a2e9d183
Revises: b5e1d0c4a9f2
Create Date: 2026-12-07 09:40:00
"""

import sqlalchemy as sa
from alembic import op

from fundtrack.audit.merkle import Frontier, leaf_hash

revision = "c4f7a2e9d183"
down_revision = "b5e1d0c4a9f2"
branch_labels = None
depends_on = None

#: as fundtrack.audit.tree.KEPT_HEIGHT at this revision
KEPT_HEIGHT = 8


def upgrade():
    op.create_table(
        "audit_tree_nodes",
        sa.Column("height", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("height", "index", name=op.f("pk_audit_tree_nodes")),
    )
    bind = op.get_bind()
    nodes = sa.table("audit_tree_nodes", sa.column("height"), sa.column("index"), sa.column("hash"))
    frontier = Frontier()
    pending = []
    result = bind.execute(
        sa.text("SELECT hash FROM audit_seals ORDER BY id").execution_options(yield_per=10_000)
    )
    for (link,) in result:
        for height, index, root in frontier.append(leaf_hash(bytes.fromhex(link))):
            if height >= KEPT_HEIGHT:
                pending.append({"height": height, "index": index, "hash": root.hex()})
    result.close()
    if pending:
        op.bulk_insert(nodes, pending)

    if bind.dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION audit_tree_nodes_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'audit_tree_nodes is append-only: % refused', TG_OP;
            END
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER audit_tree_nodes_no_change BEFORE UPDATE OR DELETE ON "
            "audit_tree_nodes FOR EACH ROW EXECUTE FUNCTION audit_tree_nodes_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_tree_nodes_no_truncate BEFORE TRUNCATE ON audit_tree_nodes "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_tree_nodes_append_only()"
        )
    else:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_tree_nodes_no_{operation.lower()} BEFORE {operation} "
                "ON audit_tree_nodes BEGIN "
                f"SELECT RAISE(ABORT, 'audit_tree_nodes is append-only: {operation} refused'); "
                "END"
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_tree_nodes_no_change ON audit_tree_nodes")
        op.execute("DROP TRIGGER IF EXISTS audit_tree_nodes_no_truncate ON audit_tree_nodes")
        op.execute("DROP FUNCTION IF EXISTS audit_tree_nodes_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_tree_nodes_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_tree_nodes_no_delete")
    op.drop_table("audit_tree_nodes")
