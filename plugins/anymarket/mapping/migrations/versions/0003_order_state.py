"""order import state (issue 5: import orders)

Revision ID: 0003
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "order_imports",
        sa.Column("integration_id", sa.String(length=64), nullable=False),
        sa.Column("anymarket_order_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("anymarket_status", sa.String(length=32), nullable=True),
        sa.Column("payload_hash", sa.String(length=64), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("erp_order_codes", sa.JSON(), nullable=True),
        sa.Column("partner_id_sent", sa.String(length=60), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("integration_id", "anymarket_order_id", name=op.f("pk_order_imports")),
    )
    with op.batch_alter_table("order_imports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_order_imports_integration_id_state"), ["integration_id", "state"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_order_imports_integration_id_next_check_at"),
            ["integration_id", "next_check_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("order_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_imports_integration_id_next_check_at"))
        batch_op.drop_index(batch_op.f("ix_order_imports_integration_id_state"))
    op.drop_table("order_imports")
