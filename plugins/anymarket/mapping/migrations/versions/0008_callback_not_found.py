"""callback door: ids whose GET answered 404, remembered for a while (issue 14)

Revision ID: 0008_callback_not_found
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# A name, not a bare number: parallel work adds its own heads from 0001 without renumbering.
revision = "0008_callback_not_found"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "callback_not_found",
        sa.Column("integration_id", sa.String(length=64), nullable=False),
        sa.Column("resource_type", sa.String(length=32), nullable=False),
        sa.Column("resource_id", sa.String(length=64), nullable=False),
        sa.Column("not_found_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "integration_id", "resource_type", "resource_id", name=op.f("pk_callback_not_found")
        ),
    )


def downgrade() -> None:
    op.drop_table("callback_not_found")
