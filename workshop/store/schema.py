"""The workspace database schema (SQLAlchemy Core).

The tables here are the current shape; every change to them ships with an Alembic
migration in ``migrations/versions`` so that an old workspace upgrades in place when
it is opened.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)

from workshop.vocab import Status

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out, whatever the database keeps (SQLite keeps none)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


applications = Table(
    "applications",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("owner", String(200), nullable=False, default=""),
    Column("criticality", String(16), nullable=False, default="medium"),
    Column("description", Text, nullable=False, default=""),
    Column("platforms", JSON, nullable=False, default=list),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

interviews = Table(
    "interviews",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("application_id", Integer, ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
    Column("questionnaire_id", String(100), nullable=False),
    Column("questionnaire_version", String(50), nullable=False),
    Column("held_on", String(10), nullable=False, default=""),
    Column("facilitator", String(200), nullable=False, default=""),
    Column("participants", JSON, nullable=False, default=list),
    Column("status", String(16), nullable=False, default="open"),
    Column("current_section", String(100), nullable=False, default=""),
    Column("previous_id", Integer, ForeignKey("interviews.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_interviews_application", "application_id"),
)

answers = Table(
    "answers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("interview_id", Integer, ForeignKey("interviews.id", ondelete="CASCADE"), nullable=False),
    Column("question_id", String(200), nullable=False),
    Column("value", JSON(none_as_null=True), nullable=True),
    Column("unknown", Boolean, nullable=False, default=False),
    Column("follow_up", Boolean, nullable=False, default=False),
    Column("follow_up_owner", String(200), nullable=False, default=""),
    Column("follow_up_note", Text, nullable=False, default=""),
    Column("revision", Integer, nullable=False, default=1),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(200), nullable=False, default=""),
    UniqueConstraint("interview_id", "question_id", name="uq_answers_interview_question"),
)

answer_history = Table(
    "answer_history",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("interview_id", Integer, ForeignKey("interviews.id", ondelete="CASCADE"), nullable=False),
    Column("question_id", String(200), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("who", String(200), nullable=False, default=""),
    Column("old", JSON(none_as_null=True), nullable=True),
    Column("new", JSON, nullable=False),
    Column("revision", Integer, nullable=False),
    Index("ix_answer_history_interview", "interview_id", "question_id"),
)

use_cases = Table(
    "use_cases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("application_id", Integer, ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
    Column("template_id", String(100), nullable=False),
    Column("status", String(16), nullable=False, default=Status.PROPOSED.value),
    Column("generated", JSON, nullable=False, default=dict),
    Column("edits", JSON, nullable=False, default=dict),
    Column("conflicts", JSON, nullable=False, default=dict),
    Column("applies", Boolean, nullable=False, default=True),
    Column("revision", Integer, nullable=False, default=1),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("application_id", "template_id", name="uq_use_cases_application_template"),
)

use_case_history = Table(
    "use_case_history",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("use_case_id", Integer, ForeignKey("use_cases.id", ondelete="CASCADE"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("who", String(200), nullable=False, default=""),
    Column("kind", String(20), nullable=False),
    Column("field", String(100), nullable=False, default=""),
    Column("old", JSON(none_as_null=True), nullable=True),
    Column("new", JSON(none_as_null=True), nullable=True),
    Column("reason", Text, nullable=False, default=""),
    Index("ix_use_case_history_use_case", "use_case_id"),
)

log_mappings = Table(
    "log_mappings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("application_id", Integer, ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
    Column("log_source", String(100), nullable=False),
    Column("format", String(20), nullable=False, default="auto"),
    Column("mapping", JSON, nullable=False, default=dict),
    Column("entity_role", String(20), nullable=False, default=""),
    Column("timezone", String(64), nullable=False, default=""),
    Column("updated_at", UTCDateTime, nullable=False),
    # the roles a person confirmed; the others were proposed by the tool (migration 0006)
    Column("confirmed", JSON, nullable=False, default=list, server_default="[]"),
    UniqueConstraint("application_id", "log_source", name="uq_log_mappings_application_source"),
)

baselines = Table(
    "baselines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("application_id", Integer, ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
    Column("log_source", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("who", String(200), nullable=False, default=""),
    Column("file_name", String(300), nullable=False, default=""),
    Column("events", Integer, nullable=False, default=0),
    Column("first", String(40), nullable=False, default=""),
    Column("last", String(40), nullable=False, default=""),
    Column("profile", JSON, nullable=False),
    Column("sample_path", String(500), nullable=True),
    # the roles of the profile's mapping a person confirmed when it was attached (migration 0006)
    Column("confirmed", JSON, nullable=False, default=list, server_default="[]"),
    UniqueConstraint(
        "application_id", "log_source", "version", name="uq_baselines_application_source_version"
    ),
)

# -- rules (issue 7): per application and SIEM processing pipelines, and local rule test results
rule_pipelines = Table(
    "rule_pipelines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("application_id", Integer, ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
    Column("siem", String(20), nullable=False),
    Column("text", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(200), nullable=False, default=""),
    UniqueConstraint("application_id", "siem", name="uq_rule_pipelines_application_siem"),
)

rule_tests = Table(
    "rule_tests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("application_id", Integer, ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
    Column("template_id", String(100), nullable=False),
    Column("rule_id", String(40), nullable=False, default=""),
    Column("ran_at", UTCDateTime, nullable=False),
    Column("who", String(200), nullable=False, default=""),
    Column("sample", String(300), nullable=False, default=""),
    Column("fires", Boolean, nullable=False, default=False),
    Column("result", JSON, nullable=False),
    Index("ix_rule_tests_application_template", "application_id", "template_id"),
)

# -- drills (issue 20): training results per person and application, playbook tests per use case
drill_results = Table(
    "drill_results",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("application_id", Integer, ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
    Column("who", String(200), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("mode", String(16), nullable=False, default="solo"),
    Column("use_cases", JSON, nullable=False, default=dict),  # template id -> fingerprint trained on
    Column("score", Float, nullable=True),
    Column("max_score", Float, nullable=False, default=0.0),
    Column("answers", JSON, nullable=False, default=list),  # as given, with the points and feedback
    Index("ix_drill_results_application", "application_id"),
)

playbook_tests = Table(
    "playbook_tests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("application_id", Integer, ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
    Column("template_id", String(100), nullable=False),
    Column("tested_on", String(10), nullable=False),
    Column("tester", String(200), nullable=False, default=""),
    Column("outcome", String(16), nullable=False),
    Column("steps", JSON, nullable=False, default=list),
    Column("fingerprint", String(64), nullable=False, default=""),
    Column("recorded_at", UTCDateTime, nullable=False),
    Index("ix_playbook_tests_application_template", "application_id", "template_id"),
)
