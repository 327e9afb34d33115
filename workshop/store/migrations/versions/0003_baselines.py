"""Baselines computed from log samples (aggregates only) and the column mappings used.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from workshop.store.schema import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _app_fk(table: str) -> sa.ForeignKey:
    return sa.ForeignKey("applications.id", ondelete="CASCADE", name=f"fk_{table}_application_id_applications")


def upgrade() -> None:
    op.create_table(
        "log_mappings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("application_id", sa.Integer, _app_fk("log_mappings"), nullable=False),
        sa.Column("log_source", sa.String(100), nullable=False),
        sa.Column("format", sa.String(20), nullable=False),
        sa.Column("mapping", sa.JSON, nullable=False),
        sa.Column("entity_role", sa.String(20), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("application_id", "log_source", name="uq_log_mappings_application_source"),
    )
    op.create_table(
        "baselines",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("application_id", sa.Integer, _app_fk("baselines"), nullable=False),
        sa.Column("log_source", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("who", sa.String(200), nullable=False),
        sa.Column("file_name", sa.String(300), nullable=False),
        sa.Column("events", sa.Integer, nullable=False),
        sa.Column("first", sa.String(40), nullable=False),
        sa.Column("last", sa.String(40), nullable=False),
        sa.Column("profile", sa.JSON, nullable=False),
        sa.Column("sample_path", sa.String(500), nullable=True),
        sa.UniqueConstraint("application_id", "log_source", "version", name="uq_baselines_application_source_version"),
    )


def downgrade() -> None:
    op.drop_table("baselines")
    op.drop_table("log_mappings")
