"""AnyMarket's panel: what report_monitorings posted to POST /monitorings (issue 18)

Revision ID: 0011_panel_monitorings
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# A name, not a bare number: parallel work adds its own heads from 0001 without renumbering.
revision = "0011_panel_monitorings"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "panel_monitorings",
        sa.Column("integration_id", sa.String(length=64), nullable=False),
        sa.Column("partner_id", sa.String(length=250), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("anymarket_id", sa.String(length=64), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("solved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("integration_id", "partner_id", name=op.f("pk_panel_monitorings")),
    )


def downgrade() -> None:
    op.drop_table("panel_monitorings")
