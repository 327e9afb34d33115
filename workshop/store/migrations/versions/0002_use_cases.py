"""Use cases generated from templates, with people's edits and their history.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from workshop.store.schema import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "use_cases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "application_id",
            sa.Integer,
            sa.ForeignKey("applications.id", ondelete="CASCADE", name="fk_use_cases_application_id_applications"),
            nullable=False,
        ),
        sa.Column("template_id", sa.String(100), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("generated", sa.JSON, nullable=False),
        sa.Column("edits", sa.JSON, nullable=False),
        sa.Column("conflicts", sa.JSON, nullable=False),
        sa.Column("applies", sa.Boolean, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("application_id", "template_id", name="uq_use_cases_application_template"),
    )
    op.create_table(
        "use_case_history",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "use_case_id",
            sa.Integer,
            sa.ForeignKey("use_cases.id", ondelete="CASCADE", name="fk_use_case_history_use_case_id_use_cases"),
            nullable=False,
        ),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("who", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("field", sa.String(100), nullable=False),
        sa.Column("old", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("new", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_index("ix_use_case_history_use_case", "use_case_history", ["use_case_id"])


def downgrade() -> None:
    op.drop_table("use_case_history")
    op.drop_table("use_cases")
