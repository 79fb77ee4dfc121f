"""initial mapping schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-22 15:43:12.917769
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "anymarket_warehouses",
        sa.Column("integration_id", sa.String(length=64), nullable=False),
        sa.Column("stock_local_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("is_virtual", sa.Boolean(), nullable=False),
        sa.Column("zip_code", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("integration_id", "stock_local_id", name=op.f("pk_anymarket_warehouses")),
    )
    op.create_table(
        "callback_inbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("integration_id", sa.String(length=64), nullable=False),
        sa.Column("resource_type", sa.String(length=32), nullable=False),
        sa.Column("resource_id", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_inbox")),
        sa.UniqueConstraint(
            "integration_id",
            "resource_type",
            "resource_id",
            name=op.f("uq_callback_inbox_integration_id_resource_type_resource_id"),
        ),
    )
    with op.batch_alter_table("callback_inbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_callback_inbox_integration_id_status"), ["integration_id", "status"], unique=False
        )

    op.create_table(
        "history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("integration_id", sa.String(length=64), nullable=False),
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("entity_key", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("request", sa.JSON(), nullable=True),
        sa.Column("response", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("run_id", sa.String(length=250), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history")),
    )
    with op.batch_alter_table("history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_history_integration_id_created_at"), ["integration_id", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_history_integration_id_entity_type_entity_key"),
            ["integration_id", "entity_type", "entity_key"],
            unique=False,
        )

    op.create_table(
        "integrations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("environment", sa.String(length=20), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrations")),
    )
    op.create_table(
        "links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("integration_id", sa.String(length=64), nullable=False),
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("erp_id", sa.String(length=200), nullable=False),
        sa.Column("anymarket_id", sa.String(length=200), nullable=False),
        sa.Column("payload_hash", sa.String(length=64), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_links")),
        sa.UniqueConstraint(
            "integration_id", "entity_type", "erp_id", name=op.f("uq_links_integration_id_entity_type_erp_id")
        ),
    )
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_links_integration_id_entity_type_anymarket_id"),
            ["integration_id", "entity_type", "anymarket_id"],
            unique=False,
        )

    op.create_table(
        "mappings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("integration_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mappings")),
        sa.UniqueConstraint(
            "integration_id", "kind", "key", name=op.f("uq_mappings_integration_id_kind_key")
        ),
    )
    op.create_table(
        "request_budget_usage",
        sa.Column("account_key", sa.String(length=64), nullable=False),
        sa.Column("minute", sa.BigInteger(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("account_key", "minute", name=op.f("pk_request_budget_usage")),
    )
    op.create_table(
        "request_budgets",
        sa.Column("account_key", sa.String(length=64), nullable=False),
        sa.Column("requests_per_hour", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_key", name=op.f("pk_request_budgets")),
    )
    op.create_table(
        "run_summaries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("integration_id", sa.String(length=64), nullable=False),
        sa.Column("automation", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.String(length=250), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_summaries")),
    )
    with op.batch_alter_table("run_summaries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_run_summaries_integration_id_automation_finished_at"),
            ["integration_id", "automation", "finished_at"],
            unique=False,
        )

    op.create_table(
        "sync_cursors",
        sa.Column("integration_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("integration_id", "name", name=op.f("pk_sync_cursors")),
    )


def downgrade() -> None:
    op.drop_table("sync_cursors")
    with op.batch_alter_table("run_summaries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_summaries_integration_id_automation_finished_at"))

    op.drop_table("run_summaries")
    op.drop_table("request_budgets")
    op.drop_table("request_budget_usage")
    op.drop_table("mappings")
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_links_integration_id_entity_type_anymarket_id"))

    op.drop_table("links")
    op.drop_table("integrations")
    with op.batch_alter_table("history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_history_integration_id_entity_type_entity_key"))
        batch_op.drop_index(batch_op.f("ix_history_integration_id_created_at"))

    op.drop_table("history")
    with op.batch_alter_table("callback_inbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_callback_inbox_integration_id_status"))

    op.drop_table("callback_inbox")
    op.drop_table("anymarket_warehouses")
