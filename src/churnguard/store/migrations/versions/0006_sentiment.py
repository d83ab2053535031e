"""sentiment intake: tickets, survey responses and cold inbound mail

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sentiment_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.String(length=128), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("match", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("priority", sa.String(length=32), nullable=False),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("survey_type", sa.String(length=8), nullable=False),
        sa.Column("survey_score", sa.Float(), nullable=True),
        sa.Column("satisfaction", sa.String(length=16), nullable=False),
        sa.Column("sentiment", sa.Float(), nullable=True),
        sa.Column("sentiment_label", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("key_owner", sa.String(length=64), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "kind", "external_id", name="uq_sentiment_records_source_kind_external_id"),
    )
    with op.batch_alter_table("sentiment_records", schema=None) as batch_op:
        batch_op.create_index("ix_sentiment_records_account_time", ["account_id", "occurred_at"], unique=False)
        batch_op.create_index("ix_sentiment_records_match", ["match"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sentiment_records", schema=None) as batch_op:
        batch_op.drop_index("ix_sentiment_records_match")
        batch_op.drop_index("ix_sentiment_records_account_time")
    op.drop_table("sentiment_records")
