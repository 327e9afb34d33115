"""Applications, interviews, answers and the append-only answer history.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from workshop.store.schema import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "applications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slug", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("criticality", sa.String(16), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("platforms", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("slug", name="uq_applications_slug"),
    )
    op.create_table(
        "interviews",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "application_id",
            sa.Integer,
            sa.ForeignKey("applications.id", ondelete="CASCADE", name="fk_interviews_application_id_applications"),
            nullable=False,
        ),
        sa.Column("questionnaire_id", sa.String(100), nullable=False),
        sa.Column("questionnaire_version", sa.String(50), nullable=False),
        sa.Column("held_on", sa.String(10), nullable=False),
        sa.Column("facilitator", sa.String(200), nullable=False),
        sa.Column("participants", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("current_section", sa.String(100), nullable=False),
        sa.Column(
            "previous_id",
            sa.Integer,
            sa.ForeignKey("interviews.id", ondelete="SET NULL", name="fk_interviews_previous_id_interviews"),
            nullable=True,
        ),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_interviews_application", "interviews", ["application_id"])
    op.create_table(
        "answers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "interview_id",
            sa.Integer,
            sa.ForeignKey("interviews.id", ondelete="CASCADE", name="fk_answers_interview_id_interviews"),
            nullable=False,
        ),
        sa.Column("question_id", sa.String(200), nullable=False),
        sa.Column("value", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("unknown", sa.Boolean, nullable=False),
        sa.Column("follow_up", sa.Boolean, nullable=False),
        sa.Column("follow_up_owner", sa.String(200), nullable=False),
        sa.Column("follow_up_note", sa.Text, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("interview_id", "question_id", name="uq_answers_interview_question"),
    )
    op.create_table(
        "answer_history",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "interview_id",
            sa.Integer,
            sa.ForeignKey("interviews.id", ondelete="CASCADE", name="fk_answer_history_interview_id_interviews"),
            nullable=False,
        ),
        sa.Column("question_id", sa.String(200), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("who", sa.String(200), nullable=False),
        sa.Column("old", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("new", sa.JSON, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
    )
    op.create_index("ix_answer_history_interview", "answer_history", ["interview_id", "question_id"])


def downgrade() -> None:
    op.drop_table("answer_history")
    op.drop_table("answers")
    op.drop_table("interviews")
    op.drop_table("applications")
