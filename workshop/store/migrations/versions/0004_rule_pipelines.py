"""Rule drafts: processing pipelines per application and SIEM, and local rule test results.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from workshop.store.schema import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _app_fk(table: str) -> sa.ForeignKey:
    return sa.ForeignKey("applications.id", ondelete="CASCADE", name=f"fk_{table}_application_id_applications")


def upgrade() -> None:
    op.create_table(
        "rule_pipelines",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("application_id", sa.Integer, _app_fk("rule_pipelines"), nullable=False),
        sa.Column("siem", sa.String(20), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("application_id", "siem", name="uq_rule_pipelines_application_siem"),
    )
    op.create_table(
        "rule_tests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("application_id", sa.Integer, _app_fk("rule_tests"), nullable=False),
        sa.Column("template_id", sa.String(100), nullable=False),
        sa.Column("rule_id", sa.String(40), nullable=False),
        sa.Column("ran_at", UTCDateTime, nullable=False),
        sa.Column("who", sa.String(200), nullable=False),
        sa.Column("sample", sa.String(300), nullable=False),
        sa.Column("fires", sa.Boolean, nullable=False),
        sa.Column("result", sa.JSON, nullable=False),
    )
    op.create_index("ix_rule_tests_application_template", "rule_tests", ["application_id", "template_id"])


def downgrade() -> None:
    op.drop_index("ix_rule_tests_application_template", table_name="rule_tests")
    op.drop_table("rule_tests")
    op.drop_table("rule_pipelines")
