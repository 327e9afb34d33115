"""Which roles of a log's column mapping a person confirmed, and which the tool only proposed.

Before this, every stored mapping read as confirmed, also a wrong proposal nobody looked
at. Rows written before it are marked as confirmed by nobody (an empty list): nobody can
say now who checked them.

Revision ID: 0006_mapping_confirmed
Revises: 0005_drills
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_mapping_confirmed"
down_revision = "0005_drills"
branch_labels = None
depends_on = None

TABLES = ("log_mappings", "baselines")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("confirmed", sa.JSON, nullable=False, server_default="[]"))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("confirmed")
