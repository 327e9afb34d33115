"""Analyst drills: training results per person and application, playbook tests per use case.

Revision ID: 0005_drills
Revises: 0004
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from workshop.store.schema import UTCDateTime

revision = "0005_drills"
down_revision = "0004"
branch_labels = None
depends_on = None


def _app_fk(table: str) -> sa.ForeignKey:
    return sa.ForeignKey("applications.id", ondelete="CASCADE", name=f"fk_{table}_application_id_applications")


def upgrade() -> None:
    op.create_table(
        "drill_results",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("application_id", sa.Integer, _app_fk("drill_results"), nullable=False),
        sa.Column("who", sa.String(200), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("use_cases", sa.JSON, nullable=False),
        sa.Column("score", sa.Float, nullable=True),
        sa.Column("max_score", sa.Float, nullable=False),
        sa.Column("answers", sa.JSON, nullable=False),
    )
    op.create_index("ix_drill_results_application", "drill_results", ["application_id"])
    op.create_table(
        "playbook_tests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("application_id", sa.Integer, _app_fk("playbook_tests"), nullable=False),
        sa.Column("template_id", sa.String(100), nullable=False),
        sa.Column("tested_on", sa.String(10), nullable=False),
        sa.Column("tester", sa.String(200), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("steps", sa.JSON, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
    )
    op.create_index(
        "ix_playbook_tests_application_template", "playbook_tests", ["application_id", "template_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_playbook_tests_application_template", table_name="playbook_tests")
    op.drop_table("playbook_tests")
    op.drop_index("ix_drill_results_application", table_name="drill_results")
    op.drop_table("drill_results")
