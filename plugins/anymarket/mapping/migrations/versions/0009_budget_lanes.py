"""budget lanes: usage counted per lane, kept a day for the ops chart; the bulk lane's pacing state

Revision ID: 0009
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The usage rows of the last hour are kept (as realtime work) so an upgrade never forgets what the
    # account already spent. They are few (60 per account), so they are read, the table is rebuilt with
    # its new primary key under the same names, and they are written back.
    old = sa.table("request_budget_usage", sa.column("account_key"), sa.column("minute"), sa.column("used"))
    rows = [dict(r._mapping) for r in op.get_bind().execute(sa.select(old)).all()]
    op.drop_table("request_budget_usage")
    usage = op.create_table(
        "request_budget_usage",
        sa.Column("account_key", sa.String(length=64), nullable=False),
        sa.Column("minute", sa.BigInteger(), nullable=False),
        sa.Column("lane", sa.String(length=16), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("account_key", "minute", "lane", name=op.f("pk_request_budget_usage")),
    )
    if rows:
        op.bulk_insert(usage, [{**row, "lane": "realtime"} for row in rows])
    op.add_column("request_budgets", sa.Column("bulk_tokens", sa.Float(), nullable=True))
    op.add_column("request_budgets", sa.Column("bulk_tokens_at", sa.Float(), nullable=True))
    op.create_table(
        "budget_waits",
        sa.Column("integration_id", sa.String(length=64), nullable=False),
        sa.Column("automation", sa.String(length=64), nullable=False),
        sa.Column("lane", sa.String(length=16), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("continues_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("waiting", sa.String(length=500), nullable=False),
        sa.Column("alerted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("integration_id", "automation", name=op.f("pk_budget_waits")),
    )


def downgrade() -> None:
    op.drop_table("budget_waits")
    with op.batch_alter_table("request_budgets") as batch:
        batch.drop_column("bulk_tokens_at")
        batch.drop_column("bulk_tokens")
    lanes = sa.table("request_budget_usage", sa.column("account_key"), sa.column("minute"), sa.column("used"))
    rows = [
        dict(r._mapping)
        for r in op.get_bind().execute(
            sa.select(lanes.c.account_key, lanes.c.minute, sa.func.sum(lanes.c.used).label("used")).group_by(
                lanes.c.account_key, lanes.c.minute
            )
        )
    ]
    op.drop_table("request_budget_usage")
    usage = op.create_table(
        "request_budget_usage",
        sa.Column("account_key", sa.String(length=64), nullable=False),
        sa.Column("minute", sa.BigInteger(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("account_key", "minute", name=op.f("pk_request_budget_usage")),
    )
    if rows:
        op.bulk_insert(usage, rows)
