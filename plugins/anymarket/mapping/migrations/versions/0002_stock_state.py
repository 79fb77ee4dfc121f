"""send stock: what AnyMarket last accepted, and refused, per SKU x warehouse

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _stock_columns() -> list[sa.Column]:
    return [
        sa.Column("integration_id", sa.String(length=64), nullable=False),
        sa.Column("sku_code", sa.String(length=200), nullable=False),
        sa.Column("stock_local_id", sa.String(length=64), nullable=False),
        sa.Column("anymarket_id", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("cost", sa.Numeric(precision=15, scale=2), nullable=True),
        sa.Column("additional_time", sa.Integer(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "stock_sent",
        *_stock_columns(),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("integration_id", "sku_code", "stock_local_id", name=op.f("pk_stock_sent")),
    )
    op.create_table(
        "stock_rejected",
        *_stock_columns(),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "integration_id", "sku_code", "stock_local_id", name=op.f("pk_stock_rejected")
        ),
    )


def downgrade() -> None:
    op.drop_table("stock_rejected")
    op.drop_table("stock_sent")
