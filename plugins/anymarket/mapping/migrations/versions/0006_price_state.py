"""send prices: what AnyMarket last accepted and refused per SKU and target, and the SKUs' listings

Revision ID: 0006
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0001"
branch_labels = None
depends_on = None


def _price_columns() -> list[sa.Column]:
    return [
        sa.Column("integration_id", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("sku_code", sa.String(length=200), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("anymarket_id", sa.String(length=200), nullable=False),
    ]


def _values() -> list[sa.Column]:
    return [
        sa.Column("price", sa.Numeric(precision=15, scale=2), nullable=True),
        sa.Column("sell_price", sa.Numeric(precision=15, scale=2), nullable=True),
        sa.Column("cost", sa.Numeric(precision=15, scale=2), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "price_sent",
        *_price_columns(),
        sa.Column("anymarket_product_id", sa.String(length=200), nullable=True),
        *_values(),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("integration_id", "scope", "sku_code", "target", name=op.f("pk_price_sent")),
    )
    op.create_table(
        "price_rejected",
        *_price_columns(),
        *_values(),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "integration_id", "scope", "sku_code", "target", name=op.f("pk_price_rejected")
        ),
    )
    op.create_table(
        "price_listings",
        sa.Column("integration_id", sa.String(length=64), nullable=False),
        sa.Column("sku_code", sa.String(length=200), nullable=False),
        sa.Column("anymarket_id", sa.String(length=200), nullable=False),
        sa.Column("listings", sa.JSON(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("integration_id", "sku_code", name=op.f("pk_price_listings")),
    )


def downgrade() -> None:
    op.drop_table("price_listings")
    op.drop_table("price_rejected")
    op.drop_table("price_sent")
