"""sync products: per-product sync state and refused products

Revision ID: 0004
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "product_sync",
        sa.Column("integration_id", sa.String(length=64), nullable=False),
        sa.Column("product_code", sa.String(length=200), nullable=False),
        sa.Column("anymarket_id", sa.String(length=200), nullable=False),
        sa.Column("data_hash", sa.String(length=64), nullable=True),
        sa.Column("images_hash", sa.String(length=64), nullable=True),
        sa.Column("main_image", sa.String(length=200), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("integration_id", "product_code", name=op.f("pk_product_sync")),
    )
    op.create_table(
        "product_rejected",
        sa.Column("integration_id", sa.String(length=64), nullable=False),
        sa.Column("product_code", sa.String(length=200), nullable=False),
        sa.Column("data_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("field_errors", sa.JSON(), nullable=True),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("integration_id", "product_code", name=op.f("pk_product_rejected")),
    )


def downgrade() -> None:
    op.drop_table("product_rejected")
    op.drop_table("product_sync")
