"""listing health and image checks: listings per SKU per marketplace, images until processed (issue 18)

Revision ID: 0010_listings_images
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# A name, not a bare number: parallel work adds its own heads from 0001 without renumbering.
revision = "0010_listings_images"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "listings",
        sa.Column("integration_id", sa.String(length=64), nullable=False),
        sa.Column("listing_id", sa.String(length=64), nullable=False),
        sa.Column("sku_code", sa.String(length=200), nullable=False),
        sa.Column("anymarket_sku_id", sa.String(length=200), nullable=False),
        sa.Column("marketplace", sa.String(length=40), nullable=False),
        sa.Column("account_name", sa.String(length=200), nullable=True),
        sa.Column("id_in_marketplace", sa.String(length=255), nullable=True),
        sa.Column("publication_status", sa.String(length=20), nullable=True),
        sa.Column("marketplace_status", sa.String(length=255), nullable=True),
        sa.Column("health", sa.String(length=10), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=True),
        sa.Column("permalink", sa.Text(), nullable=True),
        sa.Column("data_hash", sa.String(length=64), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("integration_id", "listing_id", name=op.f("pk_listings")),
    )
    op.create_index(op.f("ix_listings_integration_id_sku_code"), "listings", ["integration_id", "sku_code"])
    op.create_index(
        op.f("ix_listings_integration_id_marketplace_health"),
        "listings",
        ["integration_id", "marketplace", "health"],
    )
    op.create_table(
        "image_checks",
        sa.Column("integration_id", sa.String(length=64), nullable=False),
        sa.Column("product_code", sa.String(length=200), nullable=False),
        sa.Column("image_key", sa.String(length=64), nullable=False),
        sa.Column("anymarket_product_id", sa.String(length=200), nullable=False),
        sa.Column("anymarket_image_id", sa.String(length=200), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("checks", sa.Integer(), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("integration_id", "product_code", "image_key", name=op.f("pk_image_checks")),
    )
    op.create_index(
        op.f("ix_image_checks_integration_id_status"), "image_checks", ["integration_id", "status"]
    )


def downgrade() -> None:
    op.drop_table("image_checks")
    op.drop_index(op.f("ix_listings_integration_id_marketplace_health"), table_name="listings")
    op.drop_index(op.f("ix_listings_integration_id_sku_code"), table_name="listings")
    op.drop_table("listings")
