"""webhook inbox and raw payloads

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("account_id", sa.String(length=128), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("event", sa.JSON(), nullable=True),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "external_id", name="uq_inbound_events_source_external_id"),
    )
    with op.batch_alter_table("inbound_events", schema=None) as batch_op:
        batch_op.create_index("ix_inbound_events_status", ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_inbound_events_account_id"), ["account_id"], unique=False)

    op.create_table(
        "segment_users",
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.String(length=128), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    with op.batch_alter_table("segment_users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_segment_users_account_id"), ["account_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("segment_users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_segment_users_account_id"))
    op.drop_table("segment_users")
    with op.batch_alter_table("inbound_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_events_account_id"))
        batch_op.drop_index("ix_inbound_events_status")
    op.drop_table("inbound_events")
