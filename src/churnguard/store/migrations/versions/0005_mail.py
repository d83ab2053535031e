"""mail layer state: automatic responses and the hosted API cursor

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auto_responses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("identity_id", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("reply_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["identity_id"], ["identities.id"]),
        sa.ForeignKeyConstraint(["reply_id"], ["replies.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("auto_responses", schema=None) as batch_op:
        batch_op.create_index("ix_auto_responses_identity_recipient_sent", ["identity_id", "recipient", "sent_at"], unique=False)
    with op.batch_alter_table("mailbox_cursors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token", sa.String(length=1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mailbox_cursors", schema=None) as batch_op:
        batch_op.drop_column("token")
    with op.batch_alter_table("auto_responses", schema=None) as batch_op:
        batch_op.drop_index("ix_auto_responses_identity_recipient_sent")
    op.drop_table("auto_responses")
