"""each user's page language (a preference, not versioned)

Revision ID: 3a1f0c2b9d47
Revises: 205c28c6f86b
Create Date: 2026-11-29 03:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "3a1f0c2b9d47"
down_revision = "205c28c6f86b"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(8), nullable=False, server_default="zh")
        )


def downgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("language")
