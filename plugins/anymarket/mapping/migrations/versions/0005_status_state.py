"""order status sync state (issue 6: sync order status)

Revision ID: 0005
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "order_status_sync",
        sa.Column("integration_id", sa.String(length=64), nullable=False),
        sa.Column("anymarket_order_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("anymarket_status", sa.String(length=32), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("data_hash", sa.String(length=64), nullable=True),
        sa.Column("marketplace", sa.String(length=40), nullable=True),
        sa.Column("need_invoice_xml", sa.Boolean(), nullable=True),
        sa.Column("nfe_sent_key", sa.String(length=60), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("integration_id", "anymarket_order_id", name=op.f("pk_order_status_sync")),
    )
    with op.batch_alter_table("order_status_sync", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_order_status_sync_integration_id_state"), ["integration_id", "state"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("order_status_sync", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_status_sync_integration_id_state"))
    op.drop_table("order_status_sync")
